"""Multimodal node-classification graphs: ``mm-csbm`` (generated) and MM-Graph files.

Every graph here carries its feature layout as graph metadata::

    data.modalities == {"text": (0, d_text), "image": (d_text, d_text + d_image)}

(column ranges of ``data.x``, text block first), which SR-GM reads to split gradients.

``mm-csbm``: a contextual stochastic block model we own. ``num_classes`` balanced
classes; edges from a planted partition (``avg_degree``, share ``homophily`` of edge
ends inside the class); node features ``[text | image]``, each block ``mu[y] + noise``
with per-class means of norm ``signal`` and Gaussian noise of std ``noise`` per
coordinate. The image means live in the text space (``space_corr=1``: the same class
centroid in both blocks, as for CLIP-aligned encoders; lower values mix in an
independent direction). ``misalignment``: exactly ``round(misalignment * num_nodes)``
nodes (chosen at random) get an image block that points to another class (a random
different one) or, for a share ``noise_share`` of them, to noise (no class mean, noise
of std ``2 * noise``); ``data.misaligned`` marks them. Splits are Planetoid-like:
``train_per_class`` (20) per class, then ``num_val`` (500) and ``num_test`` (1000)
random nodes. No files are read (``source_hash == "generated"``).

MM-Graph (Zhu et al., node classification) layout under the data folder::

    mm-graph/<name>/nc_edges-nodeid.pt   edges: LongTensor [E, 2] or [2, E]
    mm-graph/<name>/<encoder>_feat.pt    features, see below
    mm-graph/<name>/labels-w-missing.pt  labels [N]; missing labels are < 0 (or NaN)
    mm-graph/<name>/split.pt             dict: train/val(id)/test index tensors or masks
                                         (keys with or without ``_idx``; ``valid`` = val)

Features: ONE file ``<encoder>_feat.pt`` holding either a tensor ``[N, d_t + d_v]``
(text block first, then image; split at ``text_dim``, default half the width) or a
dict ``{"text": [N, d_t], "image": [N, d_v]}``; or, when that file is absent, TWO
files ``<encoder>_text_feat.pt`` and ``<encoder>_image_feat.pt``. Either way ``x`` is
the concatenation ``[text | image]``. Nodes with a missing label are kept in the graph
(label set to 0, ``data.label_missing`` True) and removed from every split mask.
Edges are made undirected, self-loops dropped. Encoder defaults: ``clip`` for
Ele-fashion and Goodreads-NC, ``imagebind`` for Amazon-Sports/-Cloth (the paper's
choices); the paper's binary relabelling of the Amazon graphs and its ROC-AUC metric
are NOT applied here (labels are read as stored).

Example:
    >>> from graphcond.data import load_dataset
    >>> g = load_dataset("mm-csbm", num_nodes=300, misalignment=0.5)   # doctest: +SKIP
    >>> g.modalities, int(g.misaligned.sum())                           # doctest: +SKIP
    ({'text': (0, 32), 'image': (32, 64)}, 150)
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch_geometric.data import Data
from torch_geometric.utils import coalesce, remove_self_loops, to_undirected

from .paths import CorruptDataError, require_files
from .registry import DatasetSpec, register_dataset


@dataclass(frozen=True)
class GeneratedSpec(DatasetSpec):
    """A dataset generated in memory: always available, no files."""

    def expected_files(self) -> list[str]:
        return []

    def available(self, folder: Path) -> bool:
        return True


def modality_slices(data) -> dict:
    """``data.modalities`` as ``{name: (start, stop)}`` of ints (raises when absent)."""
    mods = getattr(data, "modalities", None)
    if not mods:
        raise ValueError("the graph carries no 'modalities' metadata ({name: (start, stop)})")
    return {str(k): (int(v[0]), int(v[1])) for k, v in dict(mods).items()}


# ---- mm-csbm ------------------------------------------------------------------------------
def _planetoid_split(y: torch.Tensor, num_classes: int, per_class: int, num_val: int, num_test: int,
                     gen: torch.Generator, eligible: torch.Tensor | None = None):
    n = y.numel()
    ok = torch.ones(n, dtype=torch.bool) if eligible is None else eligible
    train = torch.zeros(n, dtype=torch.bool)
    for c in range(num_classes):
        idx = ((y == c) & ok).nonzero().view(-1)
        idx = idx[torch.randperm(idx.numel(), generator=gen)[:per_class]]
        train[idx] = True
    rest = (ok & ~train).nonzero().view(-1)
    rest = rest[torch.randperm(rest.numel(), generator=gen)]
    val = torch.zeros(n, dtype=torch.bool)
    test = torch.zeros(n, dtype=torch.bool)
    val[rest[:num_val]] = True
    test[rest[num_val:num_val + num_test]] = True
    return train, val, test


def make_mm_csbm(
    num_nodes: int = 2000,
    num_classes: int = 5,
    text_dim: int = 32,
    image_dim: int = 32,
    misalignment: float = 0.0,
    noise_share: float = 0.5,
    signal: float = 1.5,
    noise: float = 1.0,
    space_corr: float = 1.0,
    avg_degree: float = 6.0,
    homophily: float = 0.7,
    train_per_class: int = 20,
    num_val: int = 500,
    num_test: int = 1000,
    seed: int = 0,
) -> Data:
    """The ``mm-csbm`` graph (see module docstring)."""
    if not 0.0 <= misalignment <= 1.0 or not 0.0 <= noise_share <= 1.0:
        raise ValueError("misalignment and noise_share must lie in [0, 1]")
    if num_classes < 2 or num_nodes < num_classes * train_per_class + 1:
        raise ValueError("need at least 2 classes and more nodes than training nodes")
    gen = torch.Generator().manual_seed(int(seed))
    n, C = int(num_nodes), int(num_classes)
    y = torch.arange(n) % C
    y = y[torch.randperm(n, generator=gen)]

    def means(d: int, base: torch.Tensor | None = None) -> torch.Tensor:
        m = torch.randn(C, d, generator=gen)
        if base is not None:  # image centroids in the text space (CLIP-like)
            if base.size(1) != d:
                base = torch.nn.functional.pad(base, (0, max(0, d - base.size(1))))[:, :d]
            m = space_corr * base + math.sqrt(max(0.0, 1 - space_corr**2)) * m
        return signal * m / m.norm(dim=1, keepdim=True)

    mu_t = means(text_dim)
    mu_v = means(image_dim, mu_t / signal)
    x_t = mu_t[y] + noise * torch.randn(n, text_dim, generator=gen)
    img_class = y.clone()
    k = int(round(misalignment * n))
    mis = torch.randperm(n, generator=gen)[:k]
    k_noise = int(round(noise_share * k))
    to_noise, to_other = mis[:k_noise], mis[k_noise:]
    img_class[to_other] = (y[to_other] + torch.randint(1, C, (to_other.numel(),), generator=gen)) % C
    x_v = mu_v[img_class] + noise * torch.randn(n, image_dim, generator=gen)
    x_v[to_noise] = 2 * noise * torch.randn(to_noise.numel(), image_dim, generator=gen)
    misaligned = torch.zeros(n, dtype=torch.bool)
    misaligned[mis] = True
    noisy = torch.zeros(n, dtype=torch.bool)
    noisy[to_noise] = True

    # planted partition: each edge starts at a random node and ends in its class w.p. homophily
    m = int(round(n * avg_degree / 2))
    src = torch.randint(0, n, (m,), generator=gen)
    same = torch.rand(m, generator=gen) < homophily
    by_class = [(y == c).nonzero().view(-1) for c in range(C)]
    dst_class = torch.where(same, y[src], (y[src] + torch.randint(1, C, (m,), generator=gen)) % C)
    dst = torch.empty(m, dtype=torch.long)
    for c in range(C):
        sel = (dst_class == c).nonzero().view(-1)
        dst[sel] = by_class[c][torch.randint(0, by_class[c].numel(), (sel.numel(),), generator=gen)]
    ei, _ = remove_self_loops(torch.stack([src, dst]))
    ei = coalesce(to_undirected(ei, num_nodes=n), num_nodes=n)

    train, val, test = _planetoid_split(y, C, train_per_class, num_val, num_test, gen)
    data = Data(x=torch.cat([x_t, x_v], 1), y=y, edge_index=ei, num_nodes=n,
                train_mask=train, val_mask=val, test_mask=test)
    data.misaligned, data.image_noise = misaligned, noisy
    data.image_class = img_class
    data.modalities = {"text": (0, text_dim), "image": (text_dim, text_dim + image_dim)}
    data.num_classes = C
    data.multilabel = False
    return data


def _load_mm_csbm(folder: Path, can_download: bool, num_nodes: int = 2000, num_classes: int = 5,
                  text_dim: int = 32, image_dim: int = 32, misalignment: float = 0.0,
                  noise_share: float = 0.5, signal: float = 1.5, noise: float = 1.0,
                  space_corr: float = 1.0, avg_degree: float = 6.0, homophily: float = 0.7,
                  train_per_class: int = 20, num_val: int = 500, num_test: int = 1000, seed: int = 0):
    data = make_mm_csbm(num_nodes, num_classes, text_dim, image_dim, misalignment, noise_share, signal,
                        noise, space_corr, avg_degree, homophily, train_per_class, num_val, num_test, seed)
    return data, []


register_dataset(
    GeneratedSpec(
        name="mm-csbm",
        kind="homogeneous",
        loader=_load_mm_csbm,
        expected="",
        source="generated: contextual SBM with [text | image] features and controlled modality misalignment",
    )
)


# ---- MM-Graph files -----------------------------------------------------------------------
MM_GRAPH = {"ele-fashion": "clip", "goodreads-nc": "clip", "amazon-sports": "imagebind",
            "amazon-cloth": "imagebind"}


def _torch_load(path: Path):
    try:
        return torch.load(path, weights_only=False, map_location="cpu")
    except Exception as exc:  # noqa: BLE001
        raise CorruptDataError(f"{path} could not be read by torch.load ({exc})") from exc


def _as_tensor(obj, path: Path) -> torch.Tensor:
    if isinstance(obj, torch.Tensor):
        return obj
    try:
        import numpy as np

        return torch.as_tensor(np.asarray(obj))
    except Exception as exc:  # noqa: BLE001
        raise CorruptDataError(f"{path}: expected a tensor, got {type(obj).__name__}") from exc


def _split_index(split: dict, keys: tuple, n: int, path: Path) -> torch.Tensor:
    for k in keys:
        if k in split:
            v = _as_tensor(split[k], path)
            if v.dtype == torch.bool:
                if v.numel() != n:
                    raise CorruptDataError(f"{path}: mask {k!r} has {v.numel()} entries, graph has {n} nodes")
                return v.clone()
            mask = torch.zeros(n, dtype=torch.bool)
            mask[v.long().view(-1)] = True
            return mask
    raise CorruptDataError(f"{path}: none of the keys {list(keys)} (has {sorted(map(str, split))})")


def read_mm_graph(root: Path, encoder: str, text_dim: int | None = None) -> tuple[Data, list[Path]]:
    """Read one MM-Graph node-classification folder ``root`` (see module docstring)."""
    name = root.name
    how = ("MM-Graph node-classification files (mm-graph-benchmark.github.io): nc_edges-nodeid.pt, "
           f"{encoder}_feat.pt (or {encoder}_text_feat.pt + {encoder}_image_feat.pt), labels-w-missing.pt, "
           "split.pt.")
    feat_one = root / f"{encoder}_feat.pt"
    if feat_one.is_file():
        feat_files = [feat_one]
    else:
        feat_files = [root / f"{encoder}_text_feat.pt", root / f"{encoder}_image_feat.pt"]
    paths = require_files(root, ["nc_edges-nodeid.pt", "labels-w-missing.pt", "split.pt"]
                          + [p.name for p in feat_files], name, how)
    edges_p, labels_p, split_p = paths[:3]

    if len(feat_files) == 1:
        obj = _torch_load(feat_one)
        if isinstance(obj, dict):
            text, image = (_as_tensor(obj[k], feat_one).float() for k in ("text", "image"))
        else:
            x = _as_tensor(obj, feat_one).float()
            if x.dim() != 2:
                raise CorruptDataError(f"{feat_one}: expected [N, D] features, got shape {tuple(x.shape)}")
            dt = x.size(1) // 2 if text_dim is None else int(text_dim)
            if not 0 < dt < x.size(1):
                raise CorruptDataError(f"{feat_one}: cannot split {x.size(1)} columns at text_dim={dt}")
            text, image = x[:, :dt], x[:, dt:]
    else:
        text, image = (_as_tensor(_torch_load(p), p).float() for p in feat_files)
    if text.size(0) != image.size(0):
        raise CorruptDataError(f"{name}: text and image features have {text.size(0)} vs {image.size(0)} rows")
    n = text.size(0)

    labels = _as_tensor(_torch_load(labels_p), labels_p).view(-1)
    if labels.numel() != n:
        raise CorruptDataError(f"{labels_p}: {labels.numel()} labels for {n} nodes")
    if labels.is_floating_point():
        missing = torch.isnan(labels) | (labels < 0)
        labels = torch.where(missing, torch.zeros_like(labels), labels).long()
    else:
        missing = labels < 0
        labels = labels.long().clamp_min(0)

    edges = _as_tensor(_torch_load(edges_p), edges_p).long()
    if edges.dim() != 2 or 2 not in edges.shape:
        raise CorruptDataError(f"{edges_p}: expected edges [E, 2] or [2, E], got {tuple(edges.shape)}")
    ei = edges if edges.size(0) == 2 and edges.size(1) != 2 else (edges.t() if edges.size(1) == 2 else edges)
    if ei.numel() and (ei.min() < 0 or ei.max() >= n):
        raise CorruptDataError(f"{edges_p}: node ids outside [0, {n})")
    ei, _ = remove_self_loops(ei)
    ei = coalesce(to_undirected(ei, num_nodes=n), num_nodes=n)

    split = _torch_load(split_p)
    if not isinstance(split, dict):
        raise CorruptDataError(f"{split_p}: expected a dict of train/val/test indices")
    train = _split_index(split, ("train_idx", "train"), n, split_p)
    val = _split_index(split, ("val_idx", "valid_idx", "val", "valid"), n, split_p)
    test = _split_index(split, ("test_idx", "test"), n, split_p)
    data = Data(x=torch.cat([text, image], 1), y=labels, edge_index=ei, num_nodes=n,
                train_mask=train & ~missing, val_mask=val & ~missing, test_mask=test & ~missing)
    data.label_missing = missing
    dt = text.size(1)
    data.modalities = {"text": (0, dt), "image": (dt, dt + image.size(1))}
    data.num_classes = int(labels[~missing].max()) + 1 if (~missing).any() else 1
    data.multilabel = False
    data.encoder = encoder
    return data, paths


def _mm_graph_loader(name: str, default_encoder: str):
    def load(folder: Path, can_download: bool, encoder: str = default_encoder, text_dim: int | None = None):
        return read_mm_graph(Path(folder) / "mm-graph" / name, encoder, text_dim)

    return load


for _name, _enc in MM_GRAPH.items():
    register_dataset(
        DatasetSpec(
            name=_name,
            kind="homogeneous",
            loader=_mm_graph_loader(_name, _enc),
            expected=(f"mm-graph/{_name}/{{nc_edges-nodeid.pt,{_enc}_feat.pt,labels-w-missing.pt,split.pt}}"),
            source="MM-Graph benchmark (Zhu et al. 2024), node classification; not obtainable offline here",
        )
    )
