"""HGB node-classification graphs (ACM, DBLP, IMDB, Freebase) as ``HeteroData``.

Expected layout under the data folder: ``hgb/<NAME>.zip`` (the HGB distribution zip
with ``info.dat node.dat link.dat label.dat label.dat.test``) or the same files
unzipped in ``hgb/<NAME>/``. PyG's ``HGBDataset`` parses them. Split: ``label.dat``
is split 80/20 into train/validation with ``split_seed`` (official HGB practice),
test = ``label.dat.test``. IMDB is multi-label (``y`` is a 0/1 matrix).

ACM's paper-paper links (option ``paper_links``): ``"sehgnn"`` (default) merges the
two directed HGB relations ``cite`` and ``ref`` into one symmetric relation
``("paper", "link", "paper")`` with a self-loop on every paper, as SeHGNN's and the
FreeHGC authors' HGB code do (their whole-graph and condensed numbers use it);
``"hgb"`` keeps ``cite`` and ``ref`` as in the files. It matters for condensation: a
few hundred kept papers share almost no citations, so without self-loops every
paper-paper meta-path of a kept paper aggregates nothing (on ACM at 1.2%, 34 of 36
FreeHGC papers), while on the full graph it does.

Example:
    >>> from graphcond.data import load_dataset
    >>> acm = load_dataset("acm")                          # doctest: +SKIP
    >>> acm.target, int(acm["paper"].train_mask.sum())     # doctest: +SKIP
    ('paper', 725)
    >>> load_dataset("acm", paper_links="hgb").edge_types[-2:]   # doctest: +SKIP
    [('paper', 'cite', 'paper'), ('paper', 'ref', 'paper')]
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import torch
from torch_geometric.datasets import HGBDataset
from torch_geometric.utils import add_self_loops, coalesce

from .fetch import read_with_pyg
from .registry import DatasetSpec, register_dataset

MEMBERS = ["info.dat", "node.dat", "link.dat", "label.dat", "label.dat.test"]
TARGETS = {"acm": "paper", "dblp": "author", "imdb": "movie", "freebase": "book"}
ZIP_NAMES = {"acm": "ACM", "dblp": "DBLP", "imdb": "IMDB", "freebase": "Freebase"}


def split_train_val(train_mask: torch.Tensor, val_share: float, seed: int):
    """Split the labelled nodes of ``train_mask`` into (train, val) masks with ``seed``."""
    idx = train_mask.nonzero().view(-1)
    gen = torch.Generator().manual_seed(seed)
    idx = idx[torch.randperm(idx.numel(), generator=gen)]
    n_val = int(round(val_share * idx.numel()))
    val = torch.zeros_like(train_mask)
    val[idx[:n_val]] = True
    return train_mask & ~val, val


def _check_zip(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        names = {Path(n).name for n in z.namelist()}
        missing = [m for m in MEMBERS if m not in names]
        if missing:
            raise ValueError(f"zip lacks {missing}")
        bad = z.testzip()
        if bad is not None:
            raise ValueError(f"corrupt member {bad}")


def _stage(folder: Path, name: str) -> tuple[Path, list[str], bool]:
    """Return ``(subdir, files, zipped)`` for whichever HGB layout is present."""
    upper = ZIP_NAMES[name]
    if (folder / "hgb" / upper).is_dir() and not (folder / "hgb" / f"{upper}.zip").is_file():
        return folder / "hgb" / upper, MEMBERS, False
    return folder / "hgb", [f"{upper}.zip"], True


def _loader(name: str):
    upper = ZIP_NAMES[name]

    def load(folder: Path, can_download: bool, split_seed: int = 0, val_share: float = 0.2):
        subdir, files, zipped = _stage(folder, name)

        def raw_dir(root: Path) -> Path:
            return root / name / "raw" / upper

        def read(root: Path):
            raw = raw_dir(root)
            zip_link = raw / f"{upper}.zip"
            if zip_link.exists() and not (raw / "node.dat").exists():
                with zipfile.ZipFile(zip_link) as z:
                    for member in z.namelist():
                        if Path(member).name in MEMBERS:
                            (raw / Path(member).name).write_bytes(z.read(member))
            return HGBDataset(str(root), name)[0]

        data, sources = read_with_pyg(
            dataset=name,
            folder=folder,
            subdir=str(subdir.relative_to(folder)),
            files=files,
            raw_dir=raw_dir,
            read=read,
            can_download=can_download,
            how=f"Put the HGB zip {upper}.zip in <data>/hgb/ (or its files in <data>/hgb/{upper}/).",
            check=_check_zip if zipped else None,
        )
        target = TARGETS[name]
        store = data[target]
        store.train_mask, store.val_mask = split_train_val(store.train_mask, val_share, split_seed)
        data.target = target
        data.multilabel = store.y.dim() > 1
        data.num_classes = int(store.y.size(1)) if data.multilabel else int(store.y.max()) + 1
        return data, sources

    return load


PAPER_LINKS = ("sehgnn", "hgb")


def merge_paper_links(data):
    """ACM with ``cite`` and ``ref`` replaced by one symmetric ``("paper", "link",
    "paper")`` relation with a self-loop on every paper (SeHGNN's preprocessing)."""
    n = int(data["paper"].num_nodes)
    pp = [e for e in data.edge_types if e[0] == e[2] == "paper"]
    ei = torch.cat([data[e].edge_index for e in pp], 1)
    ei, _ = add_self_loops(torch.cat([ei, ei.flip(0)], 1), num_nodes=n)
    for e in pp:
        del data[e]
    data["paper", "link", "paper"].edge_index = coalesce(ei, num_nodes=n)
    return data


def _acm_loader():
    base = _loader("acm")

    def load(folder: Path, can_download: bool, split_seed: int = 0, val_share: float = 0.2,
             paper_links: str = "sehgnn"):
        if paper_links not in PAPER_LINKS:
            raise ValueError(f"paper_links must be one of {PAPER_LINKS}, not {paper_links!r}")
        data, sources = base(folder, can_download, split_seed, val_share)
        return (merge_paper_links(data) if paper_links == "sehgnn" else data), sources

    return load


for _name, _target in TARGETS.items():
    register_dataset(
        DatasetSpec(
            name=_name,
            kind="heterogeneous",
            loader=_acm_loader() if _name == "acm" else _loader(_name),
            expected=f"hgb/{ZIP_NAMES[_name]}.zip (or hgb/{ZIP_NAMES[_name]}/{{{','.join(MEMBERS)}}})",
            source=f"HGB benchmark (Lv et al. 2021), target type {_target!r}",
        )
    )
