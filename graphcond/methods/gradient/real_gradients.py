"""Per-class statistics of the relay model on the REAL graph.

Two providers with one interface, ``provider(model) -> list[list[Tensor]]`` (one list
of parameter gradients per class, classes in ``provider.classes`` order; gradient
matching) and ``provider.class_means(model) -> list[Tensor]`` (per-class mean of the
relay's hidden representation ``model.embed``; distribution matching, GCDM):

- :class:`FullBatchGradients` (small graphs): everything that does not change between
  outer steps is computed once: the normalised operator restricted to the k-hop
  neighbourhood of the training nodes (exact for a k-layer model), and for an SGC
  relay the propagated features ``(A^K X)`` of the training nodes themselves, after
  which the relay is a linear model on cached rows. One forward pass serves all
  classes and the per-class backward passes are batched.
- :class:`SampledGradients` (large graphs: ogbn-arxiv, Flickr, Reddit): per class, up to
  ``batch_size`` training nodes of that class and a uniform neighbour sample
  (``fanouts`` per hop, GCond: [10, 5] with 256 nodes) with the full graph's
  normalised edge weights, as in GCond's ``retrieve_class_sampler``. Implemented
  with torch only (PyG's ``NeighborLoader`` needs pyg-lib or torch-sparse). GCond's
  code samples on every dataset, Cora and Citeseer included; our small-graph presets
  use the exact full-batch gradient instead (see the ``source`` of ``presets/gcond.json``).

``structure=False`` drops the real edges (DC-Graph): the relay sees each training
node alone (identity operator).

Example:
    >>> import torch
    >>> from torch_geometric.data import Data
    >>> from graphcond.methods.gradient.matching import build_relay
    >>> g = Data(x=torch.randn(6, 4), edge_index=torch.tensor([[0, 1, 2, 3], [1, 0, 3, 2]]),
    ...          y=torch.tensor([0, 0, 1, 1, 0, 1]), train_mask=torch.ones(6, dtype=torch.bool))
    >>> prov = FullBatchGradients(g, "gcn", hops=2, structure=True, device=torch.device("cpu"))
    >>> grads = prov(build_relay("gcn", 4, 2, hidden=8, nlayers=2))
    >>> len(grads), [t.shape for t in grads[0]][:1]
    (2, [torch.Size([8, 4])])
"""
from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.utils import k_hop_subgraph

from ...budget import class_ids
from ...models.adjacency import _inv
from ...training import model_input
from .matching import class_gradients, per_class_losses


def _sparse_identity(n: int, device) -> Tensor:
    idx = torch.arange(n, device=device)
    eye = torch.sparse_coo_tensor(torch.stack([idx, idx]), torch.ones(n, device=device), (n, n), check_invariants=False)
    return eye.to_sparse_csr()


def _gcn_weights(edge_index: Tensor, edge_weight: Tensor | None, n: int) -> tuple[Tensor, Tensor, Tensor]:
    """GCN-normalised weights of the edges (``D^-1/2 (A+I) D^-1/2``) and of the self loops."""
    w = torch.ones(edge_index.size(1), device=edge_index.device) if edge_weight is None else edge_weight.float()
    src, dst = edge_index
    deg = torch.ones(n, device=w.device).index_add_(0, dst, w)
    d = _inv(deg, -0.5)
    return w * d[src] * d[dst], d * d, deg


class _Provider:
    classes: list[int]

    def __init__(self, data: Data, device):
        self.device = device
        train = data.train_mask.nonzero().view(-1)
        self.train = train
        self.y_train = class_ids(data.y[train]).to(device)
        self.classes = sorted(int(c) for c in self.y_train.unique())


class FullBatchGradients(_Provider):
    """Full-batch real gradients with cached operator/features (see module docstring)."""

    def __init__(self, data: Data, relay: str, hops: int, structure: bool, device, norm: str | None = "gcn"):
        super().__init__(data, device)
        self.batched = True
        x = data.x
        n_train = self.train.numel()
        self.groups = [(self.y_train == c).nonzero().view(-1) for c in self.classes]
        if not structure or norm is None:
            self.x, self.op = model_input(x[self.train].to(device)), _sparse_identity(n_train, device)
            self.rows = torch.arange(n_train, device=device)
            return
        subset, ei, mapping, _ = k_hop_subgraph(self.train, hops, data.edge_index, relabel_nodes=True,
                                                num_nodes=data.num_nodes)
        ew_full = getattr(data, "edge_weight", None)
        # normalisation with the FULL graph's degrees, then restricted to the subset (exact
        # at the training rows of a ``hops``-layer model)
        w_full, loop_w, _ = _gcn_weights(data.edge_index, ew_full, data.num_nodes)
        _, _, _, emask = k_hop_subgraph(self.train, hops, data.edge_index, num_nodes=data.num_nodes)
        w = w_full[emask]
        m = subset.numel()
        loops = torch.arange(m)
        idx = torch.cat([ei, torch.stack([loops, loops])], 1)
        vals = torch.cat([w, loop_w[subset]])
        op = torch.sparse_coo_tensor(idx, vals, (m, m), check_invariants=False).coalesce().to_sparse_csr().to(device)
        xs = x[subset].to(device)
        if relay == "sgc":
            # relay = (A^K X) W + b: cache the propagated rows of the training nodes
            h = xs
            for _ in range(hops):
                h = op @ h
            self.x, self.op = h[mapping.to(device)], _sparse_identity(n_train, device)
            self.rows = torch.arange(n_train, device=device)
        else:
            self.x, self.op, self.rows = model_input(xs), op, mapping.to(device)

    def class_means(self, model) -> list[Tensor]:
        """Per-class mean of ``model.embed`` over the real training nodes (detached)."""
        with torch.no_grad():
            h = model.embed(self.x, self.op)[self.rows]
        return [h[g].mean(0) for g in self.groups]

    def __call__(self, model) -> list[list[Tensor]]:
        params = [p for p in model.parameters() if p.requires_grad]
        logits = model(self.x, self.op)[self.rows]
        losses = per_class_losses(logits, self.y_train, self.groups)
        if self.batched:
            try:
                return class_gradients(losses, params, batched=True)
            except (RuntimeError, NotImplementedError):
                self.batched = False  # e.g. sparse features: not vmap-able; never retried
        return class_gradients(losses, params)


