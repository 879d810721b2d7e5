"""Side-by-side peer harness for GraphSlim, run on Cora at GCond's 2.6% budget.

GraphSlim (PyPI ``graphslim``, Emory-Melody/GraphSlim) is the closest existing
graph-condensation toolkit. This script installs it in its own virtualenv,
separate from graphcond's, and runs its methods on Cora so that its numbers can
be put next to ours. Only the standard library is used here, so any Python 3.11
can run it, for example ``/work/main/.venv/bin/python``.

Budget. GraphSlim's ``--reduction_rate`` is a fraction of the *training labels*,
not of all nodes. ``config.setting_config`` uses 0.5 as Cora's representative
rate, and ``GCondBase.generate_labels_syn`` keeps ``int(count_c * 0.5)`` nodes
for every class but the largest, which gets whatever is left of
``int(140 * 0.5)``. That is 70 synthetic nodes, 70 / 2708 = 2.6% of the graph,
the same as GCond's ``--reduction_rate 0.5`` on Cora. The coreset methods
(random, herding, kcenter) keep ``int(count_c * 0.5)`` for each class, and
the logs show how many that comes to.

Subcommands
-----------
``install``
    Creates ``benchmarks/.peer/venv`` with python3.11, installs the CPU wheel
    ``torch==2.13.0`` first, then ``graphslim==1.2.1`` with
    ``--ignore-requires-python`` and ``--no-deps``. Its metadata says
    ``Requires-Python <=3.11``, which pip reads as excluding 3.11.1 and later.
    Then it installs the dependencies GraphSlim actually imports, with torch
    pinned by a constraints file. The undeclared ``matplotlib``,
    ``scikit-fuzzy`` and ``pyfpgrowth`` are added. ``deeprobust`` is
    needed too, because ``graphslim/models/prbcd.py`` imports it at import time. ``torch-scatter`` and
    ``torch-sparse`` are built from source (``--no-build-isolation``,
    ``MAX_JOBS=1``; about 12 minutes on two cores). A small stand-in ``dgl``
    package goes into the venv, because ``graphslim.dataset`` imports
    ``dgl.data.FraudDataset`` at import time but needs it only for the
    yelp/amazon datasets. Every step that is already done is skipped. The log is
    ``benchmarks/out/graphslim-install.log``.

``run``
    Links the Cora Planetoid files from ``$GRAPHCOND_DATA/planetoid/cora/``
    into ``benchmarks/.peer/data/cora/raw/``, where GraphSlim's loader
    (PyG ``Planetoid(root, 'cora')``) reads them. ``GRAPHCOND_DATA`` defaults
    to ``../shared/data`` relative to the repository root. Each method then
    runs in the peer venv as a separate subprocess, under ``/usr/bin/time -v``
    (for wall time and peak RSS) and ``timeout``. The driver copies
    GraphSlim's own ``train_all.py`` from the GitHub repo, which the wheel does
    not ship: build the agent, call ``agent.reduce``, then call
    ``Evaluator.evaluate(model_type='GCN')``. Results go to
    ``benchmarks/out/graphslim.csv`` and ``graphslim.md``. Rows from earlier
    invocations are kept, keyed by method and epochs, unless ``--fresh`` is
    given; they are read again before each write, so two invocations (one
    method each) can run at once. Full logs go to ``benchmarks/out/graphslim-logs/``.

    Every row gets a status that is read from the log, never assumed:
    ``ok``; ``failed`` (a traceback; the exception line is quoted);
    ``timeout``; ``NaN-loss`` (a loss printed as nan); and
    ``fell back to whole graph``. For the last one, GraphSlim's evaluator
    silently evaluates the full graph when no reduced graph was saved, and
    prints "find no feat at ..., use original feature matrix instead". The
    driver also prints the shape of the graph that was actually evaluated.
    A fallback row's accuracy is a whole-graph number and is reported as such.

Usage
-----
    nice -n 10 .venv/bin/python benchmarks/graphslim_peer.py install
    nice -n 10 .venv/bin/python benchmarks/graphslim_peer.py run \\
        --methods random herding kcenter gcondx
    nice -n 10 .venv/bin/python benchmarks/graphslim_peer.py run \\
        --methods gcond --epochs 150          # rows labelled "shortened"
    nice -n 10 .venv/bin/python benchmarks/graphslim_peer.py run \\
        --methods sfgc geom --timeout 600

Options for ``run``: ``--methods`` (default: random herding kcenter gcond
gcondx sfgc geom; ``whole`` evaluates the full graph), ``--epochs N``
(overrides GraphSlim's condensation epochs, and the rows are labelled
shortened), ``--runs N`` (GraphSlim's ``--run_eval``, default 10),
``--timeout S`` per method, ``--seed``, ``--threads`` (OMP threads, default 1),
``--fresh``, ``--peer-args`` (extra GraphSlim arguments as one string, e.g.
``--peer-args "--condense_model GCN"``; recorded in the row), ``--no-buff`` and
``--eval-saved``. ``--eval-saved`` runs no condensation: GraphSlim saves the graph
with the best intermediate validation accuracy under its ``--save_path`` at every
checkpoint (every ``epochs // 10`` iterations), so a run stopped by ``--timeout``
leaves its best graph so far; this evaluates that graph with GraphSlim's own
evaluator (``--runs`` GCN runs), in a row marked "saved best-validation graph",
for example ``run --methods gcond --eval-saved`` after a timed-out full ``gcond``.
For sfgc and geom, ``--no-buff`` passes GraphSlim's ``--no_buff`` and reuses the expert buffers an earlier run left in
``benchmarks/.peer/work/<method>/<method>_buffer/``. GraphSlim saves one
``replay_buffer_<n>.pt`` per 10 experts, so a timed-out buffer run can still
leave enough behind to reach the distillation stage.

Note on ``--epochs``. GraphSlim's ``setting_config`` works out the
intermediate-evaluation checkpoints (every ``epochs // 10`` iterations) from
the *config* epochs, before command-line values are applied. With ``-E``
smaller than the default, most checkpoints would fall outside the run. The
driver therefore recomputes ``eval_interval`` and ``checkpoints`` the same way
for the overridden epoch count, and says so in the log. A shortened run then
has the same 11 checkpoints as a full one. Without this, a gcond run with
``-E`` below 100 would never reach a checkpoint and never save a reduced
graph, and GraphSlim would then quietly evaluate the whole graph.
"""
from __future__ import annotations

