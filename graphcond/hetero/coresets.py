"""Heterogeneous coreset baselines ``random-hg``, ``herding-hg`` and ``kcenter-hg``:
target nodes per class (class ids as in the budget; multi-label rows by distinct label
vector) at random, or by herding / K-Center (``graphcond.methods.selection``) on the
embeddings of a SeHGNN trained on the whole graph's training nodes
(:func:`~graphcond.hetero.sehgnn.sehgnn_embeddings`: ``epochs`` and ``model_seed``
config fields; the model seed defaults to the condensation seed); other types as in
the FreeHGC authors' baselines (``others="random"``, default: ``int(r * N)`` random nodes
per type, 10% of the type if that is 0, with the induced edges; their
``data_selection.py``) or by the same rule as FreeHGC (``others="freehgc"``: PPR
fathers, hyper-node leaves, so only the target selection differs from FreeHGC).

The choice decides the comparison. SeHGNN micro-F1, 3 seeds, rate 0.05 / 0.1 (1.2 /
2.4%): Random-HG with random other types DBLP 60.4 / 67.5, ACM 58.3 / 78.4, below
FreeHGC (DBLP 80.5 / 87.6, ACM 84.3 / 88.7); with FreeHGC's other types DBLP 87.7 /
91.1, ACM 89.3 at 2.4%, above it: FreeHGC's receptive-field selection picks prolific
targets whose neighbours the type budgets cannot keep.

Example:
    >>> from graphcond import condense, load_dataset
    >>> acm = load_dataset("acm")                                   # doctest: +SKIP
    >>> condense(acm, "random-hg", rate=0.1, seed=0).graph["paper"].num_nodes  # doctest: +SKIP
    72
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from ..budget import Budget, class_ids
from ..methods.base import Method, register_method
from ..methods.selection import select_per_class
from .freehgc import FreeHGCConfig, condense_others
from ..training import HeteroTrainConfig
from .metapaths import default_hops, enumerate_metapaths
from .sehgnn import sehgnn_embeddings


@dataclass
class RandomHGConfig:
    others: str = "random"  # "random" (the FreeHGC authors' baselines) | "freehgc"
    hops: int | None = None


@dataclass
class EmbeddingHGConfig(RandomHGConfig):
    epochs: int = 500  # SeHGNN trained on the whole graph for the embeddings
    model_seed: int | None = None  # None: the condensation seed


def _condense_around(data, targets, budget: Budget, cfg_in, gen):
    cfg = FreeHGCConfig(hops=cfg_in.hops)
    if cfg_in.others == "random":
        cfg = dataclasses.replace(cfg, other_types="random")
    hops = default_hops(getattr(data, "name", None), override=cfg.hops)
    paths = enumerate_metapaths(data, data.target, hops)
    return condense_others(data, targets, budget.ratio, paths, cfg, gen)


@register_method
class RandomHG(Method):
    name, kind, Config = "random-hg", "heterogeneous", RandomHGConfig
    summary = "target nodes at random per class; other types at random (or as FreeHGC)"
    rule = "random"

    def embeddings(self, data, train, seed, device) -> torch.Tensor:
        return torch.zeros(int(data[data.target].num_nodes), 1)  # random needs only the row count

    def run(self, data, budget: Budget, seed, device, progress):
        gen = torch.Generator().manual_seed(seed)
        store = data[data.target]
        train = store.train_mask.nonzero().view(-1)
        ids = class_ids(store.y[train])
        emb = self.embeddings(data, train, seed, device)
        targets = select_per_class(self.rule, emb, ids, train, budget.per_class, gen)
        return _condense_around(data, targets, budget, self.config, gen)


class _EmbeddingHG(RandomHG):
    Config = EmbeddingHGConfig

    def embeddings(self, data, train, seed, device) -> torch.Tensor:
        ms = seed if self.config.model_seed is None else self.config.model_seed
        cfg = HeteroTrainConfig(model="sehgnn", epochs=self.config.epochs)
        emb = sehgnn_embeddings(data, train, cfg, device if device is not None else torch.device("cpu"), ms)
        full = torch.zeros(int(data[data.target].num_nodes), emb.size(1))
        full[train] = emb
        return full


@register_method
class HerdingHG(_EmbeddingHG):
    name, rule = "herding-hg", "herding"
    summary = "target nodes by herding on whole-graph SeHGNN embeddings; other types at random (or as FreeHGC)"


@register_method
class KCenterHG(_EmbeddingHG):
    name, rule = "kcenter-hg", "kcenter"
    summary = "target nodes by K-Center on whole-graph SeHGNN embeddings; other types at random (or as FreeHGC)"
