"""Helpers for loaders that parse raw files themselves (no PyG dataset class).

``fetch_archive`` downloads and unpacks a public archive into the data folder;
``load_or_build`` caches a parsed graph in the work folder keyed by the raw files'
hash, written atomically so that an interrupted run never leaves a half file.

Example:
    >>> from graphcond.data.files import load_or_build   # used by rdf.py, large.py
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import torch
from torch_geometric.data import download_url, extract_tar, extract_zip

from .fetch import NETWORK_ERRORS
from .paths import DataNotFoundError, files_hash, work_dir


def fetch_archive(url: str, dest: Path, dataset: str, how: str, inner: str = "") -> None:
    """Download the ``.zip``/``.tgz`` at ``url``; copy its folder ``inner`` (all) to ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        try:
            path = download_url(url, tmp, log=False)
        except NETWORK_ERRORS as exc:
            raise DataNotFoundError(
                f"dataset {dataset!r}: not found under {dest} and the download of {url} "
                f"failed ({exc.__class__.__name__}: {exc}). {how} Point graphcond at the "
                "folder with data_dir=... or GRAPHCOND_DATA=..."
            ) from exc
        unpacked = Path(tmp) / "unpacked"
        unpack = extract_zip if path.endswith(".zip") else extract_tar
        unpack(path, str(unpacked), log=False)
        shutil.copytree(unpacked / inner, dest, dirs_exist_ok=True)


def load_or_build(dataset: str, sources: list[Path], tag: str, build: Callable[[], object]):
    """Return the graph cached for ``sources`` under ``tag``, else ``build()`` and cache it.

    ``tag`` names the processing (bump it when the parsing changes).
    """
    path = work_dir(dataset, files_hash(sources)) / f"{tag}.pt"
    if path.is_file():
        return torch.load(path, weights_only=False)
    graph = build()
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        torch.save(graph, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return graph