import argparse
import csv
import datetime as _dt
import glob
import json
import os
import re
import resource
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PEER = REPO / "benchmarks" / ".peer"
VENV = PEER / "venv"
VPY = VENV / "bin" / "python"
OUT = REPO / "benchmarks" / "out"
LOGDIR = OUT / "graphslim-logs"
INSTALL_LOG = OUT / "graphslim-install.log"
CONSTRAINTS = PEER / "constraints.txt"
DRIVER = PEER / "run_graphslim.py"
RESULTS_JSON = OUT / "graphslim-results.json"

TORCH_VERSION = "2.13.0"
GRAPHSLIM_VERSION = "1.2.1"
# What graphslim 1.2.1 imports at `import graphslim.condensation` /
# `graphslim.dataset` time: its declared dependencies (deeprobust is imported by
# graphslim/models/prbcd.py; it pulls torchvision 0.28.0, gensim, numba, held to
# torch 2.13.0 by the constraints file) plus the undeclared matplotlib,
# scikit-fuzzy and pyfpgrowth.
GRAPHSLIM_DEPS = [
    "click", "deeprobust", "gdown", "networkit", "networkx", "numpy", "ogb", "pygsp",
    "scikit-learn", "scipy", "sortedcontainers", "torch_geometric", "tqdm",
    "matplotlib", "scikit-fuzzy", "pyfpgrowth",
]
EXT_DEPS = ["torch-scatter", "torch-sparse"]
CORA_FILES = [f"ind.cora.{s}" for s in
              ("x", "y", "tx", "ty", "allx", "ally", "graph", "test.index")]
DEFAULT_METHODS = ["random", "herding", "kcenter", "gcond", "gcondx", "sfgc", "geom"]
KNOWN_METHODS = DEFAULT_METHODS + ["whole", "doscond", "doscondx", "gcdm", "gcdmx",
                                   "sgdd", "simgc", "gcsntk", "msgc", "gdem"]
CORESETS = {"random", "herding", "kcenter", "whole"}
RATE = 0.5  # GraphSlim's Cora rate = 70 of 140 training labels = 2.6% of 2708 nodes

