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


def compare(df: pd.DataFrame, paper: dict, keys=("dataset", "method", "rate")) -> pd.DataFrame:
    """Add ``ours`` (percent), ``paper`` and ``diff`` columns; ``paper`` maps key tuples
    (by default dataset, method, rate) to published percentages."""
    out = df.copy()
    out["ours"] = (100 * out["mean"]).round(1)
    out["ours_std"] = (100 * out["std"]).round(1)
    out["paper"] = [paper.get(tuple(None if pd.isna(r[k]) else r[k] for k in keys)) for _, r in out.iterrows()]
    out["diff"] = (out["ours"] - out["paper"]).round(1)
    return out


def markdown(df: pd.DataFrame, columns: list[str]) -> str:
    """A GitHub markdown table of ``columns`` (no extra dependency)."""
    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    body = "".join("| " + " | ".join("" if pd.isna(r[c]) else str(r[c]) for c in columns) + " |\n" for _, r in df.iterrows())
    return head + body
