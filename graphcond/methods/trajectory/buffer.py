"""Expert trajectories: GCN experts trained on the whole graph, cached on disk.

Each expert is a 2-layer GCN (hidden 256, dropout 0) trained with the dataset's teacher
settings, either on all training nodes every epoch (``curriculum=False``, SFGC) or on
an easy-first growing share of them (``curriculum=True``, GEOM; see
:mod:`.difficulty`). Parameters are flattened in ``named_parameters`` order
(``W1, b1, W2, b2``) and a checkpoint is kept every ``save_every`` epochs, but only
those matching can sample: epochs ``0 .. keep_epochs`` (the window's maximum start
plus ``expert_epochs``). The final parameters (a well-trained expert, for the soft
labels of GEOM's knowledge embedding extractor) are kept in float32 beside them.

Checkpoints are stored in ``store_dtype``: ``"float32"`` by default, as the authors
store them; ``"float16"`` (an option, and the default before) halves the disk (20
experts: SFGC's Citeseer buffer 4.2 GB against 2.1). Its rounding moves a matched
segment ``theta_target - theta_start`` by at most 0.07% (Cora) to 0.11% (Citeseer) of
its length, yet it changes the course of the unstable SFGC Citeseer runs (float32 scores
1.3 to 4.4 points higher there; GEOM Cora does not move). Both formats, seed by seed:
``benchmarks/reports/trajectory.md``.

Checkpoints are stacked copies (``torch.stack`` of cloned vectors), never views of the
live model's parameters (GraphSlim's CPU bug stored one aliased tensor 20 times).

The buffer lives under ``cache_dir()/trajectories/<dataset>-<key>/`` where ``key``
hashes everything that shapes a stored trajectory (dataset source hash, teacher
settings, schedule, seed, kept range, storage dtype). A request is served by the
cached buffer of the same spec that keeps the longest range, if that covers the
range asked for (a trajectory does not depend on how much of it is kept), so the
presets of several ratios share one buffer. Each expert is written
atomically (temporary file, then rename) as soon as it is trained, so an interrupted
run resumes where it stopped and later condensations reuse it.

Example:
    >>> spec = ExpertSpec(teacher_epochs=20, save_every=10, keep_epochs=20)
    >>> spec.num_checkpoints
    3
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from ...data.paths import cache_dir
from ...models import build_model
from ...training import accuracy, model_input, operator_for
from ..run_state import save_atomic
from .difficulty import check_difficulty_labels, curriculum_order, nodes_at

FORMAT = "graphcond.trajectory/1"


@dataclass(frozen=True)
class ExpertSpec:
    """Everything that shapes a stored trajectory (all epochs are epochs, not checkpoints)."""

    teacher_lr: float = 0.01
    teacher_epochs: int = 1000
    teacher_optimizer: str = "adam"  # "adam" or "sgd"
    teacher_wd: float = 5e-4
    hidden: int = 256
    curriculum: bool = False
    pacing: str = "root"
    lam: float = 0.8
    T: int = 250
    difficulty_labels: str = "train"  # "train", "predicted" or "all" (authors', leaks labels)
    save_every: int = 10
    keep_epochs: int = 1000  # largest epoch stored (window max + expert_epochs)
    store_dtype: str = "float32"  # the authors'; "float16" halves the disk (module docstring)
    seed: int = 0
    expert_init: str = "torch"  # "torch": nn.Linear's, the authors' too; "fan_out": ours, wider (expert_init_)

    def __post_init__(self):
        check_difficulty_labels(self.difficulty_labels)
        if self.expert_init not in ("torch", "fan_out"):
            raise ValueError(f"expert_init must be 'torch' or 'fan_out', not {self.expert_init!r}")
        if self.store_dtype not in ("float32", "float16"):
            raise ValueError(f"store_dtype must be 'float32' or 'float16', not {self.store_dtype!r}")

    @property
    def num_checkpoints(self) -> int:
        return min(self.keep_epochs, self.teacher_epochs) // self.save_every + 1

    def key(self, data) -> str:
        """Hash of the spec, the raw files and the dataset options (e.g. feature normalisation)."""
        source = {"source": data.source_hash, "options": getattr(data, "dataset_options", {})}
        fields = dataclasses.asdict(self)
        if fields["expert_init"] == "torch":  # added later: hashed only when set, so older buffers keep their keys
            del fields["expert_init"]
        blob = json.dumps({"format": FORMAT, **source, **fields}, sort_keys=True, default=str)
        return hashlib.sha1(blob.encode()).hexdigest()[:16]


def flat_params(model: torch.nn.Module) -> Tensor:
    """A NEW flat float32 vector of ``model``'s parameters (a copy, never a view)."""
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()]).float().cpu().clone()


@dataclass
class Buffer:
    """The experts on disk: ``paths[i]`` holds ``checkpoints`` ``[K, P]``, ``final`` ``[P]``."""

    folder: Path
    spec: ExpertSpec
    paths: list[Path]
    shapes: list[tuple[int, ...]]
    trained: int  # experts trained by this call (0 when everything was cached)
    disk_bytes: int

    def load(self, i: int) -> dict:
        """Expert ``i`` (memory-mapped: only the rows used are read)."""
        return torch.load(self.paths[i], mmap=True, weights_only=True)

    def __len__(self) -> int:
        return len(self.paths)


