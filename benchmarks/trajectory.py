"""Reproduce the GEOM table (METHODS.md section 1) from scratch with the workbench.

For every dataset and rate: the coresets (random, herding, K-Center), SFGC and GEOM,
each condensed with several seeds and evaluated with several GCN runs (selection on
validation only), plus the whole graph. Writes tidy rows (CSV) and a markdown table
(mean ± std over all runs, and the spread over condensation seeds) next to the
paper's numbers, and per trajectory run the validation accuracy against iteration
and wall time (``<out>.curves.json``). Every condensed graph is saved as soon as it is
made (``<out>.graphs/``), and a rerun with the same settings reads it instead of
condensing again. Expert buffers are cached (``GRAPHCOND_CACHE``), so a rerun reuses
them, and a condensation interrupted midway resumes from its last save (about a
minute lost; the ``resumed_from`` column says from which iteration).

Usage::

    python benchmarks/trajectory.py                       # Cora + Citeseer, all rates, 3 seeds x 5 runs
    python benchmarks/trajectory.py --quick               # quick presets, Cora rate 0.5, 1 seed x 3 runs
    python benchmarks/trajectory.py --datasets citeseer --methods geom --seeds 3 4 --no-whole  # more seeds
    python benchmarks/trajectory.py --datasets cora --rates 0.5 --methods geom sfgc --ablations
    python benchmarks/trajectory.py --set num_experts=20  # any method setting
    python benchmarks/trajectory.py --datasets cora --rates 0.5 --methods geom --models gcn sgc appnp cheby sage mlp
    python benchmarks/trajectory.py --datasets citeseer --methods geom --evaluation workbench authors

The full run is long (200 experts per dataset and thousands of iterations of 2500
unrolled steps for Cora); use a GPU (``--device cuda``) or lower ``--set`` values.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import pandas as pd
import torch

from common import add_run_options, settings_from
from graphcond import condense, evaluate, load_condensed, load_dataset
from graphcond.ablations import ABLATIONS
from graphcond.evaluate import authors_settings
from graphcond.paper_tables import paper_value

TRAJECTORY = {"sfgc", "geom"}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=None)
    ap.add_argument("--rates", nargs="+", type=float, default=None)
    ap.add_argument("--methods", nargs="*", default=None, help="default: the coresets, sfgc, geom; none with --ablations: the ablations alone (with full GEOM as their reference)")
    ap.add_argument("--ablations", action="store_true", help="also GEOM with each switch turned off")
    ap.add_argument("--seeds", nargs="+", type=int, default=None, help="condensation seeds (default 0 1 2, quick 0)")
    ap.add_argument("--models", nargs="+", default=["gcn"], help="evaluation models (cross-architecture: gcn sgc appnp cheby sage mlp)")
    ap.add_argument("--runs", type=int, default=None, help="evaluation runs per graph (default 5, quick 3)")
    ap.add_argument("--no-whole", action="store_true", help="skip the whole-graph rows")
    ap.add_argument("--evaluation", nargs="+", choices=["workbench", "authors"], default=["workbench"],
                    help="evaluation settings: the workbench's one protocol and/or the GEOM authors' per dataset and rate")
    add_run_options(ap, out="benchmarks/out/trajectory", quick_help="quick presets, Cora rate 0.5, 1 seed x 3 runs",
                    set_help="setting for sfgc/geom")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    datasets = a.datasets or (["cora"] if a.quick else ["cora", "citeseer"])
    rates = a.rates or ([0.5] if a.quick else [0.25, 0.5, 1.0])
    methods = ["random", "herding", "kcenter", "sfgc", "geom"] if a.methods is None else a.methods
    seeds = a.seeds or ([0] if a.quick else [0, 1, 2])
    runs = a.runs or (3 if a.quick else 5)
    overrides = settings_from(a.set)
    if "authors" in a.evaluation:  # a missing setting fails now, not after condensing
        for ds in datasets:
            for rate in rates:
                authors_settings(ds, rate)
    variants = [(m, m, {}) for m in methods]
    if a.ablations:
        if "geom" not in methods:  # full GEOM, the ablations' reference
            variants.append(("geom", "geom", {}))
        variants += [(f"geom: {name}", "geom", o) for name, o in ABLATIONS["geom"].items() if o]
    out = Path(a.out + ("-quick" if a.quick else ""))
    out.parent.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    curves: list[dict] = []  # validation accuracy against iteration and wall time, per trajectory run
    for ds in datasets:
        data = load_dataset(ds)
        if not a.no_whole:
            whole = condense(data, "whole")
            for model in a.models:
                rows += [r | {"variant": "whole", "rate": None, "evaluation": "workbench"}
                         for r in evaluate(whole, data, model=model, runs=runs, device=a.device).rows]
        for rate in rates:
            for label, method, extra in variants:
                settings = (overrides | extra) if method in TRAJECTORY else {}
                graphs = []
                for seed in seeds:
                    key = json.dumps([method, rate, seed, a.quick, settings], sort_keys=True)
                    path = out.parent / (out.name + ".graphs") / f"{ds}-{hashlib.sha1(key.encode()).hexdigest()[:12]}.pt"
                    if path.exists():  # condensed by an earlier, interrupted run with the same settings
                        graphs.append(load_condensed(path, data))
                        print(f"{ds} rate {rate} {label} seed {seed}: read {path}", flush=True)
                        continue
                    t = time.perf_counter()
                    quick = a.quick and method in TRAJECTORY
                    graphs.append(condense(data, method, rate=rate, seed=seed, device=a.device, quick=quick, **settings))
                    graphs[-1].save(path)
                    print(f"{ds} rate {rate} {label} seed {seed}: condensed in {time.perf_counter() - t:.1f} s", flush=True)
                info = {g.meta["seed"]: run_info(g) for g in graphs}
                for model in a.models:
                    for protocol in a.evaluation:
                        train = authors_settings(ds, rate) if protocol == "authors" else {}
                        res = evaluate(graphs, data, model=model, runs=runs, device=a.device, **train)
                        rows += [r | {"variant": label, "settings": json.dumps(settings), "evaluation": protocol}
                                 | info[r["condense_seed"]] for r in res.rows]
                        s = res.summary()
                        print(f"  {model} ({protocol} evaluation) -> {100 * s['mean']:.2f} ± {100 * s['std']:.2f} "
                              f"(seed spread {100 * s['seed_std']:.2f})", flush=True)
                curves += [{"dataset": ds, "rate": rate, "variant": label, "seed": g.meta["seed"],
                            "history": g.meta["info"].get("history", [])} for g in graphs if method in TRAJECTORY]
                (out.parent / (out.name + ".curves.json")).write_text(json.dumps(curves, indent=1))
                pd.DataFrame(rows).to_csv(out.parent / (out.name + ".csv"), index=False)  # keep what is done
    df = pd.DataFrame(rows)
    df.to_csv(out.parent / (out.name + ".csv"), index=False)
    (out.parent / (out.name + ".md")).write_text(table(df, len(seeds), runs, a.quick))
    print((out.parent / (out.name + ".md")).read_text())


def run_info(graph) -> dict:
    """Buffer and matching figures of a trajectory run (empty for the coresets)."""
    info = graph.meta["info"]
    if "history" not in info:
        return {}
    return {
        "experts": info["experts"],
        "buffer_disk_mb": info["buffer_disk_mb"],
        "buffer_s": info["buffer_seconds"],
        "s_per_iteration": round(info["seconds_per_iteration"], 3),
        "selected_iteration": info["selected_iteration"],
        "selected_val": info.get("selected_val"),  # selection="gcn"
        "selected_gntk_score": info.get("selected_gntk_score"),  # selection="gntk"
        "grad_norm_median": info.get("grad_norm_median"),
        "grad_norm_max": info.get("grad_norm_max"),
        "clipped_iterations": info.get("clipped_iterations"),
        "resumed_from": info.get("resumed_from", 0),  # the iteration an interrupted run was resumed from
    }


def trajectory_columns(g: pd.DataFrame) -> str:
    """Experts, buffer disk, matching seconds per iteration and the iteration each seed's
    validation selected (blank for the coresets and the whole graph)."""
    if "experts" not in g or g["experts"].isna().all():
        return " |  |  | "
    per_seed = g.groupby("condense_seed").first()
    selected = "/".join(str(int(v)) for v in per_seed["selected_iteration"])
    return (f"{int(per_seed['experts'].max())} | {per_seed['buffer_disk_mb'].max():.0f} | "
            f"{per_seed['s_per_iteration'].mean():.2f} | {selected}")


def table(df: pd.DataFrame, seeds: int, runs: int, quick: bool) -> str:
    lines = [
        f"# GEOM table reproduction{' (QUICK presets: not the paper settings)' if quick else ''}",
        "",
        f"Test accuracy %: mean ± std over {seeds} condensation seed(s) x {runs} GCN runs; "
        "[seed spread] = std of the per-seed means; paper = GEOM paper. Selection on validation only.",
        "",
        "| dataset | rate | nodes | variant | model | evaluation | accuracy | seed spread | condense s | paper | experts | buffer MB | s/iteration | selected iterations |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    groups = ["dataset", "rate", "variant", "model", "evaluation"]
    for (ds, rate, variant, model, protocol), g in df.groupby(groups, dropna=False, sort=False):
        per_seed = g.groupby("condense_seed")["test"].mean()
        spread = 100 * per_seed.std() if len(per_seed) > 1 else 0.0
        paper = (paper_value(ds, variant, None if pd.isna(rate) else float(rate)) or "") if model == "gcn" else ""
        r = "" if pd.isna(rate) else f"{rate:g}"
        lines.append(
            f"| {ds} | {r} | {int(g['condensed_target_nodes'].iloc[0])} | {variant} | {model} | {protocol} | "
            f"{100 * g['test'].mean():.2f} ± {100 * g['test'].std(ddof=1 if len(g) > 1 else 0):.2f} | "
            f"{spread:.2f} | {g['condense_s'].mean():.1f} | {paper} | {trajectory_columns(g)} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
