"""Heterogeneous coreset baseline ``random-hg``: target nodes at random per class (class
ids as in the budget; multi-label rows by distinct label vector), other types by the
same rule as FreeHGC (PPR fathers, hyper-node leaves; ``others="freehgc"``) or
``int(r * N)`` random nodes per type with induced edges (``others="random"``).

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
from .metapaths import default_hops, enumerate_metapaths


@dataclass
class RandomHGConfig:
    others: str = "freehgc"  # "freehgc" | "random"
    hops: int | None = None


@register_method
class RandomHG(Method):
    name, kind, Config = "random-hg", "heterogeneous", RandomHGConfig
    summary = "target nodes at random per class; other types as FreeHGC (or at random)"

    def run(self, data, budget: Budget, seed, device, progress):
        gen = torch.Generator().manual_seed(seed)
        store = data[data.target]
        train = store.train_mask.nonzero().view(-1)
        ids = class_ids(store.y[train])
        emb = torch.zeros(int(store.num_nodes), 1)  # random needs no embedding, only row count
        targets = select_per_class("random", emb, ids, train, budget.per_class, gen)
        cfg = FreeHGCConfig(hops=self.config.hops)
        if self.config.others == "random":
            cfg = dataclasses.replace(cfg, other_types="random")
        hops = default_hops(getattr(data, "name", None), override=cfg.hops)
        paths = enumerate_metapaths(data, data.target, hops)
        return condense_others(data, targets, budget.ratio, paths, cfg, gen)
