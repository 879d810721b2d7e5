"""AMiner (metapath2vec) as ``HeteroData``: authors, papers, venues; target ``author``.

Expected layout under the data folder (PyG's ``AMiner`` raw layout):
``aminer/raw/{id_author.txt,id_conf.txt,paper.txt,paper_author.txt,paper_conf.txt}`` and
``aminer/raw/label/googlescholar.8area.{author,venue}.label.txt``. PyG's ``AMiner``
parses them. No features (``num_nodes`` only). Only some authors carry one of the 8
research-area labels: they are split at random with ``split_seed`` into 24% train,
6% validation and 70% test (HGB practice: 80/20 of 30% labelled for train/val);
``author.y`` is -1 for the others. The venue labels are dropped.

Example:
    >>> from graphcond.data import load_dataset
    >>> aminer = load_dataset("aminer")                    # doctest: +SKIP
    >>> aminer.target, aminer.num_classes                  # doctest: +SKIP
    ('author', 8)
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch_geometric.datasets import AMiner

from .fetch import read_with_pyg
from .registry import DatasetSpec, register_dataset

LABELS = ["googlescholar.8area.author.label.txt", "googlescholar.8area.venue.label.txt"]
FILES = ["id_author.txt", "id_conf.txt", "paper.txt", "paper_author.txt", "paper_conf.txt"]
SHARES = (0.24, 0.06)  # train, validation; the rest is test


def split_labelled(labelled: torch.Tensor, num_nodes: int, seed: int):
    """Random (train, val, test) masks over the ``labelled`` node ids with ``seed``."""
    gen = torch.Generator().manual_seed(seed)
    idx = labelled[torch.randperm(labelled.numel(), generator=gen)]
    n_train, n_val = (int(round(share * idx.numel())) for share in SHARES)
    parts = idx[:n_train], idx[n_train : n_train + n_val], idx[n_train + n_val :]
    masks = [torch.zeros(num_nodes, dtype=torch.bool) for _ in parts]
    for mask, part in zip(masks, parts):
        mask[part] = True
    return masks


def _read(root: Path):
    """Run PyG's ``AMiner`` in ``root``, first moving linked label files into ``raw/label``."""
    raw = root / "raw"
    (raw / "label").mkdir(parents=True, exist_ok=True)
    for name in LABELS:
        if (raw / name).is_symlink():
            (raw / name).replace(raw / "label" / name)
    return AMiner(str(root))[0]


def load(folder: Path, can_download: bool, split_seed: int = 0):
    data, sources = read_with_pyg(
        dataset="aminer",
        folder=folder,
        subdir="aminer/raw",
        files=FILES + [f"label/{name}" for name in LABELS],
        raw_dir=lambda root: root / "raw",
        read=_read,
        can_download=can_download,
        how="Put metapath2vec's net_aminer files and its label/ folder in <data>/aminer/raw/.",
    )
    author = data["author"]
    y = torch.full((author.num_nodes,), -1, dtype=torch.long)
    y[author.y_index] = author.y
    author.y = y
    del author.y_index, data["venue"].y, data["venue"].y_index
    author.train_mask, author.val_mask, author.test_mask = split_labelled(
        (y >= 0).nonzero().view(-1), author.num_nodes, split_seed
    )
    data.target = "author"
    data.multilabel = False
    data.num_classes = int(y.max()) + 1
    return data, sources


register_dataset(
    DatasetSpec(
        name="aminer",
        kind="heterogeneous",
        loader=load,
        expected=f"aminer/raw/{{{','.join(FILES)}}}, aminer/raw/label/{{{','.join(LABELS)}}}",
        source="metapath2vec AMiner (Dong et al. 2017), target type 'author', 8 classes",
    )
)