DGL_STUB_INIT = '''"""Stand-in for DGL, written by benchmarks/graphslim_peer.py.

GraphSlim 1.2.1 imports dgl at import time (graphslim/dataset/convertor.py and
loader.py) but uses it only for the yelp/amazon FraudDataset. Real DGL has no
wheel for torch 2.13, so this empty package lets GraphSlim import. Any real
use fails loudly.
"""
__version__ = "0.0.0+graphslim-peer-stub"
STUB = True


def __getattr__(name):
    raise ImportError(f"dgl stand-in: dgl.{name} is not available (stub for GraphSlim peer runs)")
'''
DGL_STUB_DATA = '''"""Stand-in dgl.data (see dgl/__init__.py)."""


class FraudDataset:
    def __init__(self, *args, **kwargs):
        raise ImportError("dgl stand-in: FraudDataset needs the real DGL (yelp/amazon only)")
'''

DRIVER_SRC = r'''"""GraphSlim driver written by benchmarks/graphslim_peer.py.

It follows GraphSlim's own graphslim/train_all.py from the GitHub repo, which
the wheel does not ship: resolve args, load the dataset, build the agent,
reduce, then evaluate with GCN. Extra arguments: --peer-epochs-overridden, and
--peer-eval-saved (no condensation: evaluate the best-validation graph an earlier,
interrupted run saved under --save_path).
"""
import os
import sys

overridden = "--peer-epochs-overridden" in sys.argv
if overridden:
    sys.argv.remove("--peer-epochs-overridden")
saved = "--peer-eval-saved" in sys.argv
if saved:
    sys.argv.remove("--peer-eval-saved")
whole = "--eval_whole" in sys.argv

from graphslim.config import get_args
from graphslim.dataset import *
from graphslim.evaluation import *
from graphslim.sparsification import *
from graphslim.condensation import *
from graphslim.coarsening import *
from graphslim.utils import seed_everything
import graphslim
import torch

args = get_args()
if overridden:
    # setting_config computed these from the config epochs before the CLI
    # override was applied; recompute them the same way for the new count.
    args.eval_interval = max(args.epochs // 10, 1)
    args.checkpoints = list(range(-1, args.epochs + 1, args.eval_interval))
    print(f"[peer] epochs overridden to {args.epochs}: eval_interval={args.eval_interval} "
          f"checkpoints={args.checkpoints}", flush=True)
import importlib.metadata as _md
print(f"[peer] graphslim {_md.version('graphslim')} from {os.path.dirname(graphslim.__file__)}; "
      f"torch {torch.__version__}; threads {torch.get_num_threads()}", flush=True)
print(f"[peer] method={args.method} dataset={args.dataset} reduction_rate={args.reduction_rate} "
      f"epochs={args.epochs} run_eval={args.run_eval} seed={args.seed} device={args.device} "
      f"save_path={args.save_path}", flush=True)

graph = get_dataset(args.dataset, args, args.load_path)
seed_everything(args.seed)
evaluator = Evaluator(args)
if whole:
    res_mean, res_std = evaluator.evaluate(graph, reduced=False, model_type='GCN')
    print(f"[peer] evaluated graph: whole graph, feat {tuple(graph.feat_full.shape)}", flush=True)
    sys.exit(0)

m = args.method
table = {
    'random': Random, 'herding': Herding, 'kcenter': KCenter,
    'gcond': GCond, 'gcondx': GCondX, 'doscond': DosCond, 'doscondx': DosCondX,
    'sfgc': SFGC, 'geom': GEOM, 'sgdd': SGDD, 'gcsntk': GCSNTK, 'msgc': MSGC,
    'simgc': SimGC, 'gcdm': GCDM, 'gcdmx': GCDMX, 'gdem': GDEM,
}
if saved:
    reduced_graph = graph  # evaluate() loads the graph saved under --save_path (get_syn_data)
    print(f"[peer] no condensation: evaluating the graph saved under {args.save_path}", flush=True)
else:
    agent = table[m](setting=args.setting, data=graph, args=args)
    reduced_graph = agent.reduce(graph, verbose=args.verbose)
    fs = getattr(reduced_graph, 'feat_syn', None)
    print(f"[peer] reduce() returned feat_syn {tuple(fs.shape) if fs is not None else None}", flush=True)
res_mean, res_std = evaluator.evaluate(reduced_graph, model_type='GCN')
fs = reduced_graph.feat_syn
n_full = graph.feat_full.shape[0]
kind = "WHOLE GRAPH (fallback)" if fs.shape[0] == n_full else "reduced"
print(f"[peer] evaluated graph: {kind}, feat_syn {tuple(fs.shape)} (full graph has {n_full} nodes, "
      f"train {graph.feat_train.shape[0]})", flush=True)
print(f"[peer] result mean={100*res_mean:.2f} std={100*res_std:.2f}", flush=True)
'''


