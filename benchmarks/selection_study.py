"""What the choice of the kept graph is worth: validation selection against the last graph
and against the authors' protocol of keeping the graph with the best TEST accuracy.

GEOM's and SFGC's authors evaluate their condensed graph during condensation and keep
the one whose GCN scores best on the test nodes (GEOM ``config_distill.json``:
``eval_interval`` 1). The workbench selects on validation only. This study condenses
with ``snapshot_dir`` set, so every graph the run validated is saved, then trains
``--runs`` GCNs on each and reports, per seed:

- ``validation``: the graph with the best mean validation accuracy (what we report);
- ``last``: the final graph;
- ``GNTK score``: the graph (after iteration 0) with the lowest graph neural feature score,
  SFGC's own rule (:class:`graphcond.methods.gntk.FeatureScore`, validation labels only),
  with the Spearman correlation between that score and the mean validation accuracy
  over the snapshots (negative: a lower score goes with a better graph);
- ``best test``: the graph with the best mean TEST accuracy. An upper bound that shows
  how much the authors' selection inflates a number; never a result of ours.

Usage::

    python benchmarks/selection_study.py --dataset cora --rate 0.5 --seeds 0 1 --eval-every 10 \\
        --set num_experts=20 --set init_embedding=coreset_gcn --set init_epochs=1
    python benchmarks/selection_study.py --quick          # quick GEOM presets, a smoke run

Rows (one per snapshot, seed and run) go to ``<out>.csv`` as each snapshot is evaluated,
the summary to ``<out>.md``. After an interrupt, run the same command again: a seed
whose condensation finished (``selected.pt`` in its snapshot folder) is not condensed
again, and snapshots already in ``<out>.csv`` are not evaluated again.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import torch

from common import add_run_options, settings_from
from graphcond import condense, load_condensed, load_dataset
from graphcond.methods.gntk import FeatureScore
from graphcond.runtime import resolve_device
from graphcond.training import TrainConfig, fit


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", default="cora")
    ap.add_argument("--rate", type=float, default=0.5)
    ap.add_argument("--method", default="geom", choices=["geom", "sfgc"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--eval-every", type=int, default=10, help="iterations between snapshots (authors: 1)")
    ap.add_argument("--runs", type=int, default=5, help="GCN runs per snapshot")
    add_run_options(ap, out="benchmarks/out/selection")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    device = resolve_device(a.device)
    settings = settings_from(a.set)
    out = Path(a.out + ("-quick" if a.quick else ""))
    out.parent.mkdir(parents=True, exist_ok=True)
    data = load_dataset(a.dataset)
    csv = out.parent / (out.name + ".csv")
    rows = finished_rows(csv, a, settings)
    done = {(r["seed"], r["iteration"]) for r in rows}
    for seed in a.seeds:
        folder = out.parent / f"{out.name}.snapshots" / f"{a.dataset}-{a.rate:g}-{a.method}-seed{seed}"
        if not (folder / "selected.pt").exists():
            c = condense(data, a.method, rate=a.rate, seed=seed, device=a.device, quick=a.quick,
                         eval_every=a.eval_every, snapshot_dir=str(folder), **settings)
            c.save(folder / "selected.pt")
        meta = load_condensed(folder / "selected.pt", data).meta
        paths = sorted(folder.glob("iter-*.pt"))
        feature_score = FeatureScore(data, seed=seed, device=device)
        for path in paths:
            iteration = int(path.stem.split("-")[1])
            if (seed, iteration) in done:
                continue  # evaluated before an interrupt
            graph = torch.load(path, weights_only=False)
            score = feature_score(graph.x, graph.y)
            for run in range(a.runs):
                res = fit(graph, data, TrainConfig(), device, run)
                rows.append({"dataset": a.dataset, "rate": a.rate, "method": a.method, "seed": seed,
                             "iteration": iteration, "run": run, "val": res.val,
                             "test": res.test, "gntk_score": score, "condense_s": round(meta["info"]["seconds"], 1),
                             "selected_iteration": meta["info"]["selected_iteration"],
                             "settings": json.dumps(settings), "quick": a.quick})
            pd.DataFrame(rows).to_csv(csv, index=False)  # keep every evaluated snapshot
        print(f"{a.dataset} {a.rate:g} {a.method} seed {seed}: {len(paths)} snapshots", flush=True)
    (out.parent / (out.name + ".md")).write_text(summary(pd.DataFrame(rows)))
    print((out.parent / (out.name + ".md")).read_text())


def finished_rows(csv: Path, a: argparse.Namespace, settings: dict) -> list[dict]:
    """The rows of an earlier, interrupted run of the same study in ``csv``: snapshots of
    the same dataset, rate, method, settings and seeds evaluated with ``a.runs`` runs.
    Those are not evaluated again; the file is rewritten with them and the new rows.

    >>> import tempfile
    >>> a = argparse.Namespace(dataset="cora", rate=0.5, method="geom", seeds=[0], runs=2, quick=False)
    >>> row = dict(dataset="cora", rate=0.5, method="geom", seed=0, settings="{}", quick=False)
    >>> path = Path(tempfile.mkdtemp()) / "s.csv"
    >>> pd.DataFrame([{**row, "iteration": 0, "run": 0}, {**row, "iteration": 0, "run": 1},
    ...               {**row, "iteration": 10, "run": 0}, {**row, "seed": 1, "iteration": 0, "run": 0}]).to_csv(path)
    >>> [(r["iteration"], r["run"]) for r in finished_rows(path, a, {})]
    [(0, 0), (0, 1)]
    """
    if not csv.exists():
        return []
    df = pd.read_csv(csv, keep_default_na=False)
    same = ((df["dataset"] == a.dataset) & (df["rate"] == a.rate) & (df["method"] == a.method)
            & df["seed"].isin(a.seeds) & (df["settings"] == json.dumps(settings))
            & (df["quick"].astype(str) == str(a.quick)))
    df = df[same]
    complete = df.groupby(["seed", "iteration"])["run"].transform("count") == a.runs
    return df[complete].to_dict("records")


def summary(df: pd.DataFrame) -> str:
    """Per seed: the iteration and mean test accuracy (%) each rule keeps, the best-test gap,
    and the rank correlation of the GNTK score with validation accuracy over the snapshots.

    >>> df = pd.DataFrame({"seed": [0] * 6, "iteration": [0, 0, 10, 10, 20, 20], "val": [.5, .5, .7, .7, .6, .6],
    ...                    "test": [.8, .8, .6, .6, .7, .7], "gntk_score": [.3, .3, .1, .1, .2, .2]})
    >>> print(summary(df).splitlines()[-1])
    | 0 | 10: 60.00 | 20: 70.00 | 10: 60.00 | 0: 80.00 | +20.00 | -1.00 |
    """
    lines = ["| seed | validation (ours): iteration: test | last | GNTK score (SFGC's rule) "
             "| best test (authors' protocol, upper bound) | best test − validation "
             "| Spearman(GNTK score, validation) |", "|---|---|---|---|---|---|---|"]
    for seed, g in df.groupby("seed"):
        per_it = g.groupby("iteration")[["val", "test", "gntk_score"]].mean()
        after_start = per_it.index > 0
        picks = [per_it["val"].idxmax(), per_it.index.max(), per_it["gntk_score"][after_start].idxmin(),
                 per_it["test"].idxmax()]
        cells = [f"{it}: {100 * per_it.loc[it, 'test']:.2f}" for it in picks]
        gap = 100 * (per_it.loc[picks[3], "test"] - per_it.loc[picks[0], "test"])
        rho = per_it["gntk_score"].corr(per_it["val"], method="spearman")
        lines.append(f"| {seed} | {' | '.join(cells)} | {gap:+.2f} | {rho:.2f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
