"""Coreset selection rules shared by the homogeneous and heterogeneous coresets.

Each rule picks ``k`` rows of ``emb`` (the candidates of one class) and returns their
positions. Herding and K-Center follow GCond's coreset code: herding greedily keeps
the running mean closest to the class mean; K-Center starts from the node nearest
the class mean and repeatedly adds the node farthest from the chosen centres.

Example:
    >>> import torch
    >>> emb = torch.tensor([[0.0], [1.0], [10.0], [0.5]])
    >>> kcenter(emb, 2, torch.Generator().manual_seed(0)).tolist()
    [1, 2]
"""
from __future__ import annotations

import torch
from torch import Tensor


def random_pick(emb: Tensor, k: int, gen: torch.Generator) -> Tensor:
    """``k`` positions uniformly at random."""
    return torch.randperm(emb.size(0), generator=gen)[:k]


def herding(emb: Tensor, k: int, gen: torch.Generator) -> Tensor:
    """Greedy herding: each step adds the row that brings the running mean closest to the mean."""
    mu = emb.mean(0)
    chosen: list[int] = []
    left = torch.ones(emb.size(0), dtype=torch.bool)
    total = torch.zeros_like(mu)
    for i in range(k):
        target = mu * (i + 1) - total
        dist = (emb - target).norm(dim=1).masked_fill(~left, float("inf"))
        j = int(dist.argmin())
        chosen.append(j)
        left[j] = False
        total = total + emb[j]
    return torch.tensor(chosen, dtype=torch.long)


def kcenter(emb: Tensor, k: int, gen: torch.Generator) -> Tensor:
    """Greedy K-Center from the row nearest the mean."""
    first = int((emb - emb.mean(0)).norm(dim=1).argmin())
    chosen = [first]
    mind = (emb - emb[first]).norm(dim=1)
    for _ in range(k - 1):
        j = int(mind.argmax())
        chosen.append(j)
        mind = torch.minimum(mind, (emb - emb[j]).norm(dim=1))
    return torch.tensor(chosen, dtype=torch.long)


RULES = {"random": random_pick, "herding": herding, "kcenter": kcenter}


def select_per_class(
    rule: str, emb: Tensor, labels: Tensor, candidates: Tensor, per_class: dict[int, int], gen: torch.Generator
) -> Tensor:
    """Node ids chosen by ``rule`` among ``candidates``, ``per_class[c]`` for class ``c``
    (``labels`` are class ids of the candidates), ordered by class."""
    out = []
    for c, k in per_class.items():
        pool = candidates[labels == c]
        if pool.numel() < k:
            raise ValueError(f"class {c} has {pool.numel()} candidates, fewer than its budget {k}")
        out.append(pool[RULES[rule](emb[pool], k, gen)])
    return torch.cat(out)
