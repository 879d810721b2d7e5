"""FreeHGC vs Random-HG (and optionally Herding-HG / K-Center-HG) vs the whole graph
with the SeHGNN evaluator (or several: ``--models sehgnn,han,hgt,simple-hgn``, the
cross-model table; every condensed graph is evaluated by each).

ACM / DBLP / IMDB at rates 0.05 / 0.1 / 0.2 / 0.4 of the training labels (ACM/DBLP
ratios 1.2 / 2.4 / 4.8 / 9.6%), 5 condensation seeds (one SeHGNN run each, model seed
= condensation seed), plus whole-graph SeHGNN; micro-F1 (and macro-F1) on the original
test nodes. Writes tidy rows (CSV) and a mean ± std table (Markdown); each row also has
the wall time, the condensed graph's storage and the peak memory (``condense_peak_mb``,
``eval_peak_mb``: CUDA's peak allocation, or on CPU the process's resident-set peak, reset
before each block, so it includes the loaded dataset) of condensing and of evaluating.

    python benchmarks/freehgc.py                    # full grid (hours on 2 CPU cores)
    python benchmarks/freehgc.py --quick            # ACM, rate 0.1, 2 seeds
    python benchmarks/freehgc.py --methods freehgc,random-hg,herding-hg,kcenter-hg
    python benchmarks/freehgc.py --datasets acm --rates 0.1 --methods freehgc,herding-hg --models sehgnn,han,hgt,simple-hgn
    python benchmarks/freehgc.py --datasets mutag --ratios 0.0059,0.01,0.02 --models rgcn   # of all target nodes (0.5% is 1 node: too few)
    python benchmarks/freehgc.py --datasets acm --rates 0.1 --methods coarsening-hg --set candidates=edges
    python benchmarks/freehgc.py --datasets acm --rates 0.1 --methods freehgc --sehgnn select=loss   # evaluator option
    python benchmarks/freehgc.py --datasets dblp --methods "" --models simple-hgn --mp features=hgb  # HAN/HGT/Simple-HGN/R-GCN option
    python benchmarks/freehgc.py --datasets dblp --rates 0.1 --methods freehgc --models simple-hgn --train lr=0.0005 --train hidden=512
    python benchmarks/freehgc.py --datasets acm --rates 0.05 --methods freehgc,random-hg --label-reference
    python benchmarks/freehgc.py --rates 0.1 --methods freehgc,hgcond --models ""   # condensation time and storage only

``--label-reference`` adds, for every condensed graph whose target nodes are selected
(not synthesised), a row "METHOD: labels on whole graph": the evaluator trained on the
WHOLE graph with only those target nodes labelled. Nothing is condensed there but the
labels, so it is what the selection alone allows (a reference, not a bound: a condensed
graph may still score above it), and the gap between the two rows is what condensing
the other types costs.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import itertools
from pathlib import Path

import pandas as pd
import torch

import graphcond
from graphcond.hetero import message_passing, sehgnn
from graphcond.hetero.evaluators import fit_heterogeneous
from graphcond.methods.base import parse_value
from graphcond.training import HeteroTrainConfig
from graphcond.results import markdown
from graphcond.runtime import measure


def labels_on_whole(data, condensed):
    """``data`` with only ``condensed``'s (selected) target nodes in the training mask."""
    store = condensed[data.target]
    if "source_nodes" not in store:
        raise ValueError("--label-reference needs a method that selects target nodes "
                         "(freehgc, random-hg, herding-hg, kcenter-hg), not synthesised ones")
    out = copy.copy(data)  # new stores: the caller's graph keeps its mask
    mask = torch.zeros_like(data[data.target].train_mask)
    mask[store.source_nodes] = True
    out[data.target].train_mask = mask
    return out