def expert_init_(model: torch.nn.Module, kind: str) -> None:
    """Initialise an expert GCN in place: ``"torch"`` keeps ``nn.Linear``'s uniform
    ±1/sqrt(fan_in) for weights and biases, which is also the distribution of the GCond,
    SFGC and GEOM code's GCN (``GraphConvolution.reset_parameters``: ``1/sqrt(weight.T.size(1))``
    on a weight stored ``[in, out]``, so fan_in); ``"fan_out"`` (ours, in no authors' code)
    draws every weight and bias uniform in ±1/sqrt(fan_out), on Citeseer 4x (first layer)
    and 6.5x (second) wider.

    Example:
        >>> m = build_model("gcn", 100, 4, hidden=16, nlayers=2, dropout=0.0)
        >>> expert_init_(m, "fan_out")
        >>> all(float(p.abs().max()) <= 0.5 for p in m.parameters()), float(m.layers[1].weight.abs().max()) > 0.25
        (True, True)
    """
    if kind == "torch":
        return
    with torch.no_grad():
        for lin in (m for m in model.modules() if isinstance(m, torch.nn.Linear)):
            bound = lin.weight.size(0) ** -0.5
            lin.weight.uniform_(-bound, bound)
            if lin.bias is not None:
                lin.bias.uniform_(-bound, bound)


def _train_expert(data, spec: ExpertSpec, index: int, device, op, x, order) -> dict:
    seed = spec.seed * 1_000_003 + index
    torch.manual_seed(seed)
    c = int(data.num_classes)
    model = build_model("gcn", data.num_features, c, hidden=spec.hidden, nlayers=2, dropout=0.0).to(device)
    expert_init_(model, spec.expert_init)
    params = list(model.parameters())
    if spec.teacher_optimizer.lower() == "sgd":
        opt = torch.optim.SGD(params, lr=spec.teacher_lr, weight_decay=spec.teacher_wd)
    elif spec.teacher_optimizer.lower() == "adam":
        opt = torch.optim.Adam(params, lr=spec.teacher_lr, weight_decay=spec.teacher_wd)
    else:
        raise ValueError(f"unknown teacher optimizer {spec.teacher_optimizer!r}; use 'sgd' or 'adam'")
    y = data.y.to(device)
    train = data.train_mask.nonzero().view(-1).to(device)
    dtype = getattr(torch, spec.store_dtype)
    last = min(spec.keep_epochs, spec.teacher_epochs)
    ckpts = [flat_params(model).to(dtype)]
    for epoch in range(spec.teacher_epochs):
        idx = nodes_at(order, spec.pacing, epoch, spec.lam, spec.T).to(device) if spec.curriculum else train
        model.train()
        opt.zero_grad()
        loss = F.cross_entropy(model(x, op)[idx], y[idx])
        if not torch.isfinite(loss):
            raise FloatingPointError(f"expert {index} diverged at epoch {epoch} (loss {loss.item()})")
        loss.backward()
        opt.step()
        e = epoch + 1
        if e % spec.save_every == 0 and e <= last:
            ckpts.append(flat_params(model).to(dtype))
    model.eval()
    with torch.no_grad():
        out = model(x, op)
    val = accuracy(out[data.val_mask.to(device)], y[data.val_mask.to(device)])
    return {"checkpoints": torch.stack(ckpts), "final": flat_params(model), "val": torch.tensor(val)}


def _covering_spec(data, spec: ExpertSpec) -> ExpertSpec:
    """``spec`` with the longest kept range among the cached buffers that differ from it
    only there and keep at least as much (``spec`` itself when there is none)."""
    best = spec
    for meta_path in (cache_dir() / "trajectories").glob(f"{data.name}-*/meta.json"):
        try:
            keep = int(json.loads(meta_path.read_text())["spec"]["keep_epochs"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        other = dataclasses.replace(spec, keep_epochs=keep)
        if keep > best.keep_epochs and meta_path.parent.name == f"{data.name}-{other.key(data)}":
            best = other
    return best


def expert_buffer(data, spec: ExpertSpec, num_experts: int, device=None, progress: bool = True) -> Buffer:
    """Load the ``num_experts`` experts of ``spec`` for ``data`` from the cache (or from
    a cached buffer of the same spec keeping a longer range), training (and saving,
    one by one) those missing."""
    from tqdm.auto import tqdm

    device = torch.device("cpu") if device is None else torch.device(device)
    spec = _covering_spec(data, spec)
    folder = cache_dir() / "trajectories" / f"{data.name}-{spec.key(data)}"
    folder.mkdir(parents=True, exist_ok=True)
    meta_path = folder / "meta.json"
    if not meta_path.exists():
        meta = {"format": FORMAT, "dataset": data.name, "source_hash": data.source_hash, "spec": dataclasses.asdict(spec)}
        meta_path.write_text(json.dumps(meta, indent=1))
    paths = [folder / f"expert_{i:04d}.pt" for i in range(num_experts)]
    missing = [i for i, p in enumerate(paths) if not p.exists()]
    if missing:
        op = operator_for(data, "gcn", device)
        x = model_input(data.x.to(device))
        order = curriculum_order(data, spec.difficulty_labels, spec.seed, device).to(device) if spec.curriculum else None
        bar = tqdm(missing, desc=f"experts ({data.name})", disable=not progress, leave=False)
        for i in bar:
            save_atomic(_train_expert(data, spec, i, device, op, x, order), paths[i])
    shapes = [(spec.hidden, data.num_features), (spec.hidden,), (int(data.num_classes), spec.hidden), (int(data.num_classes),)]
    disk = sum(p.stat().st_size for p in folder.glob("expert_*.pt"))
    meta = json.loads(meta_path.read_text())
    meta.update(experts=len(list(folder.glob("expert_*.pt"))), disk_bytes=disk)
    tmp = meta_path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(meta, indent=1))
    os.replace(tmp, meta_path)
    return Buffer(folder, spec, paths, shapes, len(missing), disk)
