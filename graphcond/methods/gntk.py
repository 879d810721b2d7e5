"""Graph neural tangent kernel (Du et al., 2019) and SFGC's graph neural feature score.

The GNTK of a GNN made of ``blocks`` blocks, each a mean aggregation over the neighbours
and the node itself (``P = D^-1 (A + I)``) followed by ``mlp_layers`` ReLU layers,
between two graphs: ``Σ = P1 X1 X2ᵀ P2ᵀ``, ``Θ = Σ``, then per ReLU layer, with
``d1, d2`` the square roots of the diagonals of each graph's own ``Σ`` at that layer
and ``S = Σ / d1 d2ᵀ`` clipped to [-1, 1],

    Σ ← (S (π − arccos S) + sqrt(1 − S²)) / π · d1 d2ᵀ,   Θ ← Θ · (π − arccos S) / π + Σ,

and ``Σ, Θ ← P1 · P2ᵀ`` between blocks. Θ after the last layer is the kernel (no
jumping knowledge). SFGC's defaults are 2 blocks of 2 ReLU layers (its ``GNTK(num_layers=3,
num_mlp_layers=2, jk=0, scale="degree")``). The SFGC authors' code computes the
diagonals without aggregating Σ between blocks (their ``diag`` skips that line) and then
normalises the aggregated cross-graph Σ by them; here both come from the same recursion.

:class:`FeatureScore` is SFGC's graph neural feature score: kernel ridge regression
with this kernel from a structure-free condensed graph (adjacency the identity, so
``P = I``) to the validation nodes, read on the subgraph the validation nodes induce,
as in the authors' code: ``0.5 · mean((K_vs (K_ss + λ tr(K_ss)/n I)^-1 Y_s − Y_v)²)``,
lower is better, ``λ`` their ``ntk_reg`` (1). It trains no network, so it can score
every iteration. Only validation labels are read.

Example:
    >>> x = torch.eye(3, dtype=torch.float64)
    >>> k = gntk(x, None, x, None)
    >>> torch.allclose(k, k.T), bool((torch.linalg.eigvalsh(k) > 0).all())
    (True, True)
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch_geometric.data import Data
from torch_geometric.utils import subgraph


def mean_aggregation(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """Dense ``D^-1 (A + I)`` of a graph (edges read as undirected, self loops added).

    Example:
        >>> mean_aggregation(torch.tensor([[0], [1]]), 3).tolist()
        [[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]
    """
    a = torch.eye(num_nodes, dtype=torch.float64)
    a[edge_index[0], edge_index[1]] = 1.0
    a[edge_index[1], edge_index[0]] = 1.0
    return a / a.sum(1, keepdim=True)


def _aggregate(s: torch.Tensor, p1: torch.Tensor | None, p2: torch.Tensor | None) -> torch.Tensor:
    if p1 is not None:
        s = p1 @ s
    if p2 is not None:
        s = s @ p2.T
    return s


def _relu_layer(sigma, d1, d2):
    scale = d1[:, None] * d2[None, :]
    c = (sigma / scale.clamp_min(1e-300)).clamp(-1.0, 1.0)
    angle = torch.arccos(c)
    return (c * (math.pi - angle) + torch.sqrt(1.0 - c * c)) / math.pi * scale, (math.pi - angle) / math.pi


def _recursion(x1, p1, x2, p2, scales, blocks: int, mlp_layers: int):
    """Θ between two graphs and the ``d`` used at each ReLU layer. ``scales`` gives
    ``(d1, d2)`` per layer, or is None when both graphs are one (read off Σ's diagonal)."""
    sigma = _aggregate(x1 @ x2.T, p1, p2)
    ntk, found = sigma, []
    layers = blocks * mlp_layers
    for layer in range(layers):
        if scales is None:
            d1 = d2 = sigma.diagonal().clamp_min(0.0).sqrt()
        else:
            d1, d2 = scales[layer]
        found.append(d1)
        sigma, dot = _relu_layer(sigma, d1, d2)
        ntk = ntk * dot + sigma
        if (layer + 1) % mlp_layers == 0 and layer + 1 < layers:
            sigma, ntk = _aggregate(sigma, p1, p2), _aggregate(ntk, p1, p2)
    return ntk, found


def gntk(x1, p1, x2, p2, blocks: int = 2, mlp_layers: int = 2) -> torch.Tensor:
    """The GNTK between the nodes of graph 1 (features ``x1``, aggregation ``p1``, None
    for the identity) and those of graph 2.

    Example:
        >>> x = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
        >>> gntk(x, None, x, None, blocks=1, mlp_layers=1)   # orthogonal unit rows
        tensor([[2.0000, 0.3183],
                [0.3183, 2.0000]], dtype=torch.float64)
    """
    _, s1 = _recursion(x1, p1, x1, p1, None, blocks, mlp_layers)
    _, s2 = _recursion(x2, p2, x2, p2, None, blocks, mlp_layers)
    return _recursion(x1, p1, x2, p2, list(zip(s1, s2)), blocks, mlp_layers)[0]


class FeatureScore:
    """SFGC's graph neural feature score of structure-free condensed graphs on ``data``'s
    validation nodes (their induced subgraph; a fixed random ``max_nodes`` of them when
    there are more, drawn with ``seed``: the authors sample 10 per class 5 times on
    ogbn-arxiv). Call it with the condensed features and labels (class indices or rows of
    class probabilities); lower is better.

    Example:
        >>> score = FeatureScore(cora, reg=1.0)                       # doctest: +SKIP
        >>> score(x_syn, y_syn)                                       # doctest: +SKIP
        0.0412
    """

    def __init__(self, data: Data, reg: float = 1.0, max_nodes: int = 2000, seed: int = 0, device="cpu",
                 blocks: int = 2, mlp_layers: int = 2):
        val = data.val_mask.nonzero().view(-1)
        if val.numel() == 0:
            raise ValueError("the GNTK feature score needs validation nodes; this graph has none")
        if val.numel() > max_nodes:
            keep = torch.randperm(val.numel(), generator=torch.Generator().manual_seed(seed))[:max_nodes]
            val = val[keep].sort().values
        edges = subgraph(val, data.edge_index, relabel_nodes=True, num_nodes=data.num_nodes)[0]
        self.device, self.reg, self.shape = torch.device(device), float(reg), (blocks, mlp_layers)
        self.p = mean_aggregation(edges, val.numel()).to(self.device)
        self.x = data.x[val].to(self.device, torch.float64)
        self.y = F.one_hot(data.y[val], int(data.num_classes)).to(self.device, torch.float64)
        self.scales = _recursion(self.x, self.p, self.x, self.p, None, blocks, mlp_layers)[1]

    def __call__(self, x_syn: torch.Tensor, y_syn: torch.Tensor) -> float:
        x = x_syn.detach().to(self.device, torch.float64)
        y = y_syn.detach().to(self.device)
        y = F.one_hot(y, self.y.size(1)).double() if y.dim() == 1 else y.double()
        k_ss, s_syn = _recursion(x, None, x, None, None, *self.shape)
        k_vs = _recursion(self.x, self.p, x, None, list(zip(self.scales, s_syn)), *self.shape)[0]
        ridge = self.reg * k_ss.diagonal().sum() / k_ss.size(0)
        eye = torch.eye(k_ss.size(0), dtype=k_ss.dtype, device=self.device)
        pred = k_vs @ torch.linalg.solve(k_ss + ridge * eye, y)
        return float(0.5 * ((pred - self.y) ** 2).mean())
