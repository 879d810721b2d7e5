"""Batch-run notebooks over a parameter grid with papermill, collect their results.

Each run writes ``<out>/<notebook>/<k=v,...>.ipynb`` (executed), an ``.html`` export
beside it, and the notebook's results table (the notebook calls
:func:`save_results` with the ``results_path`` parameter the runner injects). A run
whose outputs exist is skipped when the grid is re-run; a failing run is reported and
the others go on. ``collect`` gathers every run's results into one table.

Example:
    >>> from graphcond.notebook_runs import grid_points
    >>> grid_points({"dataset": ["cora", "citeseer"], "seed": [0]})
    [{'dataset': 'cora', 'seed': 0}, {'dataset': 'citeseer', 'seed': 0}]
"""
from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"


def grid_points(grid: dict[str, list]) -> list[dict]:
    """Every combination of the grid's values, in order."""
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def run_name(params: dict) -> str:
    """A file-system-safe name made of the parameters, e.g. ``dataset=cora,methods=random+kcenter``."""

    def show(v):
        return "+".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)

    text = ",".join(f"{k}={show(v)}" for k, v in params.items()) or "default"
    return "".join(c if c.isalnum() or c in "=,.-_" else "_" for c in text)


def save_results(table: pd.DataFrame, results_path: str | None) -> None:
    """Write a notebook's results table where the runner asked (no-op when ``None``)."""
    if results_path:
        Path(results_path).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(str(results_path) + ".tmp")
        table.to_csv(tmp, index=False)
        os.replace(tmp, results_path)


@dataclass
class GridReport:
    """What a grid run did: executed, skipped and failed runs (with their errors)."""

    executed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    results: pd.DataFrame | None = None


def _export_html(executed: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(executed, as_version=4))
    executed.with_suffix(".html").write_text(body)


def run_grid(
    notebooks: list[str | Path],
    grid: dict[str, list],
    out: str | Path,
    kernel: str | None = None,
    progress: bool = True,
) -> GridReport:
    """Execute each notebook for each grid point into ``out``; see the module docstring."""
    import papermill as pm

    out = Path(out).resolve()  # kernels run in notebooks/
    report = GridReport()
    for var in ("GRAPHCOND_DATA", "GRAPHCOND_CACHE"):
        if os.environ.get(var):
            os.environ[var] = str(Path(os.environ[var]).expanduser().resolve())
    for nb in map(Path, notebooks):
        if not nb.is_file():
            raise FileNotFoundError(f"no notebook {nb}")
        for params in grid_points(grid):
            name = f"{nb.stem}/{run_name(params)}"
            target = out / nb.stem / f"{run_name(params)}.ipynb"
            results = target.with_suffix(".csv")
            done = target.with_suffix(".done")
            if done.is_file():
                report.skipped.append(name)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                pm.execute_notebook(
                    str(nb), str(target), parameters={**params, "results_path": str(results)},
                    kernel_name=kernel, progress_bar=progress, cwd=str(nb.parent),
                )
                _export_html(target)
                done.write_text(json.dumps(params))
                report.executed.append(name)
            except Exception as exc:  # keep going; the report names the failure
                report.failed[name] = f"{exc.__class__.__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
    report.results = collect(out)
    report.results.to_csv(out / "results.csv", index=False)
    return report


def collect(out: str | Path) -> pd.DataFrame:
    """Every finished run's results table under ``out``, with ``notebook`` and ``run`` columns."""
    frames = []
    for csv in sorted(Path(out).glob("*/*.csv")):
        if not csv.with_suffix(".done").is_file():
            continue
        df = pd.read_csv(csv)
        df.insert(0, "run", csv.stem)
        df.insert(0, "notebook", csv.parent.name)
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
