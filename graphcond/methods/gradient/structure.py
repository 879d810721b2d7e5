"""Structure learners: a synthetic adjacency as a function of the synthetic features.

``PGE`` is GCond's parametrised graph generator: an MLP over the concatenated feature
pairs ``[x_i, x_j]`` (``nlayers`` linear layers, ``hidden`` units, BatchNorm and ReLU
between them), reshaped to ``n x n``, symmetrised ``(A + A^T) / 2``, squashed by a
sigmoid, diagonal set to 0. The first layer on a pair equals ``x_i W_a + x_j W_b``,
so it is computed from two ``n x hidden`` products instead of ``n^2`` concatenated
rows (identical values, far cheaper). BatchNorm always uses the batch statistics
(GCond never switches the PGE to eval mode).

``NoStructure`` is the identity adjacency: an all-zero matrix, which the GCN
normalisation turns into ``I``. Structure-free condensation (GCond-X, DC-Graph) matches
on it with ``matching_adjacency="identity"``; by default it matches on an untrained PGE.

Example:
    >>> import torch
    >>> pge = PGE(in_dim=3, hidden=8, nlayers=3)
    >>> a = pge(torch.randn(5, 3))
    >>> bool(torch.allclose(a, a.t())), a.shape
    (True, torch.Size([5, 5]))
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class PGE(nn.Module):
    """GCond's PGE (see module docstring)."""

    learns_structure = True

    def __init__(self, in_dim: int, hidden: int = 128, nlayers: int = 3):
        super().__init__()
        if nlayers < 2:
            raise ValueError("PGE needs at least 2 layers")
        self.first = nn.Linear(2 * in_dim, hidden)
        self.hidden_layers = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(nlayers - 2))
        self.bns = nn.ModuleList(nn.BatchNorm1d(hidden) for _ in range(nlayers - 1))
        self.out = nn.Linear(hidden, 1)
        self.in_dim = in_dim

    def forward(self, x: Tensor) -> Tensor:
        n = x.size(0)
        w_a, w_b = self.first.weight[:, : self.in_dim], self.first.weight[:, self.in_dim :]
        h = (x @ w_a.t()).unsqueeze(1) + (x @ w_b.t()).unsqueeze(0) + self.first.bias  # [n, n, hidden]
        h = h.reshape(n * n, -1)
        h = F.relu(F.batch_norm(h, None, None, self.bns[0].weight, self.bns[0].bias, True))
        for lin, bn in zip(self.hidden_layers, self.bns[1:]):
            h = F.relu(F.batch_norm(lin(h), None, None, bn.weight, bn.bias, True))
        adj = self.out(h).view(n, n)
        adj = torch.sigmoid((adj + adj.t()) / 2)
        return adj * (1 - torch.eye(n, dtype=adj.dtype, device=adj.device))

    @torch.no_grad()
    def inference(self, x: Tensor) -> Tensor:
        return self.forward(x)


class NoStructure(nn.Module):
    """The identity adjacency (no edges)."""

    learns_structure = False

    def forward(self, x: Tensor) -> Tensor:
        return x.new_zeros(x.size(0), x.size(0))

    inference = forward


def sparsify(adj: Tensor, threshold: float) -> tuple[Tensor, Tensor]:
    """``edge_index``/``edge_weight`` of the entries of ``adj`` at or above ``threshold``
    (GCond's evaluation zeroes the smaller ones)."""
    adj = adj.detach()
    keep = adj >= threshold
    keep.fill_diagonal_(False)
    ei = keep.nonzero().t().contiguous()
    return ei, adj[keep].contiguous()
