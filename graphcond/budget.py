"""Condensation budgets: ``ratio`` and ``rate``, and per-class node counts.

Two conventions, never both at once:

- ``ratio`` = condensed target nodes / ALL target nodes (the papers' convention:
  Cora 2.6% -> int(0.026 * 2708) = 70 nodes; ACM 2.4% -> 72 papers);
- ``rate`` = condensed target nodes / labelled TRAINING nodes (the authors' code:
  Cora rate 0.5 -> 70 nodes). Papers quote rounded percentages, so the authors'
  exact counts come from ``rate`` (Citeseer 1.8% is rate 0.5 = 60 nodes, whereas
  ratio 0.018 gives int(59.9) = 59).

Per-class budgets follow GCond/FreeHGC: every class but the largest gets
``max(int(n_c * n / n_train), 1)``, the largest the rest.

Example:
    >>> import torch
    >>> b = make_budget(torch.tensor([0] * 20 + [1] * 20), num_nodes=200, rate=0.5)
    >>> b.n, b.per_class, round(b.ratio, 3)
    (20, {0: 10, 1: 10}, 0.1)
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch


class BudgetError(ValueError):
    """A ratio/rate outside (0, 1], both or neither given, or a class left empty."""


@dataclass(frozen=True)
class Budget:
    """How many target nodes to keep: ``n`` in all and ``per_class``."""

    n: int
    ratio: float
    rate: float
    per_class: dict[int, int]
    num_nodes: int
    num_train: int

    def as_dict(self) -> dict:
        d = asdict(self)
        d["per_class"] = {str(k): v for k, v in self.per_class.items()}
        return d


def class_ids(y: torch.Tensor) -> torch.Tensor:
    """Class id per row: the label itself, or for multi-label rows the index of the
    distinct label vector (each distinct vector counts as one class)."""
    if y.dim() == 1:
        return y.long()
    return torch.unique(y, dim=0, return_inverse=True)[1]


def check_fraction(name: str, value: float) -> float:
    if not 0 < value <= 1:
        raise BudgetError(f"{name} must be in (0, 1], got {value}")
    return float(value)


def make_budget(
    train_labels: torch.Tensor,
    num_nodes: int,
    ratio: float | None = None,
    rate: float | None = None,
) -> Budget:
    """The budget for ``ratio`` or ``rate`` given the training labels of the target type."""
    if (ratio is None) == (rate is None):
        raise BudgetError("give exactly one of ratio (share of all target nodes) or rate (share of training nodes)")
    ids = class_ids(train_labels)
    n_train = ids.numel()
    if ratio is not None:
        n = int(check_fraction("ratio", ratio) * num_nodes)
    else:
        n = int(check_fraction("rate", rate) * n_train)
    classes, counts = torch.unique(ids, return_counts=True)
    per_class = class_split(classes, counts, n)
    if per_class is None:
        low = next(m for m in range(n + 1, n_train + 1) if class_split(classes, counts, m) is not None)
        smallest = (f"ratio {smallest_fraction(low, num_nodes)}" if ratio is not None
                    else f"rate {smallest_fraction(low, n_train)}")
        raise BudgetError(
            f"a budget of {n} nodes cannot give each of the {len(classes)} classes a node; "
            f"raise the ratio/rate: the smallest that does is {smallest} ({low} nodes)"
        )
    return Budget(n, n / num_nodes, n / n_train, dict(sorted(per_class.items())), num_nodes, n_train)


def class_split(classes: torch.Tensor, counts: torch.Tensor, n: int) -> dict[int, int] | None:
    """``n`` nodes split over the classes (every class but the largest ``max(int(n_c * n /
    n_train), 1)``, the largest the rest), or ``None`` where the largest would get none."""
    n_train = int(counts.sum())
    per_class = {int(c): max(int(k * n / n_train), 1) for c, k in zip(classes, counts)}
    largest = int(classes[counts.argmax()])
    rest = n - sum(v for c, v in per_class.items() if c != largest)
    if rest < 1:
        return None
    per_class[largest] = rest
    return per_class


def smallest_fraction(k: int, total: int) -> float:
    """The smallest 4-decimal fraction ``f`` with ``int(f * total) >= k``.

    >>> smallest_fraction(2, 340)
    0.0059
    """
    f = math.ceil(k / total * 1e4) / 1e4
    return f if int(f * total) >= k else round(f + 1e-4, 4)


def budget_for(data, ratio: float | None = None, rate: float | None = None) -> Budget:
    """:func:`make_budget` for a loaded graph (its target type's training labels)."""
    from .data.registry import target_store

    store = target_store(data)
    return make_budget(store.y[store.train_mask], store.num_nodes, ratio=ratio, rate=rate)
