"""Command line: ``graphcond datasets | methods | condense | evaluate``.

Example:
    graphcond condense --dataset cora --method kcenter --ratio 0.026 --seed 0 --out runs/cora-kc.pt
    graphcond evaluate runs/cora-kc.pt --model gcn --runs 5 --json
"""
from __future__ import annotations

import argparse
import json
import sys

from .api import CondensationError
from .budget import BudgetError, check_fraction


def _datasets(args) -> int:
    from .data import dataset_names, get_spec
    from .data.paths import resolve_data_dir

    folder, given = resolve_data_dir(args.data_dir)
    print(f"data folder: {folder} ({'given' if given else 'download cache'})")
    for name in dataset_names():
        spec = get_spec(name)
        here = "yes" if spec.available(folder) else "no"
        print(f"{name:12s} {spec.kind:14s} available={here:3s} files: {spec.expected}")
    return 0


def _methods(args) -> int:
    from .methods import get_method, method_names

    for name in method_names():
        cls = get_method(name)
        print(f"{name:10s} {cls.kind:14s} {cls.summary}")
    return 0


def _parse_sets(pairs: list[str]) -> dict:
    from .methods.base import parse_value

    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise ValueError(f"--set expects KEY=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        out[key.strip()] = parse_value(value)
    return out


def _condense(args) -> int:
    from .api import condense
    from .data import get_spec, load_dataset
    from .methods import get_method

    method = get_method(args.method)
    if (args.ratio is None) == (args.rate is None) and method.needs_budget:
        raise BudgetError("give exactly one of --ratio or --rate")
    for name in ("ratio", "rate"):
        if getattr(args, name) is not None:
            check_fraction(name, getattr(args, name))
    get_spec(args.dataset)
    overrides = _parse_sets(args.set)
    options = _parse_sets(args.option)
    data = load_dataset(args.dataset, data_dir=args.data_dir, **options)
    c = condense(
        data, args.method, ratio=args.ratio, rate=args.rate, seed=args.seed, device=args.device,
        quick=args.quick, progress=not args.no_progress, **overrides,
    )
    path = c.save(args.out)
    counts = c.meta["counts"]
    print(
        f"saved {path} ({counts['condensed_target_nodes']} of {counts['original_target_nodes']} target nodes, "
        f"ratio {c.meta['ratio']:.4f}, {c.meta['timings']['condense_s']:.1f} s)"
    )
    return 0


def _evaluate(args) -> int:
    from .condensed import load_condensed
    from .data import load_dataset
    from .evaluate import authors_settings, evaluate

    raw = load_condensed(args.path)
    data = load_dataset(raw.meta["dataset"], data_dir=args.data_dir, **raw.meta.get("dataset_options", {}))
    raw.check_dataset(data)
    train = authors_settings(raw.meta["dataset"], raw.meta["rate"]) if args.authors_settings else {}
    res = evaluate(raw, data, model=args.model, runs=args.runs, device=args.device, **(train | _parse_sets(args.set)))
    if args.json:
        print(json.dumps(res.summary()))
    else:
        print(res)
    return 0


def _notebooks(args) -> int:
    from .methods.base import parse_value
    from .notebook_runs import NOTEBOOK_DIR, run_grid

    grid = {}
    for item in args.grid:
        key, _, values = item.partition("=")
        if not values:
            raise ValueError(f"--grid expects KEY=V1,V2,..., got {item!r}")
        grid[key] = [parse_value(v) for v in values.split(",")]
    grid.setdefault("quick", [not args.full])
    names = args.notebook or sorted(p.name for p in NOTEBOOK_DIR.glob("[0-9]*.ipynb"))
    paths = [n if "/" in n else NOTEBOOK_DIR / (n if n.endswith(".ipynb") else n + ".ipynb") for n in names]
    report = run_grid(paths, grid, args.out, kernel=args.kernel, progress=not args.no_progress)
    print(f"executed {len(report.executed)}, skipped {len(report.skipped)} (already finished), failed {len(report.failed)}")
    for name, why in report.failed.items():
        print(f"FAILED {name}: {why}")
    print(f"results: {args.out}/results.csv ({len(report.results)} rows); executed notebooks and .html exports in {args.out}/")
    return 1 if report.failed else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="graphcond", description="Graph condensation workbench")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("datasets", help="list the dataset registry with availability")
    d.add_argument("--data-dir")
    d.set_defaults(func=_datasets)

    m = sub.add_parser("methods", help="list the condensation methods")
    m.set_defaults(func=_methods)

    c = sub.add_parser("condense", help="condense a dataset and save the condensed graph")
    c.add_argument("--dataset", required=True)
    c.add_argument("--method", required=True)
    c.add_argument("--ratio", type=float, help="condensed / all target nodes (papers' convention)")
    c.add_argument("--rate", type=float, help="condensed / training nodes (authors' code convention)")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--out", required=True)
    c.add_argument("--data-dir")
    c.add_argument("--device", default="auto")
    c.add_argument("--quick", action="store_true", help="the method's quick preset (smoke runs)")
    c.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config field")
    c.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="dataset option")
    c.add_argument("--no-progress", action="store_true")
    c.set_defaults(func=_condense)

    e = sub.add_parser("evaluate", help="evaluate a condensed graph on its original dataset")
    e.add_argument("path")
    e.add_argument("--model", default=None, help="evaluation model (default: gcn, or sehgnn for heterogeneous graphs)")
    e.add_argument("--runs", type=int, default=5)
    e.add_argument("--data-dir")
    e.add_argument("--device", default="auto")
    e.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="training setting")
    e.add_argument("--authors-settings", action="store_true",
                   help="the GEOM authors' training settings for the graph's dataset and rate (--set overrides them)")
    e.add_argument("--json", action="store_true", help="print one JSON object")
    e.set_defaults(func=_evaluate)

    nb = sub.add_parser("notebooks", help="run the notebook series")
    nbsub = nb.add_subparsers(dest="action", required=True)
    r = nbsub.add_parser("run", help="execute notebooks over a parameter grid with papermill")
    r.add_argument("--notebook", action="append", help="notebook name or path (default: the whole series)")
    r.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2", help="parameter values to sweep")
    r.add_argument("--out", default="runs/notebooks")
    r.add_argument("--full", action="store_true", help="full mode (quick=False): the published settings")
    r.add_argument("--kernel", help="Jupyter kernel name (default: the notebook's)")
    r.add_argument("--no-progress", action="store_true")
    r.set_defaults(func=_notebooks)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (KeyError, ValueError, FileNotFoundError, CondensationError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"graphcond: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # say where a rerun resumes (the methods add it as a note)
        print(f"graphcond: {'; '.join(getattr(exc, '__notes__', [])) or 'interrupted'}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
