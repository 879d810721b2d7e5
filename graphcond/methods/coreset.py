"""Homogeneous coresets (``random``, ``herding``, ``kcenter``) and the ``whole`` graph.

The coreset keeps training nodes chosen per class (budgets in proportion to the
training labels) and the subgraph they induce. Herding and K-Center choose on the
output of a GCN trained on the full graph's training nodes (GCond's coreset code).

Example:
    >>> from graphcond import condense, load_dataset
    >>> c = condense(load_dataset("cora"), method="kcenter", rate=0.5, seed=0)   # doctest: +SKIP
    >>> c.graph.num_nodes                                                         # doctest: +SKIP
    70
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch_geometric.data import Data
from torch_geometric.utils import subgraph

from ..budget import Budget
from ..data import target_store
from ..training import TrainConfig, fit, operator_for
from .base import Method, register_method
from .selection import select_per_class


def induced_subgraph(data: Data, nodes: torch.Tensor) -> Data:
    """The subgraph of ``data`` on ``nodes`` (in that order), every node a training node."""
    ew = getattr(data, "edge_weight", None)
    ei, ew = subgraph(nodes, data.edge_index, ew, relabel_nodes=True, num_nodes=data.num_nodes)
    out = Data(x=data.x[nodes], edge_index=ei, y=data.y[nodes], num_nodes=nodes.numel())
    if ew is not None:
        out.edge_weight = ew
    out.source_nodes = nodes
    return out


def embed(data: Data, device, seed: int, cfg: TrainConfig, progress: bool = False) -> torch.Tensor:
    """Outputs of a GCN trained on ``data``'s training nodes, selected on validation."""
    res = fit(data, data, cfg, device, seed, progress=progress)
    res.model.eval()
    with torch.no_grad():
        return res.model(data.x.to(device), operator_for(data, res.model.norm, device)).cpu()


@dataclass
class CoresetConfig:
    """``epochs``/``hidden``: the embedding GCN (unused by ``random``)."""

    epochs: int = 600
    hidden: int = 256


class _Coreset(Method):
    Config = CoresetConfig
    rule: str

    def run(self, data, budget: Budget, seed, device, progress):
        gen = torch.Generator().manual_seed(seed)
        train = data.train_mask.nonzero().view(-1)
        if self.rule == "random":
            emb = data.x
        else:
            cfg = TrainConfig(epochs=self.config.epochs, hidden=self.config.hidden)
            emb = embed(data, device, seed, cfg, progress)
        nodes = select_per_class(self.rule, emb, data.y[train], train, budget.per_class, gen)
        return induced_subgraph(data, nodes)


@register_method
class RandomCoreset(_Coreset):
    name, rule, summary = "random", "random", "training nodes drawn at random per class"


@register_method
class HerdingCoreset(_Coreset):
    name, rule, summary = "herding", "herding", "herding on GCN outputs per class"


@register_method
class KCenterCoreset(_Coreset):
    name, rule, summary = "kcenter", "kcenter", "K-Center on GCN outputs per class"


@register_method
class Whole(Method):
    """The original graph unchanged (its training nodes train the model)."""

    name, summary, needs_budget, kind = "whole", "the original graph, unchanged (baseline)", False, "any"

    def run(self, data, budget, seed, device, progress):
        out = data.clone()
        store = target_store(out)
        del store.val_mask, store.test_mask
        if getattr(data, "inductive", False):  # train on the train-induced subgraph
            out.edge_index = data.train_edge_index
            del out.train_edge_index
        return out
