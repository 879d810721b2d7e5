"""Homogeneous GNNs: GCN, SGC, APPNP, ChebNet, GraphSAGE, GAT, MLP.

Every model has ``forward(x, op)`` where ``op`` is the operator built by
:func:`graphcond.models.adjacency.graph_operator` for the model's ``norm`` (dense for
condensed graphs, where it may carry learned edge weights; sparse for large graphs).
Models are plain ``nn.Module``s, so a trajectory-matching student runs them with
externally supplied weights through :func:`functional_forward`.

Example:
    >>> import torch
    >>> from graphcond.models import build_model, graph_operator
    >>> m = build_model("gcn", in_dim=4, num_classes=3, hidden=8)
    >>> op = graph_operator(torch.tensor([[0, 1], [1, 0]]), None, 2, m.norm)
    >>> m(torch.randn(2, 4), op).shape
    torch.Size([2, 3])
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call
from torch_geometric.utils import softmax

from .adjacency import is_sparse, propagate
from .attention import attend


def linear(x: Tensor, lin: nn.Linear, bias: bool = True) -> Tensor:
    """``lin(x)`` (without its bias if ``bias=False``) that also takes a sparse ``x``."""
    out = x @ lin.weight.t()
    return out + lin.bias if bias and lin.bias is not None else out


def dropout(x: Tensor, p: float, training: bool) -> Tensor:
    """Dropout on dense or sparse CSR ``x`` (only the stored values are dropped); ``x``
    itself when not training or ``p == 0``."""
    if not training or p == 0:
        return x
    if not is_sparse(x):
        return F.dropout(x, p, training)
    vals = F.dropout(x.values(), p, True)
    return torch.sparse_csr_tensor(x.crow_indices(), x.col_indices(), vals, x.shape, check_invariants=False)


class _Stack(nn.Module):
    """Shared shape: ``nlayers`` layers, ReLU and dropout between them."""

    norm: str | None = "gcn"

    def __init__(self, in_dim: int, num_classes: int, hidden: int = 256, nlayers: int = 2, dropout: float = 0.5):
        super().__init__()
        dims = [in_dim] + [hidden] * (nlayers - 1) + [num_classes]
        self.layers = nn.ModuleList(
            self.make_layer(a, b, last=i == nlayers - 1) for i, (a, b) in enumerate(zip(dims[:-1], dims[1:]))
        )
        self.dropout = dropout

    def make_layer(self, d_in: int, d_out: int, last: bool) -> nn.Module:
        return nn.Linear(d_in, d_out)

    def layer(self, i: int, x: Tensor, op: Tensor | None) -> Tensor:
        raise NotImplementedError

    def embed(self, x: Tensor, op: Tensor | None) -> Tensor:
        """The representation fed to the last layer (after its ReLU)."""
        for i in range(len(self.layers) - 1):
            x = F.relu(self.layer(i, dropout(x, self.dropout, self.training), op))
        return x

    def forward(self, x: Tensor, op: Tensor | None) -> Tensor:
        last = len(self.layers) - 1
        return self.layer(last, dropout(self.embed(x, op), self.dropout, self.training), op)


class GCN(_Stack):
    """Kipf & Welling GCN: ``op @ (x W) + b`` per layer."""

    def layer(self, i, x, op):
        lin = self.layers[i]
        return propagate(op, linear(x, lin, bias=False)) + lin.bias


class MLP(_Stack):
    """Multi-layer perceptron; ignores the graph."""

    norm = None

    def layer(self, i, x, op):
        return linear(x, self.layers[i])


class SAGE(_Stack):
    """GraphSAGE with mean aggregation: ``x W_root + (D^-1 A x) W_neigh``."""

    norm = "row"

    def make_layer(self, d_in, d_out, last):
        return nn.ModuleDict({"root": nn.Linear(d_in, d_out), "neigh": nn.Linear(d_in, d_out, bias=False)})

    def layer(self, i, x, op):
        lin = self.layers[i]
        return linear(x, lin["root"]) + propagate(op, linear(x, lin["neigh"]))


class ChebNet(_Stack):
    """Chebyshev spectral GNN of order ``K`` (K=2 as in GCond's evaluation)."""

    norm = "cheb"

    def __init__(self, *args, K: int = 2, **kw):
        self.K = K
        super().__init__(*args, **kw)

    def make_layer(self, d_in, d_out, last):
        return nn.ModuleList(nn.Linear(d_in, d_out, bias=k == 0) for k in range(self.K))

    def layer(self, i, x, op):
        # sum_k T_k(L) (x W_k): the linear maps go first so a sparse x is touched once.
        out = linear(x, self.layers[i][0])
        for k in range(1, self.K):
            h = linear(x, self.layers[i][k])
            t_prev, t_cur = h, propagate(op, h)
            for _ in range(k - 1):
                t_prev, t_cur = t_cur, 2 * propagate(op, t_cur) - t_prev
            out = out + t_cur
        return out


class SGC(nn.Module):
    """Simplified GCN: ``(op^K x) W``; one linear layer after K propagations."""

    norm = "gcn"

    def __init__(self, in_dim, num_classes, hidden=256, nlayers=2, dropout=0.0, K: int = 2):
        super().__init__()
        self.lin, self.K, self.dropout = nn.Linear(in_dim, num_classes), K, dropout

    def forward(self, x, op):
        # op^K (x W) + b equals (op^K x) W + b; the linear map goes first for sparse x.
        x = linear(dropout(x, self.dropout, self.training), self.lin, bias=False)
        for _ in range(self.K):
            x = propagate(op, x)
        return x + self.lin.bias


class APPNP(_Stack):
    """MLP predictions propagated by personalised PageRank (K steps, teleport alpha)."""

    def __init__(self, *args, K: int = 10, alpha: float = 0.1, **kw):
        super().__init__(*args, **kw)
        self.K, self.alpha = K, alpha

    def layer(self, i, x, op):
        return linear(x, self.layers[i])

    def forward(self, x, op):
        h = super().forward(x, op)
        out = h
        for _ in range(self.K):
            out = (1 - self.alpha) * propagate(op, out) + self.alpha * h
        return out


class GATLayer(nn.Module):
    """Multi-head graph attention over the non-zeros of ``op`` (dense or sparse)."""

    def __init__(self, d_in: int, d_out: int, heads: int, concat: bool):
        super().__init__()
        self.heads, self.d, self.concat = heads, d_out, concat
        self.lin = nn.Linear(d_in, heads * d_out, bias=False)
        self.att_src = nn.Parameter(torch.empty(heads, d_out))
        self.att_dst = nn.Parameter(torch.empty(heads, d_out))
        self.bias = nn.Parameter(torch.zeros(heads * d_out if concat else d_out))
        nn.init.xavier_uniform_(self.att_src)
        nn.init.xavier_uniform_(self.att_dst)

    def forward(self, x: Tensor, op: Tensor, dropout: float, training: bool) -> Tensor:
        n = x.size(0)
        h = linear(x, self.lin).view(n, self.heads, self.d)
        s, t = (h * self.att_src).sum(-1), (h * self.att_dst).sum(-1)  # [n, heads]
        if is_sparse(op):
            dst, src = op.indices()
            e = F.leaky_relu(s[src] + t[dst], 0.2)
            a = F.dropout(softmax(e, dst, num_nodes=n), dropout, training)
            out = attend(a, h, src, dst, n)
        else:
            e = F.leaky_relu(t.t().unsqueeze(2) + s.t().unsqueeze(1), 0.2)  # [heads, dst, src]
            e = e.masked_fill(op.unsqueeze(0) <= 0, float("-inf"))
            a = F.dropout(torch.softmax(e, dim=-1), dropout, training)
            out = torch.einsum("hij,jhd->ihd", a, h)
        out = out.reshape(n, -1) if self.concat else out.mean(1)
        return out + self.bias


class GAT(_Stack):
    """GAT (Velickovic et al.): ``heads`` heads of ``hidden // heads`` units, one output head."""

    norm = "gat"

    def __init__(self, in_dim, num_classes, hidden=256, nlayers=2, dropout=0.5, heads: int = 8):
        self.heads, self.hidden = heads, hidden
        super().__init__(in_dim, num_classes, hidden, nlayers, dropout)

    def make_layer(self, d_in, d_out, last):
        if last:
            return GATLayer(d_in, d_out, 1, concat=False)
        return GATLayer(d_in, d_out // self.heads, self.heads, concat=True)

    def layer(self, i, x, op):
        return self.layers[i](x, op, self.dropout, self.training)


MODELS: dict[str, type[nn.Module]] = {
    "gcn": GCN,
    "sgc": SGC,
    "appnp": APPNP,
    "cheby": ChebNet,
    "sage": SAGE,
    "gat": GAT,
    "mlp": MLP,
}
ALIASES = {"chebnet": "cheby", "graphsage": "sage"}


def build_model(name: str, in_dim: int, num_classes: int, **kw) -> nn.Module:
    """Instantiate a registered model by name (``gcn``, ``sgc``, ``appnp``, ``cheby``,
    ``sage``, ``gat``, ``mlp``); keyword arguments go to its constructor."""
    key = ALIASES.get(name.lower(), name.lower())
    if key not in MODELS:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(MODELS)}")
    return MODELS[key](in_dim, num_classes, **kw)


def functional_forward(model: nn.Module, params: dict[str, Tensor], x: Tensor, op: Tensor | None) -> Tensor:
    """Run ``model`` with the given parameters (names as in ``named_parameters``)."""
    return functional_call(model, params, (x, op))
