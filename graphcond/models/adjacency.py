"""Graph operators for the models, dense or sparse, from edges or a (learned) matrix.

A model states the operator it propagates with (``norm``):

- ``"gcn"``:  D^-1/2 (A + I) D^-1/2          (GCN, SGC, APPNP)
- ``"row"``:  D^-1 A                          (GraphSAGE mean aggregation)
- ``"cheb"``: -D^-1/2 A D^-1/2                (ChebNet's scaled Laplacian, lambda_max = 2)
- ``"gat"``:  A + I, read as the attention mask (and ignored weights)
- ``None``:   no propagation                   (MLP)

Small graphs (condensed ones, or any learned adjacency) use dense matrices so gradients
flow into learned edge weights; large graphs use ``torch.sparse`` COO matrices.
An empty edge set gives the identity adjacency of a structure-free condensed graph.

Example:
    >>> import torch
    >>> ei = torch.tensor([[0, 1], [1, 0]])
    >>> graph_operator(ei, None, 2, "gcn", dense=True)
    tensor([[0.5000, 0.5000],
            [0.5000, 0.5000]])
"""
from __future__ import annotations

import warnings

import torch
from torch import Tensor

warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")

NORMS = ("gcn", "row", "cheb", "gat", None)
DENSE_MAX_NODES = 1024


def _with_self_loops(a: Tensor) -> Tensor:
    return a + torch.eye(a.size(0), dtype=a.dtype, device=a.device)


def _inv(x: Tensor, power: float) -> Tensor:
    out = x.clamp_min(1e-12).pow(power)
    return torch.where(x > 0, out, torch.zeros_like(out))


def normalize_dense(adj: Tensor, norm: str | None) -> Tensor:
    """Apply ``norm`` to a dense (possibly learned, differentiable) adjacency."""
    if norm is None:
        return adj
    if norm in ("gcn", "gat"):
        adj = _with_self_loops(adj)
        if norm == "gat":
            return adj
    deg = adj.sum(1)
    if norm == "row":
        return adj * _inv(deg, -1.0).unsqueeze(1)
    d = _inv(deg, -0.5)
    out = d.unsqueeze(1) * adj * d.unsqueeze(0)
    return -out if norm == "cheb" else out


def normalize_sparse(edge_index: Tensor, edge_weight: Tensor | None, n: int, norm: str | None) -> Tensor:
    """Apply ``norm`` to an edge list; returns a sparse ``n x n`` matrix: CSR (fastest
    for products on CPU), or coalesced COO for ``"gat"``, whose layer reads the edges."""
    device = edge_index.device
    w = torch.ones(edge_index.size(1), device=device) if edge_weight is None else edge_weight.float()
    row, col = edge_index
    if norm in ("gcn", "gat"):
        loops = torch.arange(n, device=device)
        row, col = torch.cat([row, loops]), torch.cat([col, loops])
        w = torch.cat([w, torch.ones(n, device=device)])
    if norm not in (None, "gat"):
        deg = torch.zeros(n, device=device).index_add_(0, row, w)
        if norm == "row":
            w = w * _inv(deg, -1.0)[row]
        else:
            d = _inv(deg, -0.5)
            w = d[row] * w * d[col]
            if norm == "cheb":
                w = -w
    coo = torch.sparse_coo_tensor(torch.stack([row, col]), w, (n, n), check_invariants=False).coalesce()
    return coo if norm == "gat" else coo.to_sparse_csr()


def graph_operator(
    edge_index: Tensor,
    edge_weight: Tensor | None,
    num_nodes: int,
    norm: str | None,
    dense: bool | None = None,
) -> Tensor | None:
    """The propagation matrix for ``norm``; dense when ``dense`` or the graph is small."""
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; known: {NORMS}")
    if norm is None:
        return None
    if dense is None:
        dense = num_nodes <= DENSE_MAX_NODES
    if dense:
        adj = torch.zeros(num_nodes, num_nodes, device=edge_index.device)
        w = torch.ones(edge_index.size(1), device=edge_index.device) if edge_weight is None else edge_weight
        adj.index_put_((edge_index[0], edge_index[1]), w.float(), accumulate=True)
        return normalize_dense(adj, norm)
    return normalize_sparse(edge_index, edge_weight, num_nodes, norm)


def is_sparse(t: Tensor) -> bool:
    """True for any sparse layout (COO or CSR)."""
    return t.layout != torch.strided


def propagate(op: Tensor, x: Tensor) -> Tensor:
    """``op @ x`` for a dense or sparse (COO/CSR) operator."""
    return op @ x
