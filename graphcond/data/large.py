"""Large homogeneous graphs: ogbn-arxiv, Flickr and Reddit with their standard splits.

Expected layout under the data folder:

* ``ogbn_arxiv/raw/{edge,node-feat,node-label,node_year,num-node-list,num-edge-list}.csv.gz``
  and ``ogbn_arxiv/split/time/{train,valid,test}.csv.gz`` (OGB's distribution, read
  with pandas; the ``ogb`` package is not needed). Citations are made undirected
  (and deduplicated); ``year`` holds the publication year. Time split.
* ``flickr/raw/{adj_full.npz,feats.npy,class_map.json,role.json}`` and the same files in
  ``reddit/raw/`` (GraphSAINT's layout, read by PyG's ``Flickr`` / ``Reddit2``);
  split from ``role.json``.

``inductive=True`` (Flickr, Reddit) gives the GraphSAINT/GCond inductive view. The
graph, node ids and masks are those of the full graph (``x``, ``y``, ``edge_index``,
``train_mask``/``val_mask``/``test_mask`` over all N nodes), plus ``train_edge_index``:
the edges of ``edge_index`` between two training nodes, in the same node ids. Train on
``(x, train_edge_index)`` restricted to ``train_mask`` (the train-induced subgraph: no
message from a validation or test node reaches a training node); evaluate validation
and test on ``(x, edge_index)``. ``data.inductive`` tells which view it is.

Example:
    >>> from graphcond.data import load_dataset
    >>> flickr = load_dataset("flickr", inductive=True)     # doctest: +SKIP
    >>> flickr.num_nodes, flickr.num_classes                 # doctest: +SKIP
    (89250, 7)
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch_geometric.data import Data
from torch_geometric.datasets import Flickr, Reddit2
from torch_geometric.utils import index_to_mask, subgraph, to_undirected

from .fetch import read_with_pyg
from .files import fetch_archive, load_or_build
from .paths import CorruptDataError, require_files
from .registry import DatasetSpec, register_dataset

ARXIV_URL = "http://snap.stanford.edu/ogb/data/nodeproppred/arxiv.zip"
ARXIV_RAW = ["edge", "node-feat", "node-label", "node_year", "num-node-list", "num-edge-list"]
ARXIV_FILES = [f"raw/{n}.csv.gz" for n in ARXIV_RAW] + [
    f"split/time/{n}.csv.gz" for n in ("train", "valid", "test")
]
ARXIV_HOW = f"Put OGB's ogbn-arxiv folder ({ARXIV_URL}, unzipped) at <data>/ogbn_arxiv/."
SAINT_FILES = ["adj_full.npz", "feats.npy", "class_map.json", "role.json"]


def _csv(path: Path, dtype) -> np.ndarray:
    """A headerless comma-separated file as a 2-d array; a parse failure names the file."""
    try:
        return pd.read_csv(path, header=None, dtype=dtype).to_numpy(copy=True)
    except (ValueError, OSError, EOFError, pd.errors.ParserError) as exc:
        raise CorruptDataError(
            f"dataset 'ogbn-arxiv': cannot read {path} ({exc.__class__.__name__}: {exc}); "
            "replace it with an intact copy."
        ) from exc


def _build_arxiv(paths: dict[str, Path]) -> Data:
    """Parse OGB's CSVs into an undirected ``Data`` with the time split."""
    num_nodes = int(_csv(paths["num-node-list"], np.int64)[0, 0])
    num_edges = int(_csv(paths["num-edge-list"], np.int64)[0, 0])
    edge = _csv(paths["edge"], np.int64)
    arrays = {
        "node-feat": _csv(paths["node-feat"], np.float32),
        "node-label": _csv(paths["node-label"], np.int64),
        "node_year": _csv(paths["node_year"], np.int64),
    }
    splits = {key: _csv(paths[key], np.int64)[:, 0] for key in ("train", "valid", "test")}

    def broken(name: str, a: np.ndarray) -> bool:
        if name in arrays:
            return len(a) != num_nodes
        shape_ok = name != "edge" or a.shape == (num_edges, 2)
        return not (shape_ok and 0 <= a.min() <= a.max() < num_nodes)

    bad = [n for n, a in {**arrays, **splits, "edge": edge}.items() if broken(n, a)]
    if bad:
        raise CorruptDataError(
            f"dataset 'ogbn-arxiv': {', '.join(str(paths[n]) for n in bad)} disagree with "
            f"{num_nodes} nodes / {num_edges} edges of num-node-list/num-edge-list.csv.gz; "
            "replace them with intact copies."
        )
    data = Data(
        x=torch.from_numpy(arrays["node-feat"]),
        y=torch.from_numpy(arrays["node-label"][:, 0]),
        year=torch.from_numpy(arrays["node_year"][:, 0]),
        edge_index=to_undirected(torch.from_numpy(edge.T.copy()), num_nodes=num_nodes),
    )
    for part, key in (("train", "train"), ("val", "valid"), ("test", "test")):
        data[f"{part}_mask"] = index_to_mask(torch.from_numpy(splits[key]), size=num_nodes)
    return data


