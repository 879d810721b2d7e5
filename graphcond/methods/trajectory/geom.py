"""SFGC and GEOM: structure-free condensation by matching expert trajectories.

One implementation, four ablation switches (``Config`` fields):

- ``curriculum``: experts trained easy-first (GEOM) or on all training nodes (SFGC);
- ``expanding``: start epochs drawn below U(it) = min(U_s + growth·it, U_max) (GEOM;
  growth 1 epoch per iteration as in the authors' code) or below the fixed U_max (SFGC);
- ``soft_labels``: learnable soft labels initialised from a well-trained expert's
  predictions on the condensed nodes (GEOM's knowledge embedding extractor; where the
  expert mispredicts a node, its class's logit is raised to tie for the top, as in the
  authors' code, ``label_correction``), or the fixed hard labels;
- ``kee``: add β·KL(labels ‖ expert predictions on the condensed graph) to the loss;
  the expert is the final state of the expert sampled for the iteration, as in the
  authors' code (``kee_expert="sampled"``), or always expert 0's (``"fixed"``).

``sfgc`` has all four off, ``geom`` all on; both read per-dataset/per-rate presets
(``graphcond/presets/{sfgc,geom}.json``). Epoch quantities (``window_start``,
``window_max``, ``expert_epochs``) are in teacher epochs; the buffer stores a checkpoint
every ``save_every`` epochs. The condensed graph returned is the snapshot with the best
VALIDATION accuracy of a GCN trained on it (checked every ``eval_every`` iterations, the
mean of ``eval_runs`` GCN runs; the authors use one), or with ``selection="gntk"`` the
lowest graph neural feature score, SFGC's own rule
(:class:`graphcond.methods.gntk.FeatureScore`: kernel ridge regression with the GNTK
onto the validation nodes; no network trained, the authors score every iteration:
``eval_every=1``, and never keep the initial graph); test labels are never read.
``snapshot_dir`` also saves every validated graph, so a study can measure what another
rule would have kept (``benchmarks/selection_study.py``: the authors keep the best TEST
accuracy). A non-finite loss raises :class:`graphcond.CondensationError`. The loop's
state is saved in the cache about once a minute (:mod:`graphcond.methods.run_state`):
after an interrupt the same call resumes from the last save and returns what the
uninterrupted run would have (``info["resumed_from"]`` says from where; ``resume=False``
starts over).

Options beyond the papers, all off by default: ``clip_grad`` clips the matching
gradient's norm (at the authors' student learning rates an unroll can blow up, SFGC on
Citeseer most often); ``expert_init="fan_out"`` widens the experts' initialisation
(:mod:`.buffer`); ``difficulty_labels="predicted"`` reads a GCN's predictions for the
curriculum (:mod:`.difficulty`); ``selection="gntk"`` is SFGC's own selection rule.
What each preset and option scored on this machine, against the papers:
``benchmarks/reports/trajectory.md``.

Example:
    >>> from graphcond import condense, evaluate, load_dataset
    >>> cora = load_dataset("cora")                                      # doctest: +SKIP
    >>> c = condense(cora, "geom", rate=0.5, quick=True)                  # doctest: +SKIP
    >>> evaluate(c, cora, runs=5).mean                                     # doctest: +SKIP
"""
from __future__ import annotations

import dataclasses

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch_geometric.data import Data

from ...models import build_model
from ...training import TrainConfig, mean_validation, model_input, operator_for
from ..base import Method, register_method
from ..gntk import FeatureScore
from ..run_state import RunState
from ..selection import select_per_class
from .buffer import ExpertSpec, expert_buffer
from .student import auto_segment, matching_loss, split, unroll

log = logging.getLogger(__name__)


