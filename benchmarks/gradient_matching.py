"""GCond, GCond-X and DC-Graph on Cora (rates 0.25/0.5/1 = 1.3/2.6/5.2%) and Citeseer
(rates 0.25/0.5/1 = 0.9/1.8/3.6%): condensation seeds x evaluation runs, accuracy,
wall time and peak memory, written as CSV and a markdown table.

    python benchmarks/gradient_matching.py                 # authors' presets (hours on a CPU)
    python benchmarks/gradient_matching.py --quick         # quick presets, 1 seed x 2 runs, Cora 0.5
    python benchmarks/gradient_matching.py --datasets cora --rates 0.5 --seeds 0 1 2 --runs 5

Needs GRAPHCOND_DATA. Uses one CPU thread unless ``--threads`` says otherwise.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import pandas as pd
import torch

import graphcond
from graphcond.methods.base import parse_value
from graphcond.paper_tables import RATE_PERCENT, paper_value
from graphcond.results import markdown


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="quick presets, Cora rate 0.5, 1 seed x 2 runs")
    ap.add_argument("--methods", nargs="+", default=["gcond", "gcondx", "dcgraph"])
    ap.add_argument("--datasets", nargs="+", default=None)
    ap.add_argument("--rates", nargs="+", type=float, default=None)
    ap.add_argument("--seeds", nargs="+", type=int, default=None)
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="setting for every method (the run is then labelled as not the preset)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", default="benchmarks/out/gradient_matching")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    datasets = args.datasets or (["cora"] if args.quick else ["cora", "citeseer"])
    rates = args.rates or ([0.5] if args.quick else [0.25, 0.5, 1.0])
    seeds = args.seeds or ([0] if args.quick else [0, 1, 2])
    runs = args.runs or (2 if args.quick else 5)
    overrides = {k: parse_value(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    rows, summary = [], []
    for ds in datasets:
        data = graphcond.load_dataset(ds)
        for rate in rates:
            for method in args.methods:
                graphs = []
                for seed in seeds:
                    t = time.perf_counter()
                    graphs.append(graphcond.condense(data, method, rate=rate, seed=seed, quick=args.quick,
                                                     device=args.device, progress=False, **overrides))
                    print(f"{ds} {rate} {method} seed {seed}: {time.perf_counter() - t:.1f}s", file=sys.stderr)
                ev = graphcond.evaluate(graphs, data, runs=runs, device=args.device)
                for r in ev.rows:
                    rows.append(dict(r, quick=args.quick, settings=json.dumps(overrides)))
                s = ev.summary()
                summary.append({
                    "dataset": ds, "paper ratio": RATE_PERCENT.get((ds, rate), ""), "rate": rate, "method": method,
                    "paper": paper_value(ds, method, rate),
                    "nodes": s["condensed_target_nodes"], "edges": statistics.fmean(g.meta["counts"]["condensed_edges"] for g in graphs),
                    "acc mean": round(100 * s["mean"], 2), "acc std": round(100 * s["std"], 2),
                    "seed std": round(100 * s["seed_std"], 2), "runs": s["runs"],
                    "condense s": round(s["condense_s"], 1),
                    "condense peak MB": round(max(g.meta["timings"]["condense_peak_mb"] for g in graphs), 1),
                    "quick": args.quick, "settings": json.dumps(overrides),
                })
                print(summary[-1], file=sys.stderr)
                table = _write(Path(args.out + ("_quick" if args.quick else "")), rows, summary)
    print(table.to_string(index=False))
    return 0


def _write(out: Path, rows: list, summary: list) -> pd.DataFrame:
    """Write the rows and the summary so far (after every cell: an interrupt loses one cell at most)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out.parent / (out.name + ".csv"), index=False)
    table = pd.DataFrame(summary)
    (out.parent / (out.name + ".md")).write_text(markdown(table, list(table.columns)))
    return table


if __name__ == "__main__":
    raise SystemExit(main())