class SampledGradients(_Provider):
    """Neighbour-sampled mini-batch real gradients, one batch per class (see module docstring)."""

    def __init__(self, data: Data, fanouts: list[int], batch_size: int, structure: bool, device,
                 generator: torch.Generator):
        super().__init__(data, device)
        self.x = data.x  # gathered per batch; stays where the data lives
        self.gen = generator
        self.fanouts, self.batch_size, self.structure = list(fanouts), batch_size, structure
        self.class_nodes = [self.train[(self.y_train.cpu() == c)] for c in self.classes]
        self.y = class_ids(data.y)
        self.n = data.num_nodes
        if structure:
            w, self.loop_w, _ = _gcn_weights(data.edge_index, getattr(data, "edge_weight", None), self.n)
            src, dst = data.edge_index
            order = torch.argsort(dst, stable=True)
            self.col = src[order]
            self.rowptr = torch.zeros(self.n + 1, dtype=torch.long)
            self.rowptr[1:] = torch.bincount(dst, minlength=self.n).cumsum(0)

    def sample(self, seeds: Tensor) -> tuple[Tensor, Tensor]:
        """Nodes (seeds first) and the sparse operator of a uniform neighbour sample."""
        nodes, frontier = seeds, seeds
        rows, cols, vals = [], [], []
        for k in self.fanouts:
            start = self.rowptr[frontier]
            deg = self.rowptr[frontier + 1] - start
            r = (torch.rand(frontier.numel(), k, generator=self.gen) * deg.unsqueeze(1)).long()
            keep = (deg > 0).unsqueeze(1).expand(-1, k)
            pos = (start.unsqueeze(1) + r)[keep]
            dst = frontier.unsqueeze(1).expand(-1, k)[keep]
            key = torch.unique(dst * self.n + self.col[pos])
            dst, src = key // self.n, key % self.n
            rows.append(dst)
            cols.append(src)
            new = src[~torch.isin(src, nodes)].unique()
            nodes = torch.cat([nodes, new])
            frontier = new
        dst, src = torch.cat(rows), torch.cat(cols)
        key = torch.unique(dst * self.n + src)
        dst, src = key // self.n, key % self.n
        # full-graph normalised weight of each sampled edge, deg_i^-1/2 deg_j^-1/2 (edge
        # weights of weighted graphs are not carried into the sample)
        d = self.loop_w.sqrt()  # = deg^-1/2
        w = d[dst] * d[src]
        local = torch.full((self.n,), -1, dtype=torch.long)
        local[nodes] = torch.arange(nodes.numel())
        m = nodes.numel()
        loops = torch.arange(m)
        idx = torch.cat([torch.stack([local[dst], local[src]]), torch.stack([loops, loops])], 1)
        vals = torch.cat([w, self.loop_w[nodes]])
        op = torch.sparse_coo_tensor(idx, vals, (m, m), check_invariants=False).coalesce().to_sparse_csr()
        return nodes, op

    def batches(self):
        """One sampled batch per class: ``(x, op, seeds)``, the seed nodes first in ``x``."""
        for nodes_c in self.class_nodes:
            seeds = nodes_c[torch.randperm(nodes_c.numel(), generator=self.gen)[: self.batch_size]]
            if self.structure:
                nodes, op = self.sample(seeds)
            else:
                nodes, op = seeds, _sparse_identity(seeds.numel(), "cpu")
            yield model_input(self.x[nodes].to(self.device)), op.to(self.device), seeds

    def class_means(self, model) -> list[Tensor]:
        """Per-class mean of ``model.embed`` over a sampled batch of each class (detached)."""
        with torch.no_grad():
            return [model.embed(x, op)[: seeds.numel()].mean(0) for x, op, seeds in self.batches()]

    def __call__(self, model) -> list[list[Tensor]]:
        params = [p for p in model.parameters() if p.requires_grad]
        out = []
        for x, op, seeds in self.batches():
            logits = model(x, op)[: seeds.numel()]
            loss = torch.nn.functional.cross_entropy(logits, self.y[seeds].to(self.device))
            out.append([g.detach() for g in torch.autograd.grad(loss, params)])
        return out
