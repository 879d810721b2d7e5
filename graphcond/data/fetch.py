"""Read raw files with a PyG dataset class: user folder, else download, else a clear error.

Example:
    >>> from graphcond.data.fetch import read_with_pyg   # used by the loaders
"""
from __future__ import annotations

import urllib.error
from pathlib import Path
from typing import Callable

from .paths import (
    CorruptDataError,
    DataNotFoundError,
    cache_dir,
    files_hash,
    link_into,
    require_files,
    staging_lock,
    work_dir,
)

NETWORK_ERRORS = (urllib.error.URLError, ConnectionError, TimeoutError, OSError)


def read_with_pyg(
    *,
    dataset: str,
    folder: Path,
    subdir: str,
    files: list[str],
    raw_dir: Callable[[Path], Path],
    read: Callable[[Path], object],
    can_download: bool,
    how: str,
    check: Callable[[Path], None] | None = None,
):
    """Return ``(graph, source_paths)`` for ``files`` found in ``folder/subdir``.

    The files are linked into ``raw_dir(root)`` of a cache root keyed by their hash,
    and ``read(root)`` runs the PyG dataset class there, both under the root's
    :func:`~.paths.staging_lock` (parallel jobs share the cache safely). ``check(path)``
    may parse a single file and raise; the error then names that file. When the files are absent
    and ``can_download`` is true, ``read`` is called on an empty download root so the
    PyG class fetches them from its public source.
    """
    src = folder / subdir
    present = all((src / f).is_file() for f in files)
    if not present and can_download:
        root = cache_dir() / "pyg" / f"{dataset}-download"
        try:
            with staging_lock(root):
                graph = read(root)
        except NETWORK_ERRORS as exc:
            raise DataNotFoundError(
                f"dataset {dataset!r}: not found under {src} and the download failed "
                f"({exc.__class__.__name__}: {exc}). {how} Expected files: "
                f"{', '.join(str(src / f) for f in files)}; point graphcond at the "
                "folder with data_dir=... or GRAPHCOND_DATA=..."
            ) from exc
        got = [p for p in sorted(raw_dir(root).rglob("*")) if p.is_file()]
        return graph, got
    paths = require_files(src, files, dataset, how)
    if check is not None:
        for p in paths:
            try:
                check(p)
            except Exception as exc:  # any parse failure is a corrupt file
                raise CorruptDataError(
                    f"dataset {dataset!r}: cannot read {p} ({exc.__class__.__name__}: {exc}); "
                    "replace it with an intact copy."
                ) from exc
    root = work_dir(dataset, files_hash(paths))
    with staging_lock(root):
        link_into(paths, raw_dir(root))
        try:
            graph = read(root)
        except Exception as exc:
            raise CorruptDataError(
                f"dataset {dataset!r}: reading the raw files in {src} failed "
                f"({exc.__class__.__name__}: {exc}); replace them with intact copies."
            ) from exc
    return graph, paths
