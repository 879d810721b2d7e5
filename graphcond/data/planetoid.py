"""Cora, Citeseer and Pubmed from the Planetoid raw pickles, public split.

Expected layout under the data folder: ``planetoid/<name>/ind.<name>.{x,y,tx,ty,
allx,ally,graph,test.index}``. PyG's ``Planetoid`` reads them (and pads Citeseer's
isolated test-range nodes as usual). Features are row-normalised by default, as in
the GCond/SFGC/GEOM code (``--normalize_features True``); ``normalize_features=False``
keeps the raw 0/1 bag-of-words (whole-graph GCN: Citeseer 69.7 raw vs 71.6 normalised).

Example:
    >>> from graphcond.data import load_dataset
    >>> load_dataset("citeseer").num_nodes              # doctest: +SKIP
    3327
"""
from __future__ import annotations

import pickle
from pathlib import Path

from torch_geometric.datasets import Planetoid

from .fetch import read_with_pyg
from .registry import DatasetSpec, register_dataset

SUFFIXES = ["x", "y", "tx", "ty", "allx", "ally", "graph", "test.index"]
PYG_NAMES = {"cora": "Cora", "citeseer": "CiteSeer", "pubmed": "PubMed"}


def _check(path: Path) -> None:
    """Parse one raw file (text index or latin-1 pickle); raises if it is corrupt."""
    if path.name.endswith("test.index"):
        [int(v) for v in path.read_text().split()]
    else:
        with open(path, "rb") as f:
            pickle.load(f, encoding="latin1")


def _loader(name: str):
    pyg_name = PYG_NAMES[name]
    files = [f"ind.{name}.{s}" for s in SUFFIXES]

    def load(folder: Path, can_download: bool, normalize_features: bool = True):
        def read(root: Path):
            return Planetoid(str(root), pyg_name)[0]

        data, sources = read_with_pyg(
            dataset=name,
            folder=folder,
            subdir=f"planetoid/{name}",
            files=files,
            raw_dir=lambda root: root / pyg_name / "raw",
            read=read,
            can_download=can_download,
            check=_check,
            how=f"Put the Planetoid raw files ind.{name}.* there (github.com/kimiyoung/planetoid, data/).",
        )
        if normalize_features:  # GCond/SFGC/GEOM default (PyG's NormalizeFeatures)
            data.x = data.x / data.x.sum(1, keepdim=True).clamp_min(1)
        data.num_classes = int(data.y.max()) + 1
        data.multilabel = False
        return data, sources

    return load


for _name in PYG_NAMES:
    register_dataset(
        DatasetSpec(
            name=_name,
            kind="homogeneous",
            loader=_loader(_name),
            expected=f"planetoid/{_name}/ind.{_name}.{{{','.join(SUFFIXES)}}}",
            source="Planetoid (Yang et al. 2016), public split",
        )
    )
