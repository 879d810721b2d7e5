"""``condense``: one call for every method and dataset.

Example:
    >>> from graphcond import condense, load_dataset
    >>> cora = load_dataset("cora")                                  # doctest: +SKIP
    >>> c = condense(cora, method="random", ratio=0.026, seed=0)      # doctest: +SKIP
    >>> c.meta["counts"]["condensed_target_nodes"]                     # doctest: +SKIP
    70
"""
from __future__ import annotations

import dataclasses

import torch

from . import __version__
from .budget import budget_for
from .condensed import Condensed, storage_bytes
from .data import is_hetero, target_store
from .methods.base import get_method, resolve_config
from .runtime import measure, resolve_device, seed_everything


class CondensationError(RuntimeError):
    """A condensation produced an unusable graph (non-finite features or labels)."""


def _check_finite(graph) -> None:
    stores = graph.node_stores
    for store in stores:
        for key in ("x", "y"):
            v = store.get(key)
            if isinstance(v, torch.Tensor) and v.is_floating_point() and not torch.isfinite(v).all():
                raise CondensationError(f"condensation produced non-finite {key!r}; refusing to return it")


def _counts(graph) -> dict:
    if is_hetero(graph):
        return {f"nodes:{t}": int(graph[t].num_nodes) for t in graph.node_types} | {
            "condensed_target_nodes": int(graph[graph.target].num_nodes)
        }
    return {"condensed_target_nodes": int(graph.num_nodes), "condensed_edges": int(graph.edge_index.size(1))}


def condense(
    data,
    method: str,
    ratio: float | None = None,
    rate: float | None = None,
    seed: int = 0,
    device: str = "auto",
    quick: bool = False,
    progress: bool = True,
    **overrides,
) -> Condensed:
    """Condense ``data`` with ``method`` to ``ratio`` (of all target nodes) or ``rate``
    (of training nodes). ``quick`` selects the method's quick preset; keyword
    ``overrides`` set any config field. Bad input is refused before any work."""
    cls = get_method(method)
    hetero = is_hetero(data)
    if cls.kind != "any" and (cls.kind == "heterogeneous") != hetero:
        raise ValueError(
            f"method {cls.name!r} is for {cls.kind} graphs; dataset {getattr(data, 'name', '?')!r} is "
            f"{'heterogeneous' if hetero else 'homogeneous'}"
        )
    store = target_store(data)
    budget = None
    if cls.needs_budget or ratio is not None or rate is not None:
        budget = budget_for(data, ratio=ratio, rate=rate)
    config = resolve_config(cls, data.name, budget.rate if budget else None, quick, overrides)
    dev = resolve_device(device)
    seed_everything(seed)
    runner = cls(config)
    with measure(dev) as m:
        graph = runner.run(data, budget, seed, dev, progress)
    _check_finite(graph)
    for key in ("num_classes", "multilabel", "target", "modalities"):
        if key in data:
            graph[key] = data[key]
    meta = {
        "method": cls.name,
        "config": dataclasses.asdict(config),
        "quick": quick,
        "dataset": data.name,
        "dataset_options": getattr(data, "dataset_options", {}),
        "source_hash": data.source_hash,
        "seed": seed,
        "ratio": budget.ratio if budget else 1.0,
        "rate": budget.rate if budget else None,
        "requested": {"ratio": ratio, "rate": rate},
        "budget": budget.as_dict() if budget else None,
        "counts": _counts(graph) | {"original_target_nodes": int(store.num_nodes)},
        "storage_mb": round(storage_bytes(graph) / 2**20, 3),
        "device": str(dev),
        "timings": {"condense_s": round(m.seconds, 3), "condense_peak_mb": round(m.peak_mb, 1)},
        "library_version": __version__,
        "info": getattr(runner, "info", {}),
    }
    return Condensed(graph, meta)
