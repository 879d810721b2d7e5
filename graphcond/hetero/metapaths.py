"""Meta-paths of any ``HeteroData``: enumeration from the relation schema and sparse,
row-normalised path adjacencies (products computed lazily, cached per path suffix).

A meta-path is a tuple of edge types ``(e1, ..., ek)`` with ``e1`` leaving the start
type, ``e_i.dst == e_{i+1}.src`` and ``ek`` entering the target type: the target
aggregates (mean) along it. Its adjacency is ``M_ek @ ... @ M_e1`` where ``M_e`` is
relation ``e``'s adjacency with rows = destination nodes, row-normalised (so a product
is row-stochastic on rows with any neighbour), shape ``[N_target, N_start]``.

Example:
    >>> import torch
    >>> from torch_geometric.data import HeteroData
    >>> g = HeteroData()
    >>> g["p"].num_nodes, g["a"].num_nodes = 2, 3
    >>> g["a", "to", "p"].edge_index = torch.tensor([[0, 1, 2], [0, 0, 1]])
    >>> g["p", "to", "a"].edge_index = torch.tensor([[0, 0, 1], [0, 1, 2]])
    >>> [path_name(p) for p in enumerate_metapaths(g, "p", 2)]
    ['a-to->p', 'p-to->a-to->p']
    >>> MetaPathAdjacency(g, "p").adjacency(enumerate_metapaths(g, "p", 1)[0]).toarray().tolist()
    [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.sparse as sp
import torch

EdgeType = tuple[str, str, str]
MetaPath = tuple[EdgeType, ...]

# Maximum meta-path length (relations) in the FreeHGC authors' code, and in SeHGNN's.
HOPS = {"acm": 3, "dblp": 2, "imdb": 2, "freebase": 2, "aminer": 2}
SEHGNN_HOPS = {"dblp": 2, "acm": 4, "imdb": 4, "freebase": 2}
DEFAULT_HOPS = 2


def default_hops(dataset: str | None, table: dict | None = None, override: int | None = None) -> int:
    """``override`` if given, else ``table[dataset]`` (FreeHGC's :data:`HOPS` by default), else 2."""
    if override is not None:
        if int(override) < 1:
            raise ValueError(f"hops must be >= 1, got {override}")
        return int(override)
    return (HOPS if table is None else table).get(str(dataset).lower(), DEFAULT_HOPS)


def _edge_types(schema) -> list[EdgeType]:
    if hasattr(schema, "edge_types"):
        return list(schema.edge_types)
    return [tuple(e) for e in schema]


def enumerate_metapaths(schema, target: str, hops: int) -> list[MetaPath]:
    """Every meta-path of 1..``hops`` relations ending at ``target``, from ``schema``
    (a ``HeteroData`` or a list of edge types); ordered by length, then by the order of
    the edge types (deterministic); none for ``hops`` 0."""
    if hops < 1:
        return []
    edges = _edge_types(schema)
    level: list[MetaPath] = [(e,) for e in edges if e[2] == target]
    out = list(level)
    for _ in range(hops - 1):
        level = [(e,) + p for p in level for e in edges if e[2] == p[0][0]]
        out.extend(level)
    return out


def start_type(path: MetaPath) -> str:
    return path[0][0]


def path_name(path: MetaPath) -> str:
    """``'author-to->paper'`` style: start type, then ``-rel->type`` per relation."""
    return path[0][0] + "".join(f"-{e[1]}->{e[2]}" for e in path)


def relation_matrix(edge_index: torch.Tensor, n_src: int, n_dst: int) -> sp.csr_matrix:
    """Binary adjacency of a relation with rows = destination, row-normalised (float32);
    duplicate edges count once, rows without neighbours stay zero."""
    ei = edge_index.cpu().numpy()
    m = sp.csr_matrix((np.ones(ei.shape[1], dtype=np.float32), (ei[1], ei[0])), shape=(n_dst, n_src))
    m.sum_duplicates()
    m.data[:] = 1.0
    deg = np.asarray(m.sum(1)).ravel()
    inv = np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0).astype(np.float32)
    return sp.csr_matrix(sp.diags(inv) @ m)


def _mul(a, b: sp.csr_matrix, dense_above: float):
    """``a @ b`` with ``a`` a CSR matrix or a dense array; the result turns dense once
    it is denser than ``dense_above`` (dense BLAS then beats sparse products)."""
    if isinstance(a, np.ndarray):
        return np.asarray((b.T @ a.T).T, dtype=np.float32)
    c = (a @ b).tocsr()
    if c.nnz > dense_above * c.shape[0] * c.shape[1]:
        return c.toarray()
    return c


class MetaPathAdjacency:
    """Lazily computed path adjacencies of ``graph`` for the target rows ``rows``
    (all target nodes when ``None``), cached per path suffix, so paths sharing their
    last relations share work. Relations missing from ``graph`` are empty.

    ``adjacency(path)`` is a ``scipy.sparse.csr_matrix`` or (when dense enough) a
    ``numpy`` array of shape ``[len(rows), N_start]``.
    """

    def __init__(self, graph, target: str, rows: Sequence[int] | torch.Tensor | None = None, dense_above=0.2):
        self.graph, self.target, self.dense_above = graph, target, dense_above
        self.rows = None if rows is None else torch.as_tensor(rows).long().cpu().numpy()
        self._rel: dict[EdgeType, sp.csr_matrix] = {}
        self._cache: dict[MetaPath, object] = {}

    def num_nodes(self, t: str) -> int:
        return int(self.graph[t].num_nodes) if t in self.graph.node_types else 0

    def relation(self, e: EdgeType) -> sp.csr_matrix:
        if e not in self._rel:
            n_src, n_dst = self.num_nodes(e[0]), self.num_nodes(e[2])
            if e in self.graph.edge_types:
                self._rel[e] = relation_matrix(self.graph[e].edge_index, n_src, n_dst)
            else:
                self._rel[e] = sp.csr_matrix((n_dst, n_src), dtype=np.float32)
        return self._rel[e]

    def adjacency(self, path: MetaPath):
        """``M_ek[rows] @ ... @ M_e1`` (computed from the target side, suffix-cached)."""
        path = tuple(path)
        if path in self._cache:
            return self._cache[path]
        if len(path) == 1:
            m = self.relation(path[0])
            out = m if self.rows is None else m[self.rows]
            out = out.tocsr()
        else:
            out = _mul(self.adjacency(path[1:]), self.relation(path[0]), self.dense_above)
        self._cache[path] = out
        return out

    def neighbours(self, path: MetaPath) -> sp.csr_matrix:
        """Binary CSR: which start-type nodes each row reaches along ``path``."""
        a = self.adjacency(path)
        b = sp.csr_matrix(a) if isinstance(a, np.ndarray) else a.copy()
        b.eliminate_zeros()
        b.data = np.ones_like(b.data, dtype=np.float32)
        return b


def to_torch(m) -> torch.Tensor:
    """A path adjacency (CSR or dense array) as a dense float32 tensor."""
    if sp.issparse(m):
        m = m.toarray()
    return torch.from_numpy(np.ascontiguousarray(m, dtype=np.float32))
