"""``dblp-2view``: a real two-encoder graph built from the HGB DBLP files.

Nodes are DBLP's 4,057 authors (4 research areas). Two feature views, carried as
``data.modalities`` like every multimodal graph here::

    "keywords": the author's own 334-dim keyword bag (HGB author features)
    "papers":   the mean of the 4,231-dim term vectors of the author's papers

Both views describe the same author through different "encoders", so this is a real
two-view graph, not text and image. Each view is row-normalised on its own
(``normalize_views``, as Planetoid features are; an all-zero row stays zero).
``view_dim`` (default 64; ``None`` keeps the raw 334 + 4,231 columns) reduces each
view to the same width by truncated SVD over all nodes (unsupervised), then rotates
the "papers" view onto the "keywords" view by orthogonal Procrustes, so that, as for
CLIP-style encoders, the two blocks share one coordinate space: SR-GM projects one
block's gradient on the other's, which needs equal widths and comparable axes.
Edges: co-authorship (A-P-A: two authors share a paper), undirected, no self-loops.
Splits: the DBLP ones (HGB ``label.dat`` split into train/val with ``split_seed``
and ``val_share``; test = ``label.dat.test``). Files: the same as ``dblp``.

Example:
    >>> from graphcond.data import load_dataset
    >>> g = load_dataset("dblp-2view")                    # doctest: +SKIP
    >>> g.num_nodes, g.modalities                         # doctest: +SKIP
    (4057, {'keywords': (0, 64), 'papers': (64, 128)})
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch_geometric.data import Data
from torch_geometric.utils import coalesce, remove_self_loops

from .registry import DatasetSpec, get_spec, register_dataset


def _row_normalize(x: torch.Tensor) -> torch.Tensor:
    s = x.sum(1, keepdim=True)
    return x / s.clamp_min(1e-12)


def _incidence(author_paper: torch.Tensor, num_authors: int, num_papers: int) -> torch.Tensor:
    """Sparse 0/1 author x paper matrix."""
    a, p = author_paper
    return torch.sparse_coo_tensor(torch.stack([a, p]), torch.ones(a.numel()), (num_authors, num_papers),
                                   check_invariants=False).coalesce()


def _mean_over_papers(incidence: torch.Tensor, paper_x: torch.Tensor) -> torch.Tensor:
    """Row ``a``: mean of ``paper_x`` over the papers of author ``a`` (zero when none)."""
    deg = torch.sparse.sum(incidence, 1).to_dense().clamp_min(1).unsqueeze(1)
    return torch.sparse.mm(incidence, paper_x) / deg


def _coauthor_edges(incidence: torch.Tensor) -> torch.Tensor:
    """Undirected A-P-A edges (pairs of distinct authors sharing a paper)."""
    ei, _ = remove_self_loops(torch.sparse.mm(incidence, incidence.t()).coalesce().indices())
    return coalesce(ei, num_nodes=incidence.size(0))


def shared_space(a: torch.Tensor, b: torch.Tensor, dim: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Both views reduced to ``dim`` columns (truncated SVD, unit-variance columns on
    average), ``b`` rotated onto ``a`` by orthogonal Procrustes (``R = argmin |bR - a|``)."""
    from sklearn.decomposition import TruncatedSVD

    def reduce(x):
        z = torch.from_numpy(TruncatedSVD(dim, random_state=seed).fit_transform(x.numpy())).float()
        z = z - z.mean(0)
        return z / z.std(0).mean().clamp_min(1e-12)

    za, zb = reduce(a), reduce(b)
    u, _, vt = torch.linalg.svd(zb.T @ za)
    return za, zb @ (u @ vt)


def _load_dblp_2view(folder: Path, can_download: bool, split_seed: int = 0, val_share: float = 0.2,
                     normalize_views: bool = True, view_dim: int | None = 64):
    hetero, sources = get_spec("dblp").loader(folder, can_download, split_seed=split_seed, val_share=val_share)
    author = hetero["author"]
    n = author.num_nodes
    keywords = author.x.float()
    paper_x = hetero["paper"].x.float()
    incidence = _incidence(hetero["author", "to", "paper"].edge_index, n, paper_x.size(0))
    papers = _mean_over_papers(incidence, paper_x)
    if normalize_views:
        keywords, papers = _row_normalize(keywords), _row_normalize(papers)
    if view_dim is not None:
        keywords, papers = shared_space(keywords, papers, int(view_dim))
    k = keywords.size(1)
    data = Data(x=torch.cat([keywords, papers], 1), y=author.y,
                edge_index=_coauthor_edges(incidence), num_nodes=n,
                train_mask=author.train_mask, val_mask=author.val_mask, test_mask=author.test_mask)
    data.modalities = {"keywords": (0, k), "papers": (k, k + papers.size(1))}
    data.num_classes = hetero.num_classes
    data.multilabel = False
    return data, sources


register_dataset(
    DatasetSpec(
        name="dblp-2view",
        kind="homogeneous",
        loader=_load_dblp_2view,
        expected=get_spec("dblp").expected,
        source="HGB DBLP authors: own keywords and mean paper terms as two views, co-authorship edges",
    )
)
