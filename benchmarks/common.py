"""Command-line options that the condensation benchmarks share.

Example:
    >>> import argparse
    >>> ap = argparse.ArgumentParser()
    >>> add_run_options(ap, out="benchmarks/out/x")
    >>> a = ap.parse_args(["--set", "epochs=5", "--set", "relay=sgc"])
    >>> settings_from(a.set), a.device, a.threads, a.quick
    ({'epochs': 5, 'relay': 'sgc'}, 'auto', 1, False)
"""
from __future__ import annotations

import argparse

from graphcond.methods.base import parse_value


def add_run_options(ap: argparse.ArgumentParser, out: str, quick_help: str = "quick presets (a shortened run)",
                    set_help: str = "method setting") -> None:
    """Add ``--quick``, ``--set KEY=VALUE`` (repeatable), ``--device``, ``--threads`` and ``--out``."""
    ap.add_argument("--quick", action="store_true", help=quick_help)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=set_help)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per job")
    ap.add_argument("--out", default=out)


def settings_from(pairs: list[str]) -> dict:
    """``["k=v", ...]`` -> ``{k: parsed v}`` (numbers, booleans and JSON are parsed)."""
    return {k: parse_value(v) for k, v in (kv.split("=", 1) for kv in pairs)}
