"""The heterogeneous evaluators by name: ``sehgnn`` (default), ``han``, ``hgt``,
``hgt-pyg``, ``simple-hgn``, ``simple-hgn-pyg``, ``rgcn``; :func:`fit_heterogeneous` is
what ``evaluate`` calls for a ``HeteroData``.

Example:
    >>> sorted(HETERO_MODELS)
    ['han', 'hgt', 'hgt-pyg', 'rgcn', 'sehgnn', 'simple-hgn', 'simple-hgn-pyg']
"""
from __future__ import annotations

from ..evaluate import register_evaluator
from ..training import HeteroTrainConfig
from .message_passing import MODELS, fit_message_passing
from .sehgnn import HeteroFitResult, fit_sehgnn

HETERO_MODELS = {"sehgnn": fit_sehgnn} | {name: fit_message_passing for name in MODELS}


def fit_heterogeneous(train_graph, eval_graph, cfg: HeteroTrainConfig, device, seed: int) -> HeteroFitResult:
    """Train ``cfg.model`` on ``train_graph``, select on ``eval_graph``'s validation nodes
    (``cfg``'s fields left ``None`` take the model's defaults)."""
    fit = HETERO_MODELS.get(cfg.model.lower())
    if fit is None:
        raise ValueError(f"heterogeneous graphs are evaluated with one of {sorted(HETERO_MODELS)}, not {cfg.model!r}")
    return fit(train_graph, eval_graph, cfg, device, seed)


register_evaluator("heterogeneous", fit_heterogeneous, "micro-f1", "sehgnn", HeteroTrainConfig)