def load_arxiv(folder: Path, can_download: bool):
    src = folder / "ogbn_arxiv"
    if can_download and not all((src / f).is_file() for f in ARXIV_FILES):
        fetch_archive(ARXIV_URL, src, "ogbn-arxiv", ARXIV_HOW, inner="arxiv")
    paths = require_files(src, ARXIV_FILES, "ogbn-arxiv", ARXIV_HOW)
    named = {p.name.removesuffix(".csv.gz"): p for p in paths}
    data = load_or_build("ogbn-arxiv", paths, "arxiv-v1", lambda: _build_arxiv(named))
    data.num_classes = int(data.y.max()) + 1
    data.multilabel = False
    return data, paths


def _check_saint(path: Path) -> None:
    """Parse one GraphSAINT file (features memory-mapped); raises if it is corrupt."""
    if path.suffix == ".json":
        json.loads(path.read_text())
    elif path.suffix == ".npy":
        np.load(path, mmap_mode="r")
    else:
        with np.load(path) as f:
            sp.csr_matrix((f["data"], f["indices"], f["indptr"]), shape=tuple(f["shape"]))


def _saint_loader(name: str, cls):
    def load(folder: Path, can_download: bool, inductive: bool = False):
        data, sources = read_with_pyg(
            dataset=name,
            folder=folder,
            subdir=f"{name}/raw",
            files=SAINT_FILES,
            raw_dir=lambda root: root / "raw",
            read=lambda root: cls(str(root))[0],
            can_download=can_download,
            check=_check_saint,
            how=f"Put GraphSAINT's {name} files there (github.com/GraphSAINT/GraphSAINT).",
        )
        if inductive:
            data.train_edge_index = subgraph(data.train_mask, data.edge_index)[0]
        data.inductive = inductive
        data.num_classes = int(data.y.max()) + 1
        data.multilabel = False
        return data, sources

    return load


register_dataset(
    DatasetSpec(
        name="ogbn-arxiv",
        kind="homogeneous",
        loader=load_arxiv,
        expected="ogbn_arxiv/{" + ",".join(ARXIV_FILES) + "}",
        source="OGB ogbn-arxiv (Hu et al. 2020), time split, made undirected",
    )
)
for _name, _cls in (("flickr", Flickr), ("reddit", Reddit2)):
    register_dataset(
        DatasetSpec(
            name=_name,
            kind="homogeneous",
            loader=_saint_loader(_name, _cls),
            expected=f"{_name}/raw/{{{','.join(SAINT_FILES)}}}",
            source=f"GraphSAINT {_name} (Zeng et al. 2020), role.json split",
        )
    )