# --------------------------------------------------------------------------- util
class Tee:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.f = open(path, "a", buffering=1)

    def __call__(self, msg: str = ""):
        stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        for line in str(msg).splitlines() or [""]:
            print(line, flush=True)
            self.f.write(f"[{stamp}] {line}\n")


def run_logged(log: Tee, cmd, env=None, cwd=None, check=True):
    log("$ " + " ".join(str(c) for c in cmd))
    t0 = time.time()
    p = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, env=env, cwd=cwd)
    tail = []
    for line in p.stdout:
        log.f.write(line)
        tail.append(line.rstrip())
        tail = tail[-15:]
    rc = p.wait()
    log(f"  -> rc={rc} in {time.time() - t0:.0f}s")
    if rc != 0:
        for t in tail:
            log("  | " + t)
        if check:
            raise SystemExit(f"command failed (rc={rc}); see {INSTALL_LOG}")
    return rc


def vpy_out(code: str) -> str | None:
    if not VPY.exists():
        return None
    p = subprocess.run([str(VPY), "-c", code], capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else None


def find_python311() -> str:
    cands = [os.environ.get("GRAPHSLIM_PYTHON", ""), shutil.which("python3.11") or ""]
    cands += sorted(glob.glob("/root/.pyenv/versions/3.11.*/bin/python3.11"), reverse=True)
    cands += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.11.*/bin/python3.11")), reverse=True)
    if sys.version_info[:2] == (3, 11):
        cands.append(sys.executable)
    for c in cands:
        if c and os.path.exists(c):
            return c
    raise SystemExit("no python3.11 found; set GRAPHSLIM_PYTHON=/path/to/python3.11")


def site_packages() -> Path:
    out = vpy_out("import sysconfig; print(sysconfig.get_paths()['purelib'])")
    if not out:
        raise SystemExit("cannot locate the peer venv's site-packages")
    return Path(out)


# ------------------------------------------------------------------------ install
def cmd_install(a):
    log = Tee(INSTALL_LOG)
    log(f"=== graphslim peer install {_dt.datetime.now().isoformat(timespec='seconds')} ===")
    done = []
    env = dict(os.environ, MAX_JOBS="1", OMP_NUM_THREADS="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    PEER.mkdir(parents=True, exist_ok=True)
    CONSTRAINTS.write_text(f"torch=={TORCH_VERSION}\n")
    pip = [str(VPY), "-m", "pip", "install", "-c", str(CONSTRAINTS)]

    # 1. venv
    if VPY.exists() and vpy_out("import sys; print(sys.version_info[:2] == (3, 11))") == "True":
        log(f"[skip] venv exists: {VENV}")
    else:
        py = find_python311()
        run_logged(log, [py, "-m", "venv", str(VENV)], env=env)
        done.append(f"created venv {VENV} with {py}")

    # 2. torch first (CPU wheel, cached locally)
    tv = vpy_out("import torch; print(torch.__version__)")
    if tv and tv.split("+")[0] == TORCH_VERSION:
        log(f"[skip] torch {tv} present")
    else:
        run_logged(log, [str(VPY), "-m", "pip", "install", f"torch=={TORCH_VERSION}"], env=env)
        done.append(f"installed torch=={TORCH_VERSION}")

    # 3. graphslim itself, pinned, ignoring its broken Requires-Python (<=3.11)
    gv = vpy_out("import importlib.metadata as m; print(m.version('graphslim'))")
    if gv == GRAPHSLIM_VERSION:
        log(f"[skip] graphslim {gv} present")
    else:
        run_logged(log, pip + ["--no-deps", "--ignore-requires-python", f"graphslim=={GRAPHSLIM_VERSION}"], env=env)
        done.append(f"installed graphslim=={GRAPHSLIM_VERSION} --no-deps --ignore-requires-python")

    # 4. the dependencies it imports (torch held by the constraints file)
    missing = vpy_out(
        "import importlib.metadata as m\n"
        f"deps = {GRAPHSLIM_DEPS!r}\n"
        "out = []\n"
        "for d in deps:\n"
        "    try: m.version(d)\n"
        "    except m.PackageNotFoundError: out.append(d)\n"
        "print(' '.join(out))")
    if missing is None:
        raise SystemExit("cannot query the peer venv")
    if missing:
        run_logged(log, pip + missing.split(), env=env)
        done.append("installed deps: " + missing)
    else:
        log("[skip] graphslim dependencies present")

    # 5. torch-scatter / torch-sparse from source
    if vpy_out("import torch_scatter, torch_sparse; print('ok')") == "ok":
        log("[skip] torch_scatter / torch_sparse import")
    else:
        log("building torch-scatter and torch-sparse from source (MAX_JOBS=1; ~12 min on 2 cores)")
        run_logged(log, pip + ["--no-build-isolation", "wheel", "setuptools"], env=env)
        run_logged(log, pip + ["-v", "--no-build-isolation"] + EXT_DEPS, env=env)
        done.append("built torch-scatter, torch-sparse from source")

    # 6. dgl stand-in
    sp = site_packages()
    real_dgl = vpy_out("import importlib.util as u; s = u.find_spec('dgl'); print(s.origin if s else '')")
    stub = sp / "dgl"
    if (stub / "__init__.py").exists() and "graphslim-peer-stub" in (stub / "__init__.py").read_text():
        log(f"[skip] dgl stand-in present at {stub}")
    elif real_dgl:
        log(f"[skip] a real dgl is installed at {real_dgl}; not writing the stand-in")
    else:
        (stub / "data").mkdir(parents=True, exist_ok=True)
        (stub / "__init__.py").write_text(DGL_STUB_INIT)
        (stub / "data" / "__init__.py").write_text(DGL_STUB_DATA)
        done.append(f"wrote dgl stand-in at {stub}")
        log(f"wrote dgl stand-in at {stub}")

    # 7. check: import everything the driver imports, and record versions
    DRIVER.write_text(DRIVER_SRC)
    check = vpy_out(
        "import importlib.metadata as m, torch, torch_scatter, torch_sparse, torch_geometric\n"
        "import graphslim.condensation, graphslim.sparsification, graphslim.dataset, graphslim.evaluation\n"
        "print('torch', torch.__version__, '| graphslim', m.version('graphslim'), '| torch_geometric',"
        " torch_geometric.__version__, '| torch_scatter', torch_scatter.__version__, '| torch_sparse',"
        " torch_sparse.__version__, '| numpy', m.version('numpy'))")
    if not check:
        p = subprocess.run([str(VPY), "-c", "import graphslim.condensation, graphslim.dataset"],
                           capture_output=True, text=True)
        log(p.stderr[-3000:])
        raise SystemExit("graphslim does not import in the peer venv (see above)")
    log("import check: " + check)
    freeze = subprocess.run([str(VPY), "-m", "pip", "freeze"], capture_output=True, text=True).stdout
    (PEER / "pip-freeze.txt").write_text(freeze)
    log.f.write("pip freeze:\n" + freeze)
    log("done this time: " + ("; ".join(done) if done else "nothing (all steps already done)"))
    log(f"log: {INSTALL_LOG}")


# ---------------------------------------------------------------------------- run
def place_cora() -> Path:
    data_root = os.environ.get("GRAPHCOND_DATA") or str(REPO / ".." / "shared" / "data")
    src = Path(data_root).resolve() / "planetoid" / "cora"
    missing = [f for f in CORA_FILES if not (src / f).is_file()]
    if missing:
        raise SystemExit(
            f"Cora not found: expected {', '.join(CORA_FILES)} in {src} "
            f"(missing: {', '.join(missing)}). Set GRAPHCOND_DATA to the folder holding planetoid/cora/.")
    root = PEER / "data"
    raw = root / "cora" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for f in CORA_FILES:
        dst = raw / f
        if dst.is_symlink() or dst.exists():
            if dst.resolve() == (src / f).resolve():
                continue
            dst.unlink()
        dst.symlink_to(src / f)
    return root


def config_epochs(method: str) -> int:
    """Epochs GraphSlim would use: configs/<method>/cora.json, else click default 1000."""
    sp = vpy_out("import graphslim, os; print(os.path.dirname(graphslim.__file__))")
    try:
        with open(os.path.join(sp, "configs", method, "cora.json")) as fh:
            return int(json.load(fh).get("epochs", 1000))
    except Exception:
        return 1000


TQDM_RE = re.compile(r"(\d+)/(\d+) \[(\d+:)?(\d+):(\d+)<")
ACC_RE = re.compile(r"Test Mean Accuracy: ([\d.]+) \+/- ([\d.]+)")
NAN_RE = re.compile(r"(loss[^\n]{0,40}?\bnan\b|\bnan\b[^\n]{0,20}loss)", re.I)
FALLBACK_RES = [re.compile(p) for p in (
    r"find no feat at .*use original feature matrix instead",
    r"no file found, use original graph instead",
    r"\[peer\] evaluated graph: WHOLE GRAPH",
)]


def tqdm_rate(text: str, total: int):
    """Seconds per iteration of the condensation loop from its last tqdm frame."""
    best = None
    for frag in re.split(r"[\r\n]", text):
        for m in TQDM_RE.finditer(frag):
            n, tot = int(m.group(1)), int(m.group(2))
            if tot != total or n == 0:
                continue
            h = int(m.group(3)[:-1]) if m.group(3) else 0
            secs = h * 3600 + int(m.group(4)) * 60 + int(m.group(5))
            best = (n, secs)
    if not best:
        return None, None
    return best[0], round(best[1] / best[0], 2)


def classify(text: str, rc: int, timed_out: bool):
    lines = text.replace("\r", "\n").splitlines()
    statuses, evidence = [], []
    if "Traceback (most recent call last)" in text:
        statuses.append("failed")
        exc = [l for l in lines if re.match(r"^[A-Za-z_.]*(Error|Exception|Interrupt)\b.*", l.strip())]
        evidence.append(exc[-1].strip() if exc else "Traceback")
    if timed_out:
        statuses.append("timeout")
        prog = [f.strip() for f in re.split(r"[\r\n]", text) if TQDM_RE.search(f)]
        evidence.append(f"killed by timeout (rc={rc})" + (f"; last progress: {prog[-1][-120:]}" if prog else ""))
    elif rc != 0 and "failed" not in statuses:
        statuses.append("failed")
        evidence.append(f"exit status {rc}")
    nan = [l.strip() for l in lines if NAN_RE.search(l)]
    if nan:
        statuses.append("NaN-loss")
        evidence.append(nan[0][-160:])
    fb = [l.strip() for l in lines if any(r.search(l) for r in FALLBACK_RES)]
    if fb:
        statuses.append("fell back to whole graph")
        evidence.append(fb[0][-200:])
    if not statuses:
        statuses.append("ok")
        acc = [l.strip() for l in lines if ACC_RE.search(l)]
        ev = [l.strip() for l in lines if l.startswith("[peer] evaluated graph")]
        evidence.append("; ".join((ev[-1:] or []) + (acc[-1:] or [])))
    return "; ".join(statuses), " | ".join(evidence)


def peak_mb_from(timefile: Path, usage_children_kb: int):
    try:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", timefile.read_text())
        if m:
            return round(int(m.group(1)) / 1024, 1), "time -v"
    except OSError:
        pass
    return round(usage_children_kb / 1024, 1), "getrusage(children) max so far"


def run_method(method: str, a, data_root: Path):
    shortened = a.epochs is not None and method not in CORESETS
    eff_epochs = "n/a" if method in CORESETS else (a.epochs if a.epochs is not None else config_epochs(method))
    tag = f"{method}-e{eff_epochs}" if method not in CORESETS else method
    if a.no_buff and method in ("sfgc", "geom"):
        tag += "-nobuff"
    extra_args = shlex.split(a.peer_args)
    if extra_args:
        tag += "-" + re.sub(r"[^A-Za-z0-9]+", "_", " ".join(extra_args)).strip("_")
    eval_saved = a.eval_saved and method not in CORESETS
    # GraphSlim writes expert buffers to ../{sfgc,geom}_buffer relative to the cwd,
    # and reduced graphs under --save_path, where its evaluator reloads them.
    work = PEER / "work" / method
    (work / "cwd").mkdir(parents=True, exist_ok=True)
    save_path = work / f"checkpoints-{tag}"
    if eval_saved:
        if not list(save_path.glob(f"reduced_graph/{method}/feat_*.pt")):
            raise SystemExit(f"--eval-saved: no graph saved by an earlier {tag} run under {save_path}")
        tag += "-saved"
    elif save_path.exists():
        shutil.rmtree(save_path)  # stale reduced graphs would be picked up by GraphSlim's evaluator
    buf = work / f"{method}_buffer"
    if method in ("sfgc", "geom") and not a.no_buff and buf.exists():
        shutil.rmtree(buf)  # GraphSlim appends replay_buffer_<n>.pt; start clean
    gs_args = ["-D", "cora", "-M", method, "-R", str(RATE), "-G", "-1",
               "-S", str(a.seed), "--load_path", str(data_root), "--save_path", str(save_path), "-V"]
    if a.runs is not None:
        gs_args += ["--run_eval", str(a.runs)]
    if a.no_buff and method in ("sfgc", "geom"):
        gs_args += ["--no_buff"]
    if method == "whole":
        gs_args += ["--eval_whole"]
    elif a.epochs is not None and method not in CORESETS:
        gs_args += ["-E", str(a.epochs), "--peer-epochs-overridden"]
    if eval_saved:
        gs_args += ["--peer-eval-saved"]
    gs_args += extra_args
    LOGDIR.mkdir(parents=True, exist_ok=True)
    logf = LOGDIR / f"{tag}.log"
    timef = work / "time.txt"
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), MKL_NUM_THREADS=str(a.threads),
               PYTHONUNBUFFERED="1", TQDM_MININTERVAL="5")
    env.pop("PYTHONPATH", None)
    inner = [str(VPY), str(DRIVER)] + gs_args
    cmd = []
    if a.timeout:
        cmd += ["timeout", "-k", "15", str(a.timeout)]
    cmd += inner
    have_time = os.path.exists("/usr/bin/time")
    if have_time:
        cmd = ["/usr/bin/time", "-v", "-o", str(timef)] + cmd
    print(f"\n=== {tag}: {' '.join(cmd)}", flush=True)
    t0 = time.time()
    with open(logf, "w") as fh:
        fh.write(f"# cwd: {work / 'cwd'}\n# save_path: {save_path}\n# command: {' '.join(cmd)}\n# started {_dt.datetime.now().isoformat(timespec='seconds')}\n")
        fh.flush()
        p = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=work / "cwd", env=env,
                             start_new_session=True)
        try:
            rc = p.wait(timeout=(a.timeout + 60) if a.timeout else None)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            rc = p.wait()
    wall = round(time.time() - t0, 1)
    text = logf.read_text(errors="replace")
    timed_out = rc in (124, 137) or (rc == -9)
    # GraphSlim's own logging file (logger.info lines: intermediate Val/Test, fallback notes)
    gs_log = [] if eval_saved else list(save_path.glob("logs/*/*.log"))
    extra = ""
    for g in gs_log:
        extra += f"\n# ---- GraphSlim logging file {g} ----\n" + g.read_text(errors="replace")
    if extra:
        with open(logf, "a") as fh:
            fh.write(extra)
    peak, peak_src = peak_mb_from(timef, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    status, evidence = classify(text + extra, rc, timed_out)
    accs = ACC_RE.findall(text)
    acc = f"{accs[-1][0]} ± {accs[-1][1]}" if accs else ""
    n_it, spi = (None, None) if method in CORESETS or eval_saved else tqdm_rate(text, int(eff_epochs))
    red = re.findall(r"\[peer\] evaluated graph: [^\n]*?feat(?:_syn)? \((\d+), \d+\)", text)
    row = dict(method=method, graphslim_epochs=eff_epochs, shortened="yes" if shortened else "no",
               peer_args=" ".join(extra_args),
               evaluated="saved best-validation graph" if eval_saved else "end of run",
               eval_nodes=red[-1] if red else "", accuracy=acc, runs=a.runs if a.runs else 10,
               wall_s=wall, peak_mb=peak, s_per_it=spi if spi is not None else "",
               iters_seen=n_it if n_it is not None else "", status=status, evidence=evidence,
               log=str(logf.relative_to(REPO)), peak_src=peak_src, rc=rc,
               finished=_dt.datetime.now().isoformat(timespec="seconds"))
    print(f"--> {tag}: acc={acc or '-'} wall={wall}s peak={peak}MB s/it={spi} status={status}\n    evidence: {evidence}",
          flush=True)
    return row


FIELDS = ["method", "peer_args", "evaluated", "graphslim_epochs", "shortened", "eval_nodes", "accuracy", "runs", "wall_s",
          "peak_mb", "s_per_it", "iters_seen", "status", "evidence", "log", "peak_src", "rc", "finished"]


def write_tables(rows):
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "graphslim.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in FIELDS})
    gv = vpy_out("import importlib.metadata as m; print(m.version('graphslim'))") or "?"
    tv = vpy_out("import torch; print(torch.__version__)") or "?"
    md = [f"# GraphSlim peer runs on Cora, reduction_rate {RATE} (70 of 140 training labels = 2.6% of nodes)", "",
          f"graphslim {gv}, torch {tv}, CPU, OMP threads as given to `run --threads` (default 1), "
          "written by `benchmarks/graphslim_peer.py`. The accuracy is GraphSlim's printed "
          "`Test Mean Accuracy: mean +/- std` over `runs` GCN evaluations. Rows with a status other "
          "than `ok` are not condensation results. `eval_nodes` is the node count of the graph "
          "that was actually evaluated (2708 = the whole graph). `s/it` is tqdm's elapsed time "
          "divided by iterations for the condensation loop, intermediate evaluations included.", "",
          "| method | extra GraphSlim args | evaluated | graphslim epochs | shortened | eval nodes | accuracy (%) | runs | wall s | peak MB | s/it | status | evidence |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ev = str(r.get("evidence", "")).replace("|", "\\|")
        md.append(f"| {r['method']} | {r.get('peer_args', '') or '-'} | {r.get('evaluated', 'end of run')} | {r['graphslim_epochs']} | {r['shortened']} | {r.get('eval_nodes', '')} | "
                  f"{r['accuracy'] or '-'} | {r['runs']} | {r['wall_s']} | {r['peak_mb']} | {r['s_per_it'] or '-'} | "
                  f"{r['status']} | `{ev}` |")
    md += ["", "Logs: " + ", ".join(f"`{r['log']}`" for r in rows), ""]
    (OUT / "graphslim.md").write_text("\n".join(md))


def row_key(r):
    """What identifies a result row: a later run with the same key replaces it."""
    return (r["method"], r.get("peer_args", ""), r.get("evaluated", "end of run"), str(r["graphslim_epochs"]),
            r["shortened"])


def cmd_run(a):
    for m in a.methods:
        if m not in KNOWN_METHODS:
            raise SystemExit(f"unknown method {m!r}; known: {' '.join(KNOWN_METHODS)}")
    if not VPY.exists():
        raise SystemExit("peer venv missing: run `graphslim_peer.py install` first")
    DRIVER.write_text(DRIVER_SRC)
    data_root = place_cora()
    print(f"Cora linked under {data_root / 'cora' / 'raw'}", flush=True)
    mine = []
    for m in a.methods:
        mine.append(run_method(m, a, data_root))
        # earlier rows are read again at each write, so that runs in parallel keep each other's
        earlier = [] if a.fresh or not RESULTS_JSON.exists() else json.loads(RESULTS_JSON.read_text())
        keys = {row_key(r) for r in mine}
        rows = [r for r in earlier if row_key(r) not in keys] + mine
        RESULTS_JSON.write_text(json.dumps(rows, indent=1))
        write_tables(rows)
    print(f"\nwrote {OUT / 'graphslim.csv'} and {OUT / 'graphslim.md'}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("install", help="create benchmarks/.peer/venv with graphslim (idempotent)")
    r = sub.add_parser("run", help="run GraphSlim methods on Cora 2.6%%")
    r.add_argument("--methods", nargs="+", default=DEFAULT_METHODS)
    r.add_argument("--epochs", type=int, default=None,
                   help="override GraphSlim's condensation epochs (rows labelled shortened)")
    r.add_argument("--runs", type=int, default=None, help="GraphSlim --run_eval (its default 10)")
    r.add_argument("--timeout", type=int, default=3600, help="seconds per method (0 = none)")
    r.add_argument("--seed", type=int, default=1, help="GraphSlim --seed (its default 1)")
    r.add_argument("--threads", type=int, default=1, help="OMP/MKL threads for the subprocess")
    r.add_argument("--fresh", action="store_true", help="discard rows from earlier invocations")
    r.add_argument("--peer-args", default="",
                   help="extra GraphSlim arguments, one string (e.g. '--condense_model GCN'); "
                        "part of the row's key and of its log name")
    r.add_argument("--no-buff", dest="no_buff", action="store_true",
                   help="sfgc/geom: pass GraphSlim's --no_buff and reuse the expert buffers an earlier "
                        "run of this harness left in benchmarks/.peer/work/<method>/<method>_buffer")
    r.add_argument("--eval-saved", dest="eval_saved", action="store_true",
                   help="no condensation: evaluate (GraphSlim's GCN evaluator, --runs) the best-validation "
                        "graph that an earlier, interrupted run with the same method/epochs/peer-args saved")
    a = ap.parse_args()
    {"install": cmd_install, "run": cmd_run}[a.cmd](a)


if __name__ == "__main__":
    main()
