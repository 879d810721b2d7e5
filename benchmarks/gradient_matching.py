"""GCond, GCond-X and DC-Graph on Cora (rates 0.25/0.5/1 = 1.3/2.6/5.2%) and Citeseer
(rates 0.25/0.5/1 = 0.9/1.8/3.6%): condensation seeds x evaluation runs, accuracy,
wall time and peak memory, written as CSV and a markdown table.

    python benchmarks/gradient_matching.py                 # authors' presets (hours on a CPU)
    python benchmarks/gradient_matching.py --quick         # quick presets, 1 seed x 2 runs, Cora 0.5
    python benchmarks/gradient_matching.py --datasets cora --rates 0.5 --seeds 0 1 2 --runs 5
    python benchmarks/gradient_matching.py --methods gcondx dcgraph --jobs 2   # 2 single-thread workers

Every (dataset, rate, method, seed) is one job: condensed, then evaluated ``--runs``
times; ``--jobs N`` runs N jobs at once in separate processes (each with ``--threads``
threads). Rows are written as each job ends and a cell's summary as soon as its seeds
are all in, so an interrupt loses the running jobs only.

Needs GRAPHCOND_DATA. Uses one CPU thread per job unless ``--threads`` says otherwise.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import lru_cache
from pathlib import Path

import pandas as pd
import torch

import graphcond
from graphcond.methods.base import parse_value
from graphcond.paper_tables import RATE_PERCENT, paper_value
from graphcond.results import markdown, summarise_rows


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
    ap.add_argument("--threads", type=int, default=1, help="torch threads per job")
    ap.add_argument("--jobs", type=int, default=1, help="jobs run at once, each in its own process")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", default="benchmarks/out/gradient_matching")
    args = ap.parse_args(argv)
    datasets = args.datasets or (["cora"] if args.quick else ["cora", "citeseer"])
    rates = args.rates or ([0.5] if args.quick else [0.25, 0.5, 1.0])
    seeds = args.seeds or ([0] if args.quick else [0, 1, 2])
    runs = args.runs or (2 if args.quick else 5)
    overrides = {k: parse_value(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    cells = [(ds, rate, method) for ds in datasets for rate in rates for method in args.methods]
    jobs = [(*cell, seed, args.quick, overrides, runs, args.threads, args.device) for cell in cells for seed in seeds]
    out = Path(args.out + ("_quick" if args.quick else ""))
    rows, done = [], {}
    for job_rows, extras in _run_all(jobs, args.jobs):
        rows += [dict(r, quick=args.quick, settings=json.dumps(overrides)) for r in job_rows]
        done.setdefault(extras["cell"], []).append(extras)
        table = _write(out, rows, _summaries(rows, cells, done, len(seeds), args.quick, overrides))
        if len(done[extras["cell"]]) == len(seeds):
            ds, rate, method = extras["cell"]
            print(table[(table["dataset"] == ds) & (table["rate"] == rate) & (table["method"] == method)]
                  .to_dict("records")[0], file=sys.stderr, flush=True)
    print(table.to_string(index=False))
    return 0


def _run_all(jobs: list[tuple], workers: int):
    """Yield each job's ``(rows, extras)`` as it ends (in-process when ``workers`` is 1)."""
    if workers <= 1:
        yield from map(_one_job, jobs)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for fut in as_completed([pool.submit(_one_job, j) for j in jobs]):
            yield fut.result()


@lru_cache(maxsize=None)
def _dataset(name: str):
    """A dataset loaded once per process (jobs of one worker share it)."""
    return graphcond.load_dataset(name)


def _one_job(job: tuple) -> tuple[list[dict], dict]:
    """Condense one (dataset, rate, method, seed) and evaluate it ``runs`` times."""
    ds, rate, method, seed, quick, overrides, runs, threads, device = job
    torch.set_num_threads(threads)
    data = _dataset(ds)
    t = time.perf_counter()
    graph = graphcond.condense(data, method, rate=rate, seed=seed, quick=quick, device=device, progress=False,
                               **overrides)
    print(f"{ds} {rate} {method} seed {seed}: {time.perf_counter() - t:.1f}s", file=sys.stderr, flush=True)
    ev = graphcond.evaluate([graph], data, runs=runs, device=device)
    return ev.rows, {"cell": (ds, rate, method), "edges": graph.meta["counts"]["condensed_edges"],
                     "peak_mb": graph.meta["timings"]["condense_peak_mb"]}


def _summaries(rows: list[dict], cells: list[tuple], done: dict, nseeds: int, quick: bool, overrides: dict) -> list:
    """One summary row per cell whose seeds have all ended, in the grid's order."""
    df = pd.DataFrame(rows)
    out = []
    for ds, rate, method in cells:
        extras = done.get((ds, rate, method), [])
        if len(extras) < nseeds:
            continue
        cell = df[(df["dataset"] == ds) & (df["rate"] == rate) & (df["method"] == method)]
        s = summarise_rows(cell, by=("dataset", "method", "rate")).iloc[0]
        out.append({
            "dataset": ds, "paper ratio": RATE_PERCENT.get((ds, rate), ""), "rate": rate, "method": method,
            "paper": paper_value(ds, method, rate), "nodes": int(s["condensed_target_nodes"]),
            "edges": sum(e["edges"] for e in extras) / len(extras),
            "acc mean": round(100 * s["mean"], 2), "acc std": round(100 * s["std"], 2),
            "seed std": round(100 * s["seed_std"], 2), "runs": int(s["runs"]),
            "condense s": round(s["condense_s"], 1),
            "condense peak MB": round(max(e["peak_mb"] for e in extras), 1),
            "quick": quick, "settings": json.dumps(overrides),
        })
    return out


def _write(out: Path, rows: list, summary: list) -> pd.DataFrame:
    """Write the rows and the summary so far (after every job: an interrupt loses the running jobs only)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out.parent / (out.name + ".csv"), index=False)
    table = pd.DataFrame(summary)
    (out.parent / (out.name + ".md")).write_text(markdown(table, list(table.columns)) if summary else "")
    return table


if __name__ == "__main__":
    raise SystemExit(main())