@dataclass
class SFGCConfig:
    """Buffer (teacher) settings, matching settings and ablation switches."""

    # expert buffer
    num_experts: int = 200
    teacher_lr: float = 0.001
    teacher_epochs: int = 1000
    teacher_optimizer: str = "adam"
    teacher_wd: float = 5e-4
    hidden: int = 256
    curriculum: bool = False
    pacing: str = "root"
    lam: float = 0.8
    T: int = 250
    difficulty_labels: str = "train"  # "predicted": a GCN's labels off the training set; "all": authors' (reads val/test labels)
    save_every: int = 10
    store_dtype: str = "float32"  # the authors'; "float16" halves the disk (see .buffer)
    buffer_seed: int = 0  # experts are shared by every condensation seed
    expert_init: str = "torch"  # experts' initial weights: "torch" (nn.Linear's = the authors') or "fan_out" (ours)
    # matching
    expanding: bool = False
    window_start: int = 1  # U_s (epochs)
    window_max: int = 30  # U_max (epochs)
    window_growth: float | None = 1.0  # epochs per iteration (authors' code: U_s + it); None: U_max at half the iterations
    expert_epochs: int = 350
    syn_steps: int = 200
    lr_feat: float = 1e-4
    lr_y: float = 5e-5
    label_optimizer: str = "adam"  # soft labels: "adam" (ours) or "sgd" (authors': SGD, momentum 0.9)
    lr_student: float = 1.0
    lr_lr: float = 1e-6
    beta: float = 0.1
    kee: bool = False
    kee_expert: str = "sampled"  # authors' code: the sampled expert's final state; "fixed": expert 0's
    soft_labels: bool = False
    label_correction: bool = True  # authors' code: a node the expert mispredicts gets its class's logit raised to the top
    loss_squared: bool = True  # paper; False: the code's unsquared norm ratio
    iterations: int = 500
    init: str = "kcenter"  # or "random"
    init_embedding: str = "expert"  # K-Center reads "expert" logits (ours) or "coreset_gcn" (authors'; GEOM presets)
    init_epochs: int = 600  # coreset_gcn: training epochs (authors: Cora rate .25/.5/1: 1200/1/600, Citeseer 800)
    init_lr: float = 0.01  # coreset_gcn: Adam lr (authors: Cora 0.01, Citeseer 0.001)
    eval_every: int = 50
    eval_epochs: int = 600
    eval_runs: int = 1  # GCN runs averaged per validation (authors: 1); more make the pick steadier
    selection: str = "gcn"  # "gcn": validation accuracy of GCNs trained on the graph; "gntk": SFGC's feature score
    gntk_reg: float = 1.0  # selection="gntk": the ridge λ (authors' ntk_reg)
    gntk_max_nodes: int = 2000  # selection="gntk": validation nodes scored at most (a fixed random subset above)
    snapshot_dir: str = ""  # if set, every validated graph is also saved there (iter-NNNNN.pt) for selection studies
    segment: int = -1  # unroll recomputation segment; -1 auto, 0 off
    clip_grad: float = 0.0  # ours, 0 = off (authors): clip the gradient norm over features, student lr, labels
    resume: bool = True  # continue an interrupted run of the same call from its last save (False: start over)


@dataclass
class GEOMConfig(SFGCConfig):
    curriculum: bool = True
    expanding: bool = True
    kee: bool = True
    soft_labels: bool = True


def _identity_forward(x, params):
    w1, b1, w2, b2 = params
    return torch.addmm(b2, torch.relu(torch.addmm(b1, x, w1.t())), w2.t())


def coreset_gcn_embedding(data: Data, hidden: int, epochs: int, lr: float, seed: int, device) -> torch.Tensor:
    """The GEOM authors' K-Center embedding (``train_coreset.py``): a GCN 2 x ``hidden``
    (dropout 0.5, Adam ``lr``, weight decay 5e-4) takes ``epochs`` + 1 full-batch steps on the
    training labels, with no validation selection; the embedding is the hidden layer
    (ReLU, then dropout) of the last training-mode forward pass, before its step.

    Example:
        >>> coreset_gcn_embedding(cora, 256, 1, 0.01, 0, "cpu").shape   # doctest: +SKIP
        torch.Size([2708, 256])
    """
    torch.manual_seed(seed)
    model = build_model("gcn", data.num_features, int(data.num_classes), hidden=hidden, dropout=0.5).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=5e-4)
    x, op = model_input(data.x.to(device)), operator_for(data, "gcn", device)
    train, y = data.train_mask.to(device), data.y.to(device)
    model.train()
    for _ in range(epochs + 1):
        opt.zero_grad()
        emb = F.dropout(torch.relu(model.layer(0, x, op)), 0.5, True)  # no input dropout, as in theirs
        F.cross_entropy(model.layer(1, emb, op)[train], y[train]).backward()
        opt.step()
    return emb.detach().cpu()


