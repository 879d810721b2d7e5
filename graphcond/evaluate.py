"""The single evaluation protocol.

Train a fresh model on the condensed graph, select the epoch on the ORIGINAL graph's
validation nodes, report the original graph's test metric; repeat for ``runs`` model
seeds and, when several condensed graphs (condensation seeds) are given, for each.
Results are tidy rows (one per condensed graph and run) with timings and peak memory.

Example:
    >>> from graphcond import condense, evaluate, load_dataset
    >>> cora = load_dataset("cora")                                         # doctest: +SKIP
    >>> res = evaluate(condense(cora, "whole"), cora, model="gcn", runs=5)   # doctest: +SKIP
    >>> round(res.mean, 2)                                                   # doctest: +SKIP
    0.81
"""
from __future__ import annotations

import dataclasses
import statistics
from dataclasses import dataclass, field
from typing import Callable, Sequence

import pandas as pd

from .condensed import Condensed
from .data import is_hetero
from .methods.base import load_presets, preset_for_rate
from .runtime import measure, resolve_device
from .training import TrainConfig, fit

# kind -> (fit function, metric name, default model, config class); heterogeneous evaluators register themselves here.
EVALUATORS: dict[str, tuple[Callable, str, str, type]] = {"homogeneous": (fit, "accuracy", "gcn", TrainConfig)}


def register_evaluator(kind: str, fit_fn: Callable, metric: str, default_model: str,
                       config: type = TrainConfig) -> None:
    """Make ``evaluate`` train graphs of ``kind`` with ``fit_fn(train, eval, cfg, device, seed)``
    (``default_model`` when the caller names none; ``cfg`` a ``config``)."""
    EVALUATORS[kind] = (fit_fn, metric, default_model, config)


def authors_settings(dataset: str, rate: float | None) -> dict:
    """The GEOM authors' evaluation settings for ``dataset`` at ``rate`` (their
    ``config_test.json``; ``graphcond/presets/evaluation.json``) as :func:`evaluate`
    overrides. They differ per dataset and rate, where the workbench trains every graph
    with one protocol (:class:`~graphcond.training.TrainConfig`); an option, to compare
    with the papers' numbers.

    >>> authors_settings("citeseer", 0.25)
    {'lr': 0.003, 'weight_decay': 0.005, 'dropout': 0.3, 'epochs': 500}
    """
    table = load_presets("evaluation")
    found = {} if rate is None else preset_for_rate(table.get(dataset, {}), rate)
    if not found:
        known = {k: sorted(v) for k, v in table.items() if not k.startswith("_")}
        raise KeyError(f"no authors' evaluation settings for {dataset!r} at rate {rate}; known: {known}")
    return dict(found)


def _std(values: list[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


@dataclass
class Evaluation:
    """Tidy result rows plus summary statistics (fractions in [0, 1])."""

    rows: list[dict] = field(default_factory=list)
    metric: str = "accuracy"

    @property
    def values(self) -> list[float]:
        return [r["test"] for r in self.rows]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def std(self) -> float:
        return _std(self.values)

    def seed_means(self) -> list[float]:
        """Mean test metric of each condensed graph (condensation seed)."""
        by_seed: dict = {}
        for r in self.rows:
            by_seed.setdefault((r["condense_seed"], r["condensed_id"]), []).append(r["test"])
        return [statistics.fmean(v) for v in by_seed.values()]

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def summary(self) -> dict:
        """``metric``, ``mean``, ``std`` over all runs, ``runs``, and the spread over
        condensation seeds (``seed_std``: std of the per-graph means)."""
        first = self.rows[0]
        seeds = self.seed_means()
        return {
            "dataset": first["dataset"],
            "method": first["method"],
            "model": first["model"],
            "ratio": first["ratio"],
            "rate": first["rate"],
            "condensed_target_nodes": first["condensed_target_nodes"],
            "metric": self.metric,
            "mean": self.mean,
            "std": self.std,
            "runs": len(self.rows),
            "condense_seeds": len(seeds),
            "seed_std": _std(seeds),
            "condense_s": statistics.fmean(r["condense_s"] for r in self.rows),
            "eval_s": statistics.fmean(r["eval_s"] for r in self.rows),
            "eval_peak_mb": max(r["eval_peak_mb"] for r in self.rows),
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"Evaluation({s['method']} on {s['dataset']} with {s['model']}: {s['metric']} "
            f"{100 * s['mean']:.2f} ± {100 * s['std']:.2f} over {s['runs']} runs)"
        )


def evaluate(
    condensed: Condensed | Sequence[Condensed],
    data,
    model: str | None = None,
    runs: int = 5,
    device: str = "auto",
    seed: int = 0,
    **train_overrides,
) -> Evaluation:
    """Evaluate one or several condensed graphs of ``data`` (see module docstring).

    ``train_overrides`` set :class:`~graphcond.training.TrainConfig` fields
    (``epochs``, ``lr``, ``weight_decay``, ``hidden``, ``nlayers``, ``dropout``); on a
    heterogeneous graph those not given take the model's own defaults
    (:class:`~graphcond.training.HeteroTrainConfig`). ``model`` defaults to ``"gcn"``
    (homogeneous) or ``"sehgnn"`` (heterogeneous).
    """
    graphs = [condensed] if isinstance(condensed, Condensed) else list(condensed)
    if not graphs:
        raise ValueError("nothing to evaluate")
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = set(train_overrides) - fields
    if unknown:
        raise KeyError(f"unknown training setting(s) {sorted(unknown)}; settings: {sorted(fields)}")
    fit_fn, metric, default_model, config = EVALUATORS["heterogeneous" if is_hetero(data) else "homogeneous"]
    cfg = config(model=model or default_model, **train_overrides)
    dev = resolve_device(device)
    out = Evaluation(metric=metric)
    for gid, c in enumerate(graphs):
        c.check_dataset(data)
        for run in range(runs):
            with measure(dev) as m:
                res = fit_fn(c.graph, data, cfg, dev, seed + run)
            out.rows.append(
                {
                    "dataset": c.meta["dataset"],
                    "method": c.meta["method"],
                    "ratio": c.meta["ratio"],
                    "rate": c.meta["rate"],
                    "condensed_target_nodes": c.meta["counts"]["condensed_target_nodes"],
                    "condense_seed": c.meta["seed"],
                    "condensed_id": gid,
                    "model": cfg.model,
                    "run": run,
                    "metric": metric,
                    "val": res.val,
                    "test": res.test,
                    "best_epoch": res.epoch,
                    "eval_s": m.seconds,
                    "eval_peak_mb": m.peak_mb,
                    "condense_s": c.meta["timings"]["condense_s"],
                    "condense_peak_mb": c.meta["timings"]["condense_peak_mb"],
                }
            )
    return out
