"""Where dataset files are looked for, and how they are staged for PyG's readers.

Resolution order for the folder holding the raw files:

1. an explicit ``data_dir=`` argument,
2. the ``GRAPHCOND_DATA`` environment variable,
3. a per-user cache (``GRAPHCOND_CACHE`` or ``~/.cache/graphcond``) into which the
   usual public source is downloaded when the network allows.

The raw layout under a data folder is the one the public copies use, e.g.
``planetoid/cora/ind.cora.x`` or ``hgb/ACM.zip``. PyG's dataset classes want their
own ``root/<Name>/raw/`` layout and write ``processed/`` files, so raw files are
linked (never copied, never modified) into a work folder under the cache.

Example:
    >>> from graphcond.data.paths import cache_dir
    >>> cache_dir().name
    'graphcond'
"""
from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no inter-process lock, one job per cache folder
    fcntl = None

ENV_DATA = "GRAPHCOND_DATA"
ENV_CACHE = "GRAPHCOND_CACHE"


class DataNotFoundError(FileNotFoundError):
    """Raised when a dataset's raw files are missing and cannot be downloaded."""


class CorruptDataError(ValueError):
    """Raised when a raw file exists but cannot be parsed."""


def cache_dir() -> Path:
    """The per-user cache folder (``GRAPHCOND_CACHE`` or ``~/.cache/graphcond``)."""
    env = os.environ.get(ENV_CACHE)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "graphcond"


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> tuple[Path, bool]:
    """Return ``(folder, user_given)``: the folder to read raw files from.

    ``user_given`` is False for the download cache, where a missing file may be
    fetched; for a folder the user named, a missing file is an error.
    """
    if data_dir is not None:
        return Path(data_dir).expanduser(), True
    env = os.environ.get(ENV_DATA)
    if env:
        return Path(env).expanduser(), True
    return cache_dir() / "downloads", False


def require_files(folder: Path, names: list[str], dataset: str, how: str) -> list[Path]:
    """Return ``folder/name`` for each name, or raise naming every missing file."""
    paths = [folder / n for n in names]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        shown = ", ".join(str(p) for p in missing[:4])
        more = f" (+{len(missing) - 4} more)" if len(missing) > 4 else ""
        raise DataNotFoundError(
            f"dataset {dataset!r}: missing {shown}{more}. {how} "
            f"Point graphcond at the folder with data_dir=... or {ENV_DATA}=..."
        )
    return paths


def files_hash(paths: list[Path]) -> str:
    """A short sha256 over the contents of ``paths`` (order matters)."""
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:16]


def work_dir(dataset: str, source_hash: str) -> Path:
    """A PyG root folder for ``dataset`` whose processed files match ``source_hash``."""
    d = cache_dir() / "pyg" / f"{dataset}-{source_hash}"
    d.mkdir(parents=True, exist_ok=True)
    return d


@contextmanager
def staging_lock(folder: Path):
    """Hold an exclusive inter-process lock on ``folder`` (a ``.lock`` file in it) while
    staging and processing: parallel jobs on one cache (a benchmark queue, a papermill
    batch) then never relink or half-read each other's files. POSIX ``flock``; released
    when the block ends or the process dies."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as f:
        if fcntl is not None:
            fcntl.flock(f, fcntl.LOCK_EX)
        yield


def link_into(paths: list[Path], dest: Path) -> None:
    """Symlink each file of ``paths`` into ``dest`` (replacing stale links)."""
    dest.mkdir(parents=True, exist_ok=True)
    for p in paths:
        target = dest / p.name
        if target.is_symlink() or target.exists():
            if target.is_symlink() and target.resolve() == p.resolve():
                continue
            target.unlink()
        target.symlink_to(p.resolve())