def label_optimizer(y_logit: torch.Tensor, kind: str, lr: float) -> torch.optim.Optimizer:
    """The optimiser of GEOM's soft labels: ``"adam"`` (ours) or ``"sgd"``, SGD with
    momentum 0.9 as in the authors' ``geomtt_transduct2.py``. Either way the labels are
    ``softmax(y_logit)``; the authors step the expert's log-probabilities and read them
    unnormalised through ``KLDivLoss(log_target=True)``, which differs from this only in
    the rows' scale (one for us).

    Example:
        >>> y = torch.zeros(2, 3, requires_grad=True)
        >>> type(label_optimizer(y, "sgd", 1e-4)).__name__, label_optimizer(y, "sgd", 1e-4).defaults["momentum"]
        ('SGD', 0.9)
    """
    if kind == "adam":
        return torch.optim.Adam([y_logit], lr=lr)
    if kind == "sgd":
        return torch.optim.SGD([y_logit], lr=lr, momentum=0.9)
    raise ValueError(f"label_optimizer must be 'adam' or 'sgd', not {kind!r}")


def correct_soft_labels(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Raise each row's true-class logit to the row maximum where the expert's argmax is
    another class (the GEOM authors' correction of the KEE soft labels; the true class
    then ties for the top). Rows the expert gets right are unchanged.

    Example:
        >>> correct_soft_labels(torch.tensor([[2.0, 0.5], [0.5, 1.0]]), torch.tensor([1, 1])).tolist()
        [[2.0, 2.0], [0.5, 1.0]]
    """
    out = logits.clone()
    rows = torch.arange(out.size(0), device=out.device)
    top = out.max(1).values
    wrong = out.argmax(1) != y
    out[rows[wrong], y[wrong]] = top[wrong]
    return out


class _TrajectoryMatching(Method):
    def window(self, it: int) -> float:
        """Upper bound U(it) of the start epoch: expanding min(U_s + growth * it, U_max), or U_max."""
        c = self.config
        if not c.expanding:
            return c.window_max
        growth = c.window_growth
        if growth is None:
            growth = (c.window_max - c.window_start) / max(1, c.iterations // 2)
        return min(c.window_start + growth * it, c.window_max)

    def spec(self, num_epochs_kept: int) -> ExpertSpec:
        """The buffer spec: the config's teacher fields, the epochs kept, the buffer seed."""
        shared = {f.name for f in dataclasses.fields(ExpertSpec)} - {"keep_epochs", "seed"}
        fields = {name: getattr(self.config, name) for name in shared}
        return ExpertSpec(**fields, keep_epochs=num_epochs_kept, seed=self.config.buffer_seed)

    def kept_epochs(self) -> int:
        """Teacher epochs the buffer must keep: the window's largest start checkpoint
        plus ``expert_epochs`` (refused when the teacher does not train that long)."""
        c = self.config
        se = c.save_every
        hop = c.expert_epochs // se
        keep = ((max(1, int(c.window_max)) - 1) // se + hop) * se
        if hop < 1 or keep > c.teacher_epochs:
            raise ValueError(
                f"window_max ({c.window_max}) + expert_epochs ({c.expert_epochs}) need {keep} teacher epochs "
                f"(checkpoints every {se}), but teacher_epochs is {c.teacher_epochs}; lower them or train longer"
            )
        return keep

    def run(self, data, budget, seed, device, progress):
        from tqdm.auto import tqdm

        from ...api import CondensationError

        c = self.config
        if c.kee_expert not in ("sampled", "fixed"):
            raise ValueError(f"kee_expert must be 'sampled' or 'fixed', not {c.kee_expert!r}")
        if c.selection not in ("gcn", "gntk"):
            raise ValueError(f"selection must be 'gcn' or 'gntk', not {c.selection!r}")
        se = c.save_every
        hop = c.expert_epochs // se  # checkpoints between start and target
        t_buffer = time.perf_counter()
        buf = expert_buffer(data, self.spec(self.kept_epochs()), c.num_experts, device, progress)
        t_buffer = time.perf_counter() - t_buffer
        log.info("expert buffer %s: %d experts, %.1f MB on disk (%d trained now)", buf.folder, len(buf),
                 buf.disk_bytes / 2**20, buf.trained)
        gen = torch.Generator().manual_seed(seed)

        # a well-trained expert: the final parameters of expert 0
        final = split(buf.load(0)["final"].float().to(device), buf.shapes)
        expert = build_model("gcn", data.num_features, int(data.num_classes), hidden=c.hidden, dropout=0.0).to(device)
        with torch.no_grad():
            for p, v in zip(expert.parameters(), final):
                p.copy_(v)
            expert.eval()
            emb = expert(model_input(data.x.to(device)), operator_for(data, "gcn", device)).cpu()
        if c.init_embedding == "coreset_gcn":
            emb = coreset_gcn_embedding(data, c.hidden, c.init_epochs, c.init_lr, seed, device)
        elif c.init_embedding != "expert":
            raise ValueError(f"init_embedding must be 'expert' or 'coreset_gcn', not {c.init_embedding!r}")
        train = data.train_mask.nonzero().view(-1)
        nodes = select_per_class(c.init, emb if c.init != "random" else data.x, data.y[train], train, budget.per_class, gen)
        x_syn = data.x[nodes].clone().float().to(device).requires_grad_()
        y_hard = data.y[nodes].to(device)
        n, k = nodes.numel(), int(data.num_classes)
        with torch.no_grad():
            expert_logits = _identity_forward(x_syn, final)
            if c.label_correction:
                expert_logits = correct_soft_labels(expert_logits, y_hard)
        y_logit = expert_logits.clone().requires_grad_() if c.soft_labels else None

        def labels():
            return torch.softmax(y_logit, 1) if c.soft_labels else F.one_hot(y_hard, k).float()

        y_start = labels().detach()
        syn_lr = torch.tensor(float(c.lr_student), device=device, requires_grad=True)
        opt_x = torch.optim.Adam([x_syn], lr=c.lr_feat)
        opt_lr = torch.optim.SGD([syn_lr], lr=c.lr_lr, momentum=0.5)
        opt_y = label_optimizer(y_logit, c.label_optimizer, c.lr_y) if c.soft_labels else None
        segment = auto_segment(n, c.hidden, c.syn_steps) if c.segment < 0 else c.segment
        eval_cfg = TrainConfig(epochs=c.eval_epochs, hidden=c.hidden)

        snapshots = Path(c.snapshot_dir) if c.snapshot_dir else None
        if snapshots:
            snapshots.mkdir(parents=True, exist_ok=True)

        def snapshot():
            y = labels().detach().cpu() if c.soft_labels else y_hard.cpu()
            return Data(x=x_syn.detach().cpu().clone(), edge_index=torch.empty(2, 0, dtype=torch.long), y=y, num_nodes=n)

        feature_score = FeatureScore(data, c.gntk_reg, c.gntk_max_nodes, seed, device) if c.selection == "gntk" else None

        def validate(it):
            """The graph now and its merit (higher is better): GCN validation accuracy, or
            minus the GNTK feature score."""
            t = time.perf_counter()
            g = snapshot()
            if snapshots:
                torch.save(g, snapshots / f"iter-{it:05d}.pt")
            if feature_score is None:
                merit = mean_validation(g, data, eval_cfg, device, seed, c.eval_runs)
                entry = {"val": merit}
            else:
                score = feature_score(g.x, g.y)
                merit, entry = -score, {"gntk_score": score}
            history.append({"iteration": it, **entry, "seconds": round(time.perf_counter() - t0, 2)})
            eval_seconds[0] += time.perf_counter() - t
            return g, merit

        eval_seconds = [0.0]
        optimizers = {"x": opt_x, "lr": opt_lr, "y": opt_y}
        learned = {"x": x_syn, "lr": syn_lr, "y": y_logit}
        run_state = RunState(self.name, data, c, seed, budget, device)
        saved = run_state.restore(learned, optimizers, gen) if c.resume else None
        if saved is None:
            history: list[dict] = []
            losses, grad_norms = [], []
            t0 = time.perf_counter()
            best_graph, best_val = validate(0)
            if c.selection == "gntk":  # scored, but as in the SFGC authors' code not a candidate
                best_val = float("-inf")
            best_it = resumed_from = 0
        else:  # the state after iteration ``resumed_from`` of an interrupted run of this call
            resumed_from, extra = saved
            history, losses, grad_norms = extra["history"], extra["losses"], extra["grad_norms"]
            best_graph, best_val, best_it = extra["best"]
            eval_seconds[0] = extra["validation_seconds"]
            t0 = time.perf_counter() - extra["seconds"]
            log.info("%s: resuming from iteration %d (%s)", self.name, resumed_from, run_state.path)

        params = [p for p in learned.values() if p is not None]
        bar = tqdm(range(resumed_from + 1, c.iterations + 1), desc=f"{self.name} ({data.name})",
                   initial=resumed_from, total=c.iterations, disable=not progress, leave=False)
        with run_state.running(self.name):
            for it in bar:
                upper = max(1, int(self.window(it - 1)))
                e = int(torch.randint(len(buf), (1,), generator=gen))
                start_idx = int(torch.randint(upper, (1,), generator=gen)) // se
                sampled = buf.load(e)
                traj = sampled["checkpoints"]
                start = traj[start_idx].float().to(device)
                target = split(traj[start_idx + hop].float().to(device), buf.shapes)
                start_p = split(start, buf.shapes)
                y = labels()
                student = unroll(x_syn, y, start, buf.shapes, syn_lr, c.syn_steps, segment)
                loss = matching_loss(student, start_p, target, c.loss_squared)
                if c.kee:
                    teacher = final if c.kee_expert == "fixed" else split(sampled["final"].float().to(device), buf.shapes)
                    logp_e = torch.log_softmax(_identity_forward(x_syn, teacher), 1)
                    loss = loss + c.beta * (torch.special.xlogy(y, y) - y * logp_e).sum(1).mean()
                if not torch.isfinite(loss):
                    raise CondensationError(
                        f"{self.name}: non-finite matching loss at iteration {it} (expert {e}, start checkpoint "
                        f"{start_idx}, student lr {syn_lr.item():.4g}); lower lr_feat/lr_student or syn_steps, "
                        f"or bound the updates with clip_grad (e.g. 10)"
                    )
                for o in optimizers.values():
                    if o is not None:
                        o.zero_grad()
                loss.backward()
                norm = float(torch.nn.utils.clip_grad_norm_(params, c.clip_grad if c.clip_grad > 0 else float("inf")))
                grad_norms.append(norm)
                for o in optimizers.values():
                    if o is not None:
                        o.step()
                losses.append(loss.item())
                bar.set_postfix(loss=f"{losses[-1]:.4f}", lr=f"{syn_lr.item():.3g}")
                if it % c.eval_every == 0 or it == c.iterations:
                    g, val = validate(it)
                    if val > best_val:
                        best_graph, best_val, best_it = g, val, it
                if it < c.iterations and run_state.due():
                    run_state.save(it, learned, optimizers, gen, history=history, losses=losses,
                                   grad_norms=grad_norms, best=(best_graph, best_val, best_it),
                                   validation_seconds=eval_seconds[0], seconds=time.perf_counter() - t0)
        seconds = time.perf_counter() - t0
        self.info = {
            "buffer_dir": str(buf.folder),
            "buffer_disk_mb": round(buf.disk_bytes / 2**20, 1),
            "experts_trained": buf.trained,
            "experts": len(buf),
            "buffer_seconds": round(t_buffer, 1),
            "resumed_from": resumed_from,  # 0, or the iteration an interrupted run of this call was resumed from
            "history": history,
            "losses": losses,
            "selected_iteration": best_it,
            "selection": c.selection,
            # the kept graph's GCN validation accuracy, or its GNTK feature score
            **({"selected_val": best_val} if c.selection == "gcn" else {"selected_gntk_score": -best_val}),
            "student_lr": syn_lr.item(),
            # mean L1 distance between a node's final and initial label row (0 for hard labels)
            "label_change": float((labels().detach() - y_start).abs().sum(1).mean()),
            "grad_norm_median": float(torch.tensor(grad_norms).median()) if grad_norms else 0.0,
            "grad_norm_max": max(grad_norms, default=0.0),
            "clipped_iterations": sum(n > c.clip_grad for n in grad_norms) if c.clip_grad > 0 else 0,
            "seconds": seconds,
            "validation_seconds": eval_seconds[0],
            "seconds_per_iteration": (seconds - eval_seconds[0]) / max(1, c.iterations),
        }
        return best_graph


@register_method
class SFGC(_TrajectoryMatching):
    """Structure-free trajectory matching: plain experts, fixed window, hard labels."""

    name, summary, Config = "sfgc", "trajectory matching on a structure-free graph (fixed window)", SFGCConfig


@register_method
class GEOM(_TrajectoryMatching):
    """SFGC plus curriculum experts, expanding window and knowledge embedding extractor."""

    name, summary, Config = "geom", "trajectory matching with curriculum, expanding window and KEE", GEOMConfig
