"""The gradient-matching loss and per-class gradients of a relay model.

GCond's ``match_loss`` with its ``'ours'`` distance: for every weight matrix, the sum
over output units of ``1 - cos(g_real, g_syn)`` (rows of an ``nn.Linear`` weight,
i.e. columns of GCond's ``in x out`` weights); one-dimensional parameters (biases,
BatchNorm) contribute nothing, as in GCond's ``distance_wb``.

Example:
    >>> import torch
    >>> g = [torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.ones(2)]
    >>> round(float(match_loss(g, g)), 4)  # 1e-6 per row from the eps
    0.0
    >>> float(match_loss([torch.tensor([[1.0, 0.0]])], [torch.tensor([[0.0, 1.0]])]))
    1.0
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...models import build_model

EPS = 1e-6  # GCond's distance_wb: cos = <a, b> / (|a| |b| + 1e-6)


def layer_distance(g_real: Tensor, g_syn: Tensor) -> Tensor:
    """``sum_rows (1 - cos(row_real, row_syn))`` for a weight gradient (0 for vectors)."""
    if g_real.dim() == 1:
        return g_syn.new_zeros(())
    a, b = g_real.flatten(1), g_syn.flatten(1)
    cos = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1) + EPS)
    return (1 - cos).sum()


def match_loss(g_syn: Sequence[Tensor], g_real: Sequence[Tensor]) -> Tensor:
    """GCond's ``'ours'`` distance summed over the parameters (see module docstring)."""
    return sum((layer_distance(r, s) for r, s in zip(g_real, g_syn)), g_syn[0].new_zeros(()))


RELAYS = ("sgc", "sgc-mlp", "gcn")


def build_relay(kind: str, in_dim: int, num_classes: int, hidden: int, nlayers: int) -> nn.Module:
    """The relay model of GCond, dropout 0: ``sgc`` (GCond's ``--sgc=1``, its
    ``models/sgc_2.py``: one weight, ``nlayers`` propagations); ``sgc-mlp`` (GCond's
    ``--sgc=2``, its ``models/sgc.py``, used for Flickr: a two-layer MLP of ``hidden``
    units with ReLU, then ``nlayers`` propagations, i.e. APPNP with teleport 0); ``gcn``
    / any registered model (``nlayers`` layers of ``hidden`` units).

    Example:
        >>> relay = build_relay("sgc-mlp", 4, 3, hidden=8, nlayers=2)
        >>> relay.K, relay.alpha, len(relay.layers)
        (2, 0.0, 2)
    """
    if kind == "sgc":
        return build_model("sgc", in_dim, num_classes, K=nlayers, dropout=0.0)
    if kind == "sgc-mlp":
        return build_model("appnp", in_dim, num_classes, hidden=hidden, nlayers=2, dropout=0.0, K=nlayers, alpha=0.0)
    return build_model(kind, in_dim, num_classes, hidden=hidden, nlayers=nlayers, dropout=0.0)


def per_class_losses(logits: Tensor, y: Tensor, groups: Sequence[Tensor]) -> list[Tensor]:
    """Mean cross-entropy of each group of rows (one group per class)."""
    return [F.cross_entropy(logits[g], y[g]) for g in groups]


def class_gradients(
    losses: Sequence[Tensor], params: Sequence[Tensor], create_graph: bool = False, batched: bool = False
) -> list[list[Tensor]]:
    """Gradients of each loss w.r.t. ``params`` from ONE shared forward pass.

    ``batched=True`` runs the per-class backward passes as one vectorised backward
    (``is_grads_batched``; first-order only); it raises where a kernel does not support
    it (sparse features), and callers then fall back to ``batched=False``: one backward
    per class over the shared graph.
    """
    if batched and not create_graph and len(losses) > 1:
        stacked = torch.stack(list(losses))
        eye = torch.eye(len(losses), dtype=stacked.dtype, device=stacked.device)
        out = torch.autograd.grad(stacked, params, eye, retain_graph=True, is_grads_batched=True)
        return [[g[i].detach() for g in out] for i in range(len(losses))]
    out = []
    for loss in losses:
        grads = torch.autograd.grad(loss, params, create_graph=create_graph, retain_graph=True)
        out.append(list(grads) if create_graph else [g.detach() for g in grads])
    return out
