"""Tidy result tables: summaries of evaluations, side by side with published numbers.

Example:
    >>> import pandas as pd
    >>> df = pd.DataFrame([{"dataset": "cora", "method": "random", "rate": 0.5, "mean": 0.72, "std": 0.01}])
    >>> float(compare(df, {("cora", "random", 0.5): 72.8}).loc[0, "diff"])
    -0.8
"""
from __future__ import annotations

import pandas as pd


def summaries(evaluations) -> pd.DataFrame:
    """One row per :class:`~graphcond.evaluate.Evaluation` (its ``summary()``)."""
    return pd.DataFrame([e.summary() for e in evaluations])


def summarise_rows(rows: pd.DataFrame, by=("dataset", "method", "model", "rate")) -> pd.DataFrame:
    """Evaluation rows (one per run, as in :attr:`Evaluation.rows` or a benchmark CSV)
    summarised per ``by`` group: ``mean``/``std`` of ``test`` over all runs, ``runs``,
    ``condense_seeds`` and ``seed_std`` (std of the per-seed means), mean ``condense_s``."""
    by = [c for c in by if c in rows.columns]
    out = []
    for key, g in rows.groupby(by, dropna=False, sort=False):
        seeds = g.groupby("condense_seed")["test"].mean() if "condense_seed" in g else g["test"].iloc[:1]
        out.append(dict(zip(by, key if isinstance(key, tuple) else (key,))) | {
            "ratio": g["ratio"].iloc[0] if "ratio" in g else None,
            "condensed_target_nodes": g["condensed_target_nodes"].iloc[0], "metric": g["metric"].iloc[0],
            "mean": g["test"].mean(), "std": g["test"].std(ddof=1) if len(g) > 1 else 0.0, "runs": len(g),
            "condense_seeds": len(seeds), "seed_std": seeds.std(ddof=1) if len(seeds) > 1 else 0.0,
            "condense_s": g["condense_s"].mean(),
        })
    return pd.DataFrame(out)


def compare(df: pd.DataFrame, paper: dict | None = None, keys=("dataset", "method", "rate")) -> pd.DataFrame:
    """Add ``ours`` (percent), ``paper`` and ``diff`` columns. ``paper`` maps key tuples
    (by default dataset, method, rate) to published percentages; without it, every row
    is looked up in :mod:`graphcond.paper_tables` (by rate, or by ratio for FreeHGC)."""
    from .paper_tables import paper_value

    def nan_none(v):
        return None if v is None or pd.isna(v) else v

    out = df.copy()
    out["ours"] = (100 * out["mean"]).round(1)
    out["ours_std"] = (100 * out["std"]).round(1)
    if paper is None:
        out["paper"] = [paper_value(r["dataset"], r["method"], nan_none(r.get("rate")), nan_none(r.get("ratio")))
                        for _, r in out.iterrows()]
    else:
        out["paper"] = [paper.get(tuple(nan_none(r[k]) for k in keys)) for _, r in out.iterrows()]
    out["paper"] = pd.to_numeric(out["paper"])
    out["diff"] = (out["ours"] - out["paper"]).round(1)
    return out


def markdown(df: pd.DataFrame, columns: list[str]) -> str:
    """A GitHub markdown table of ``columns`` (no extra dependency)."""
    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    body = "".join("| " + " | ".join("" if pd.isna(r[c]) else str(r[c]) for c in columns) + " |\n" for _, r in df.iterrows())
    return head + body