def run(datasets, rates, seeds, epochs, methods, out: Path, threads: int, models=("sehgnn",),
        whole: bool = True, budget: str = "rate", overrides: dict | None = None,
        evaluator: dict | None = None, label_reference: bool = False, mp: dict | None = None,
        train: dict | None = None) -> pd.DataFrame:
    """``rates`` are shares of the training labels, or of all target nodes with ``budget="ratio"``;
    ``evaluator`` sets :data:`graphcond.hetero.sehgnn.SETTINGS` (recorded as ``sehgnn.KEY``), ``mp``
    :data:`graphcond.hetero.message_passing.SETTINGS` (recorded as ``mp.KEY``), ``train``
    :class:`~graphcond.training.HeteroTrainConfig` fields of every evaluator (``train.KEY``)."""
    torch.set_num_threads(threads)
    rows = []
    dev = torch.device("cpu")
    overrides = overrides or {}
    evaluator, mp, train = evaluator or {}, mp or {}, train or {}
    sehgnn.SETTINGS.update(evaluator)
    message_passing.SETTINGS.update(mp)
    settings = " ".join([f"{k}={v}" for k, v in overrides.items()] + [f"sehgnn.{k}={v}" for k, v in evaluator.items()]
                        + [f"mp.{k}={v}" for k, v in mp.items()] + [f"train.{k}={v}" for k, v in train.items()])
    for name in datasets:
        data = graphcond.load_dataset(name)
        jobs = [("whole", None)] * whole + [(m, r) for r in rates for m in methods]
        for method, rate in jobs:
            for seed in seeds:
                c = graphcond.condense(data, method, seed=seed, progress=False, **({budget: rate} if rate else {}),
                                       **({} if method == "whole" else overrides))
                graphs = [(method, c.graph)]
                if label_reference and method != "whole":
                    graphs.append((f"{method}: labels on whole graph", labels_on_whole(data, c.graph)))
                for (variant, graph), model in itertools.product(graphs, models or [None]):
                    with measure(dev) as m:
                        res = (fit_heterogeneous(graph, data, HeteroTrainConfig(model=model, epochs=epochs, **train),
                                                 dev, seed)
                               if model else None)  # no models: condensation time and storage only
                    rows.append({
                        "dataset": name, "method": variant, "model": model, "rate": c.meta.get("rate"),
                        "ratio": c.meta["ratio"],
                        "seed": seed, "target_nodes": c.meta["counts"]["condensed_target_nodes"],
                        "micro_f1": res and res.test, "macro_f1": res and res.test_macro,
                        "val_micro_f1": res and res.val, "best_epoch": res and res.epoch,
                        "condense_s": c.meta["timings"]["condense_s"], "storage_mb": c.meta["storage_mb"],
                        "condense_peak_mb": c.meta["timings"]["condense_peak_mb"],
                        "eval_s": m.seconds, "eval_peak_mb": res and round(m.peak_mb, 1), "settings": settings,
                    })
                    print(rows[-1], flush=True)
                    pd.DataFrame(rows).to_csv(out.parent / (out.name + ".csv"), index=False)
    df = pd.DataFrame(rows)
    table = df.groupby(["dataset", "method", "model", "rate"], dropna=False).agg(
        micro=("micro_f1", "mean"), micro_std=("micro_f1", "std"), macro=("macro_f1", "mean"),
        runs=("seed", "count"), condense_s=("condense_s", "mean"), storage_mb=("storage_mb", "mean"),
        condense_peak_mb=("condense_peak_mb", "max"), eval_peak_mb=("eval_peak_mb", "max"))
    flat = table.reset_index().round(4)
    (out.parent / (out.name + ".md")).write_text(markdown(flat, list(flat.columns)))
    print(table)
    return df


def names(text: str) -> list[str]:
    """A comma-separated list, empty items dropped: ``names("a,,b")`` -> ``['a', 'b']``, ``names("")`` -> ``[]``."""
    return [item for item in text.split(",") if item]


# --train: the HeteroTrainConfig fields but the model and the epochs (--models, --epochs)
TRAIN_KEYS = tuple(f.name for f in dataclasses.fields(HeteroTrainConfig) if f.name not in ("model", "epochs"))


def key_values(pairs: list[str]) -> dict:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}``."""
    return {k: parse_value(v) for k, v in (kv.split("=", 1) for kv in pairs)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--datasets", default="acm,dblp,imdb")
    ap.add_argument("--rates", default="0.05,0.1,0.2,0.4")
    ap.add_argument("--ratios", help="shares of all target nodes, in place of --rates (the MUTAG table)")
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--epochs", type=int, default=500)
    ap.add_argument("--methods", default="freehgc,random-hg", help='methods, comma-separated; "" for the whole-graph rows only')
    ap.add_argument("--models", default="sehgnn",
                    help='evaluators, comma-separated: sehgnn,han,hgt,simple-hgn; "" to condense only')
    ap.add_argument("--no-whole", action="store_true", help="skip the whole-graph rows")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="setting for every method")
    ap.add_argument("--sehgnn", action="append", default=[], metavar="KEY=VALUE",
                    help="SeHGNN evaluator setting (graphcond.hetero.sehgnn.SETTINGS), e.g. select=loss")
    ap.add_argument("--mp", action="append", default=[], metavar="KEY=VALUE",
                    help="setting of the message-passing evaluators (graphcond.hetero.message_passing.SETTINGS), "
                         "e.g. features=hgb")
    ap.add_argument("--train", action="append", default=[], metavar="KEY=VALUE",
                    help=f"training setting of every evaluator, one of {TRAIN_KEYS} (else each model's default), "
                         "e.g. lr=0.0005")
    ap.add_argument("--label-reference", action="store_true",
                    help="also train on the whole graph with only the selected target nodes labelled")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default="benchmarks/out/freehgc")
    a = ap.parse_args()
    if a.quick:
        a.datasets, a.rates, a.seeds = "acm", "0.1", "0,1"  # 500 epochs: patience stops it early
    evaluator, mp = key_values(a.sehgnn), key_values(a.mp)
    for given, known, flag in ((evaluator, sehgnn.SETTINGS, "--sehgnn"), (mp, message_passing.SETTINGS, "--mp")):
        if set(given) - set(known):
            ap.error(f"unknown {flag} setting(s) {sorted(set(given) - set(known))}; settings: {sorted(known)}")
    if mp.get("features", "hgb") not in message_passing.FEATURES:
        ap.error(f"--mp features must be one of {message_passing.FEATURES}")
    train = key_values(a.train)
    if set(train) - set(TRAIN_KEYS):
        ap.error(f"unknown --train setting(s) {sorted(set(train) - set(TRAIN_KEYS))}; settings: {TRAIN_KEYS}")
    if mp.get("hgt_optimizer", "adam") not in sehgnn.OPTIMIZERS:
        ap.error(f"--mp hgt_optimizer must be one of {sehgnn.OPTIMIZERS}")
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fractions = a.ratios or a.rates
    run(a.datasets.split(","), [float(r) for r in fractions.split(",")], [int(s) for s in a.seeds.split(",")],
        a.epochs, names(a.methods), out, a.threads, names(a.models), not a.no_whole,
        "ratio" if a.ratios else "rate", key_values(a.set), evaluator, a.label_reference, mp, train)


if __name__ == "__main__":
    main()
