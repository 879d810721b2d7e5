"""Trajectory matching (SFGC, GEOM): difficulty, pacing, expert buffer, student, methods."""
from __future__ import annotations

import dataclasses
import math
import os

import pytest
import torch
from torch_geometric.data import Data

from graphcond import CondensationError, condense, evaluate
from graphcond.methods.trajectory.buffer import ExpertSpec, expert_buffer, flat_params
from graphcond.methods.trajectory.difficulty import (
    curriculum_order,
    neighbourhood_entropy,
    nodes_at,
    pacing,
    predicted_labels,
    training_difficulty,
)
from graphcond.methods.trajectory.student import matching_loss, reference_unroll, split, unroll


@pytest.fixture(autouse=True)
def _one_thread_and_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHCOND_CACHE", str(tmp_path / "cache"))
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def toy_graph(n_per_class: int = 12, classes: int = 3, dim: int = 8, seed: int = 0) -> Data:
    """Clustered features, mostly intra-class edges, train/val/test split."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(classes).repeat_interleave(n_per_class)
    n = y.numel()
    centres = torch.randn(classes, dim, generator=g) * 2
    x = (centres[y] + torch.randn(n, dim, generator=g)).relu()
    src, dst = [], []
    for i in range(n):
        for j in range(i + 1, n):
            p = 0.3 if y[i] == y[j] else 0.02
            if torch.rand(1, generator=g).item() < p:
                src += [i, j]
                dst += [j, i]
    perm = torch.randperm(n, generator=g)
    train, val, test = (torch.zeros(n, dtype=torch.bool) for _ in range(3))
    for c in range(classes):
        members = perm[y[perm] == c]
        train[members[:6]] = True
        val[members[6:9]] = True
        test[members[9:]] = True
    data = Data(x=x, edge_index=torch.tensor([src, dst]), y=y, train_mask=train, val_mask=val, test_mask=test)
    data.num_classes, data.name, data.source_hash, data.multilabel = classes, "toy", f"toy{seed}", False
    return data


# ---------------------------------------------------------------- difficulty and pacing


def test_entropy_hand_computed():
    # star: centre 0 with leaves 1,2,3; labels 0,0,1,2; node 4 isolated with label 1
    ei = torch.tensor([[0, 1, 0, 2, 0, 3], [1, 0, 2, 0, 3, 0]])
    y = torch.tensor([0, 0, 1, 2, 1])
    ent = neighbourhood_entropy(ei, y, torch.ones(5, dtype=torch.bool), 3)
    # centre: {0,0,1,2} -> p = (1/2, 1/4, 1/4)
    centre = -(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25))
    # leaf 1: {0 (itself), 0} -> 0; leaf 2: {1, 0} -> ln 2; leaf 3: {2, 0} -> ln 2; isolated: 0
    expected = [centre, 0.0, math.log(2), math.log(2), 0.0]
    assert ent.tolist() == pytest.approx(expected, abs=1e-6)
    # only node 0's label known: leaf 2 sees {0} (its own label hidden) -> 0
    known = torch.tensor([True, False, False, False, False])
    assert neighbourhood_entropy(ei, y, known, 3).tolist() == pytest.approx([0.0] * 5, abs=1e-6)


@pytest.mark.parametrize(
    "name,lam,T,expected",
    [
        ("linear", 0.5, 100, [0.5, 0.75, 1.0, 1.0]),
        ("root", 0.5, 100, [0.5, math.sqrt(0.25 + 0.75 * 0.5), 1.0, 1.0]),
        ("geom", 0.25, 100, [0.25, 0.5, 1.0, 1.0]),
    ],
)
def test_pacing_values(name, lam, T, expected):
    got = [pacing(name, t, lam, T) for t in (0, T / 2, T, 3 * T)]
    assert got == pytest.approx(expected, abs=1e-9)


def test_pacing_selects_easiest_first():
    order = torch.tensor([5, 3, 9, 1])
    assert nodes_at(order, "linear", 0, 0.5, 10).tolist() == [5, 3]
    assert nodes_at(order, "linear", 10, 0.5, 10).tolist() == [5, 3, 9, 1]
    with pytest.raises(ValueError):
        pacing("cubic", 1, 0.5, 10)


def test_difficulty_reads_training_labels_only():
    data = toy_graph()
    train_only, leaky = training_difficulty(data), training_difficulty(data, "all")
    changed = data.clone()
    test_nodes = changed.test_mask.nonzero().view(-1)
    # relabel every test node that touches a training node
    src, dst = changed.edge_index
    touched = torch.unique(dst[changed.train_mask[src] & changed.test_mask[dst]])
    assert touched.numel() > 0 and bool(torch.isin(touched, test_nodes).all())
    changed.y[touched] = (changed.y[touched] + 1) % 3
    train = data.train_mask
    assert torch.equal(training_difficulty(changed)[train], train_only[train])
    assert torch.equal(curriculum_order(changed), curriculum_order(data))
    assert not torch.equal(training_difficulty(changed, "all")[train], leaky[train])


def test_predicted_difficulty_reads_no_held_out_label():
    data = toy_graph()
    train = data.train_mask
    pred = predicted_labels(data, seed=0)
    assert torch.equal(pred[train], data.y[train])  # training nodes keep their labels
    held_out = ~train
    # the toy classes separate: the predictor gets every held-out node right, so here the
    # predicted difficulty equals the label-reading one, with no held-out label read
    assert torch.equal(pred, data.y)
    assert torch.equal(predicted_labels(data, seed=0), pred)  # deterministic for a seed
    # the entropy is exactly the all-labels entropy computed on the predicted labels
    expected = neighbourhood_entropy(data.edge_index, pred, torch.ones(data.num_nodes, dtype=torch.bool), 3)
    got = training_difficulty(data, "predicted")
    assert torch.equal(got, expected)
    assert torch.equal(got, training_difficulty(data, "all"))
    assert int((got[train] > 0).sum()) > int((training_difficulty(data)[train] > 0).sum())
    # relabelling every held-out node changes nothing: no held-out label is read
    changed = data.clone()
    changed.y[held_out] = (changed.y[held_out] + 1) % 3
    assert torch.equal(training_difficulty(changed, "predicted"), got)
    assert not torch.equal(training_difficulty(changed, "all"), got)
    assert torch.equal(curriculum_order(changed, "predicted"), curriculum_order(data, "predicted"))
    with pytest.raises(ValueError, match="unknown difficulty labels"):
        training_difficulty(data, "val")
    with pytest.raises(ValueError, match="unknown difficulty labels"):
        ExpertSpec(difficulty_labels="val")


# ---------------------------------------------------------------- buffer


def test_buffer_cache_reuse_resume_and_copies():
    data = toy_graph()
    spec = ExpertSpec(teacher_lr=0.05, teacher_epochs=40, hidden=16, curriculum=True, pacing="linear", lam=0.5,
                      T=20, save_every=5, keep_epochs=30, store_dtype="float32")
    first = expert_buffer(data, spec, 2, progress=False)
    assert first.trained == 2 and first.disk_bytes > 0
    again = expert_buffer(data, spec, 2, progress=False)
    assert again.trained == 0 and again.folder == first.folder
    e0 = again.load(0)
    ck = e0["checkpoints"]
    assert ck.shape == (spec.num_checkpoints, sum(math.prod(s) for s in again.shapes)) == (7, 8 * 16 + 16 + 16 * 3 + 3)
    # every stored checkpoint is its own copy: consecutive checkpoints differ, and differ from the end
    assert all(not torch.equal(ck[i], ck[i + 1]) for i in range(len(ck) - 1))
    assert not torch.equal(ck[-1], e0["final"])
    # different experts differ (re-initialised per expert)
    assert not torch.equal(ck[0], again.load(1)["checkpoints"][0])
    # interrupted run: a missing expert is retrained alone, identically (deterministic)
    os.remove(again.paths[1])
    resumed = expert_buffer(data, spec, 3, progress=False)
    assert resumed.trained == 2
    assert torch.equal(resumed.load(0)["checkpoints"], ck)
    # another schedule is another buffer
    assert expert_buffer(data, ExpertSpec(**{**spec.__dict__, "curriculum": False}), 1, progress=False).folder != first.folder
    # a shorter kept range is served by the longer buffer: same trajectories, no training
    shorter = expert_buffer(data, dataclasses.replace(spec, keep_epochs=20), 3, progress=False)
    assert shorter.folder == first.folder and shorter.trained == 0 and shorter.spec.keep_epochs == 30
    # a longer one is its own buffer, whose stored range starts with the same checkpoints
    longer = expert_buffer(data, dataclasses.replace(spec, keep_epochs=40), 1, progress=False)
    assert longer.folder != first.folder and longer.trained == 1
    assert torch.equal(longer.load(0)["checkpoints"][: len(ck)], ck) and len(longer.load(0)["checkpoints"]) == 9


def test_flat_params_is_a_copy():
    lin = torch.nn.Linear(3, 2)
    snap = flat_params(lin)
    with torch.no_grad():
        lin.weight.add_(1.0)
    assert not torch.equal(snap, flat_params(lin))


# ---------------------------------------------------------------- student and loss


def test_matching_loss_zero_when_student_is_target():
    start = [torch.randn(4, 3), torch.randn(4)]
    target = [torch.randn(4, 3), torch.randn(4)]
    assert float(matching_loss(target, start, target)) == 0.0
    assert float(matching_loss(target, start, target, squared=False)) == 0.0
    assert float(matching_loss(start, start, target)) == pytest.approx(1.0)


def test_fast_unroll_matches_autograd_reference():
    torch.manual_seed(0)
    shapes = [(16, 10), (16,), (3, 16), (3,)]
    theta = torch.randn(sum(math.prod(s) for s in shapes)) * 0.3
    x = torch.randn(6, 10, requires_grad=True)
    y_logit = torch.randn(6, 3, requires_grad=True)
    y = torch.softmax(y_logit, 1)
    lr = torch.tensor(0.5, requires_grad=True)
    fast = unroll(x, y, theta, shapes, lr, 15)
    ref = reference_unroll(x, y, theta, shapes, lr, 15)
    for a, b in zip(fast, ref):
        assert torch.allclose(a, b, atol=1e-5)
    # the hand-written adjoint pass gives autograd's gradients (features, soft labels, lr)
    weights = [torch.randn_like(t) for t in ref]
    inputs = [x, y_logit, lr]
    ga = torch.autograd.grad(sum((t * w).sum() for t, w in zip(fast, weights)), inputs, retain_graph=True)
    gb = torch.autograd.grad(sum((t * w).sum() for t, w in zip(ref, weights)), inputs, retain_graph=True)
    for a, b in zip(ga, gb):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-5)
    seg = unroll(x, y, theta, shapes, lr, 15, segment=4)
    gs = torch.autograd.grad(sum((t * w).sum() for t, w in zip(seg, weights)), inputs)
    for a, b in zip(ga, gs):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-6)
    assert [t.shape for t in split(theta, shapes)] == [torch.Size(s) for s in shapes]


# ---------------------------------------------------------------- methods on a toy graph

TOY = dict(num_experts=2, teacher_lr=0.05, teacher_epochs=60, hidden=16, T=30, window_start=5, window_max=20,
           expert_epochs=20, syn_steps=20, iterations=6, eval_every=3, eval_epochs=30, lr_feat=1e-2)


@pytest.mark.parametrize("method", ["sfgc", "geom"])
def test_methods_on_toy_graph(method):
    data = toy_graph()
    c = condense(data, method, rate=0.5, seed=0, progress=False, device="cpu", **TOY)
    g = c.graph
    assert g.num_nodes == 9 and g.x.shape == (9, 8) and g.edge_index.shape == (2, 0)
    if method == "geom":
        assert g.y.dtype == torch.float32 and g.y.shape == (9, 3)
        assert torch.allclose(g.y.sum(1), torch.ones(9), atol=1e-5)
    else:
        assert g.y.dtype == torch.long and g.y.bincount().tolist() == [3, 3, 3]
    assert c.meta["config"]["curriculum"] == (method == "geom")
    res = evaluate(c, data, runs=1, device="cpu", epochs=20)
    assert 0.0 <= res.mean <= 1.0


def test_ablation_switches():
    data = toy_graph()
    hard = condense(data, "geom", rate=0.5, seed=0, progress=False, device="cpu", **{**TOY, "soft_labels": False})
    assert hard.graph.y.dtype == torch.long
    # same seed, same settings: the same condensed graph (deterministic)
    again = condense(data, "geom", rate=0.5, seed=0, progress=False, device="cpu", **{**TOY, "soft_labels": False})
    assert torch.equal(hard.graph.x, again.graph.x)
    from graphcond.methods.base import get_method, resolve_config

    m = get_method("geom")(resolve_config(get_method("geom"), "toy", None, False, {**TOY, "window_growth": 2.0}))
    assert [m.window(i) for i in (0, 5, 100)] == [5, 15, 20]
    m.config.expanding = False
    assert m.window(0) == 20


def test_clip_grad_bounds_every_update():
    data = toy_graph()
    free = condense(data, "sfgc", rate=0.5, seed=0, progress=False, device="cpu", **TOY)
    assert free.meta["info"]["clipped_iterations"] == 0 and free.meta["info"]["grad_norm_max"] > 1e-6
    tiny = 1e-3 * free.meta["info"]["grad_norm_median"]
    clipped = condense(data, "sfgc", rate=0.5, seed=0, progress=False, device="cpu", **{**TOY, "clip_grad": tiny})
    assert clipped.meta["info"]["clipped_iterations"] == TOY["iterations"]
    # every update is a thousandth as long or less: the student lr moves far less
    lr0 = free.meta["config"]["lr_student"]
    assert abs(clipped.meta["info"]["student_lr"] - lr0) < 0.01 * abs(free.meta["info"]["student_lr"] - lr0)


def test_nan_loss_raises():
    data = toy_graph()
    with pytest.raises(CondensationError, match="non-finite"):
        condense(data, "sfgc", rate=0.5, seed=0, progress=False, device="cpu", **{**TOY, "lr_student": float("nan")})


def test_window_must_fit_teacher():
    with pytest.raises(ValueError, match="teacher_epochs"):
        condense(toy_graph(), "geom", rate=0.5, progress=False, device="cpu", **{**TOY, "expert_epochs": 200})


def test_presets_resolve():
    from graphcond.methods.base import get_method, resolve_config

    geom = resolve_config(get_method("geom"), "cora", 0.5, False, {})
    assert (geom.teacher_lr, geom.teacher_epochs, geom.pacing, geom.lam, geom.T) == (0.4, 3000, "geom", 0.75, 1500)
    assert (geom.window_start, geom.window_max, geom.expert_epochs, geom.syn_steps, geom.iterations) == (50, 200, 1400, 2500, 200)
    assert geom.soft_labels and geom.kee and geom.curriculum and geom.expanding
    cite = resolve_config(get_method("geom"), "citeseer", 1.0, False, {})
    assert (cite.window_start, cite.window_max, cite.syn_steps, cite.lr_feat, cite.lr_student, cite.soft_labels) == (1, 20, 400, 5e-4, 0.6, False)
    sfgc = resolve_config(get_method("sfgc"), "cora", 0.25, True, {"kee": True})
    assert not sfgc.curriculum and not sfgc.expanding and not sfgc.soft_labels and sfgc.kee and sfgc.num_experts == 2


# ---------------------------------------------------------------- real data


@pytest.mark.realdata
def test_training_label_difficulty_is_degenerate_on_cora_and_predicted_labels_spread_it(cora):
    """Cora's training nodes rarely touch each other: training labels alone give 6 of 140
    a nonzero entropy, all labels (the authors' leak) 46, a GCN's predicted labels 29."""
    train = cora.train_mask
    counts = {lab: int((training_difficulty(cora, lab)[train] > 0).sum()) for lab in ("train", "predicted", "all")}
    assert counts["train"] == 6 and counts["all"] == 46
    assert 20 <= counts["predicted"] < counts["all"]


@pytest.mark.realdata
def test_quick_geom_beats_random_on_cora(cora):
    """Quick GEOM (2 short experts, 30 iterations) at rate 0.5 (70 nodes) against the
    Random coreset, both evaluated with the same 5 GCN runs and settings."""
    geom = condense(cora, "geom", rate=0.5, quick=True, seed=0, progress=False, device="cpu")
    rand = condense(cora, "random", rate=0.5, seed=0, progress=False, device="cpu")
    assert geom.graph.num_nodes == rand.graph.num_nodes == 70
    g = evaluate(geom, cora, runs=5, device="cpu", epochs=300)
    r = evaluate(rand, cora, runs=5, device="cpu", epochs=300)
    print(f"quick GEOM {g.mean:.4f} ± {g.std:.4f}  random {r.mean:.4f} ± {r.std:.4f}")
    assert g.mean > r.mean


def test_window_growth_and_soft_label_correction_follow_the_authors_code():
    from graphcond.methods.base import get_method, resolve_config
    from graphcond.methods.trajectory.geom import GEOMConfig, correct_soft_labels

    assert GEOMConfig().window_growth == 1.0 and GEOMConfig().label_correction
    m = get_method("geom")(resolve_config(get_method("geom"), "toy", None, False, dict(TOY)))
    assert [m.window(i) for i in (0, 1, 7, 15, 40)] == [5, 6, 12, 20, 20]  # U_s + it, capped at U_max
    logits = torch.tensor([[3.0, 1.0, 0.0], [0.0, 2.0, 1.0], [1.0, 1.0, 5.0]])
    y = torch.tensor([1, 1, 0])
    out = correct_soft_labels(logits, y)
    assert out.tolist() == [[3.0, 3.0, 0.0], [0.0, 2.0, 1.0], [5.0, 1.0, 5.0]]
    p = out.softmax(1)
    assert torch.equal(p[torch.arange(3), y], p.max(1).values)  # the true class ties for the top


def test_kee_term_uses_the_sampled_experts_final_state():
    data = toy_graph()

    def losses(**kw):
        c = condense(data, "geom", rate=0.5, seed=0, progress=False, device="cpu", **{**TOY, **kw})
        return c.meta["info"]["losses"]

    # one expert: the sampled expert is expert 0, so both choices give the same run
    assert losses(num_experts=1) == losses(num_experts=1, kee_expert="fixed")
    # two experts: the term differs on the iterations that sample expert 1
    sampled, fixed = losses(num_experts=2), losses(num_experts=2, kee_expert="fixed")
    assert len(sampled) == len(fixed) == TOY["iterations"] and sampled != fixed
    with pytest.raises(ValueError, match="kee_expert"):
        losses(kee_expert="best")


def test_label_optimizer_adam_or_the_authors_sgd():
    data = toy_graph()

    def run(**kw):
        c = condense(data, "geom", rate=0.5, seed=0, progress=False, device="cpu", **{**TOY, **kw})
        return c.graph.y, c.meta["info"]["label_change"]

    for kind in ("adam", "sgd"):  # a zero learning rate leaves the initial soft labels untouched
        assert run(label_optimizer=kind, lr_y=0.0)[1] == 0.0
    (y_adam, moved_adam), (y_sgd, moved_sgd) = run(lr_y=0.1), run(label_optimizer="sgd", lr_y=0.1)
    assert moved_adam > 0 and moved_sgd > 0 and not torch.allclose(y_adam, y_sgd)
    assert torch.allclose(y_sgd.sum(1), torch.ones(len(y_sgd)), atol=1e-5)
    assert run(soft_labels=False, kee=False)[1] == 0.0
    with pytest.raises(ValueError, match="label_optimizer"):
        run(label_optimizer="rmsprop")


def test_coreset_gcn_embedding_is_the_authors_training_mode_hidden_layer():
    from graphcond.methods.trajectory.geom import coreset_gcn_embedding

    data = toy_graph()
    emb = coreset_gcn_embedding(data, 16, 5, 0.01, 0, "cpu")
    assert emb.shape == (data.num_nodes, 16) and (emb >= 0).all()
    assert (emb == 0).float().mean() > 0.45  # ReLU, then dropout 0.5 in training mode
    assert torch.equal(emb, coreset_gcn_embedding(data, 16, 5, 0.01, 0, "cpu"))
    assert not torch.equal(emb, coreset_gcn_embedding(data, 16, 5, 0.01, 1, "cpu"))
    c = condense(data, "geom", rate=0.5, seed=0, progress=False, device="cpu",
                 **{**TOY, "init_embedding": "coreset_gcn", "init_epochs": 5})
    assert c.graph.num_nodes == 9 and c.meta["config"]["init_embedding"] == "coreset_gcn"
    with pytest.raises(ValueError, match="init_embedding"):
        condense(data, "geom", rate=0.5, seed=0, progress=False, device="cpu", **{**TOY, "init_embedding": "logits"})


def test_snapshot_dir_keeps_every_validated_graph(tmp_path):
    data, folder = toy_graph(), tmp_path / "snapshots"
    c = condense(data, "geom", rate=0.5, seed=0, progress=False, device="cpu", **{**TOY, "snapshot_dir": str(folder)})
    assert sorted(p.name for p in folder.iterdir()) == ["iter-00000.pt", "iter-00003.pt", "iter-00006.pt"]
    it = c.meta["info"]["selected_iteration"]
    kept = torch.load(folder / f"iter-{it:05d}.pt", weights_only=False)
    assert torch.equal(kept.x, c.graph.x) and torch.equal(kept.y, c.graph.y)
    first = torch.load(folder / "iter-00000.pt", weights_only=False)
    last = torch.load(folder / "iter-00006.pt", weights_only=False)
    assert not torch.equal(first.x, last.x)  # the features were matched in between


def test_eval_runs_selects_on_the_mean_of_several_gcn_runs(tmp_path):
    from graphcond.training import TrainConfig, fit, mean_validation

    data, folder = toy_graph(), tmp_path / "snapshots"
    c = condense(data, "geom", rate=0.5, seed=1, progress=False, device="cpu",
                 **{**TOY, "snapshot_dir": str(folder), "eval_runs": 3})
    cfg, cpu = TrainConfig(epochs=TOY["eval_epochs"], hidden=TOY["hidden"]), torch.device("cpu")
    history = c.meta["info"]["history"]
    assert [h["iteration"] for h in history] == [0, 3, 6]
    for h in history:
        g = torch.load(folder / f"iter-{h['iteration']:05d}.pt", weights_only=False)
        runs = [fit(g, data, cfg, cpu, seed).val for seed in (1, 2, 3)]  # condensation seed, then +1, +2
        assert h["val"] == pytest.approx(sum(runs) / 3)
        assert h["val"] == pytest.approx(mean_validation(g, data, cfg, cpu, 1, runs=3))
    assert c.meta["info"]["selected_val"] == max(h["val"] for h in history)
    with pytest.raises(ValueError, match="runs"):
        mean_validation(g, data, cfg, cpu, 0, runs=0)


def test_an_interrupted_run_resumes_from_its_last_save_and_ends_as_an_uninterrupted_one(monkeypatch):
    import graphcond.methods.trajectory.geom as geom_module
    from graphcond.methods.run_state import runs_dir

    monkeypatch.setattr("graphcond.methods.run_state.SAVE_SECONDS", 0.0)  # save after every iteration
    data = toy_graph()
    whole = condense(data, "geom", rate=0.5, seed=0, progress=False, device="cpu", **TOY)
    assert whole.meta["info"]["resumed_from"] == 0
    real_unroll, calls = geom_module.unroll, []

    def interrupted_at_iteration_5(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real_unroll(*args, **kwargs)

    monkeypatch.setattr(geom_module, "unroll", interrupted_at_iteration_5)
    with pytest.raises(KeyboardInterrupt) as stopped:
        condense(data, "geom", rate=0.5, seed=0, progress=False, device="cpu", **TOY)
    assert "resumes from iteration 4" in "".join(stopped.value.__notes__)
    assert len(list(runs_dir().glob("geom-toy-*.pt"))) == 1
    monkeypatch.setattr(geom_module, "unroll", real_unroll)
    resumed = condense(data, "geom", rate=0.5, seed=0, progress=False, device="cpu", **TOY)
    info, ref = resumed.meta["info"], whole.meta["info"]
    assert info["resumed_from"] == 4
    assert torch.equal(resumed.graph.x, whole.graph.x) and torch.equal(resumed.graph.y, whole.graph.y)
    assert info["losses"] == ref["losses"] and [h["val"] for h in info["history"]] == [h["val"] for h in ref["history"]]
    assert info["student_lr"] == ref["student_lr"] and info["selected_iteration"] == ref["selected_iteration"]
    assert not list(runs_dir().glob("*.pt"))  # a completed run leaves no state behind
    # resume=False starts over (and ignores a saved state); another seed is another run
    monkeypatch.setattr(geom_module, "unroll", interrupted_at_iteration_5)
    calls.clear()
    with pytest.raises(KeyboardInterrupt):
        condense(data, "geom", rate=0.5, seed=0, progress=False, device="cpu", **TOY)
    monkeypatch.setattr(geom_module, "unroll", real_unroll)
    assert condense(data, "geom", rate=0.5, seed=1, progress=False, device="cpu", **TOY).meta["info"]["resumed_from"] == 0
    fresh = condense(data, "geom", rate=0.5, seed=0, progress=False, device="cpu", **{**TOY, "resume": False})
    assert fresh.meta["info"]["resumed_from"] == 0 and torch.equal(fresh.graph.x, whole.graph.x)


def test_expert_init_fan_out_is_its_own_buffer_and_the_default_is_the_authors_bound():
    import hashlib
    import json
    from types import SimpleNamespace

    from graphcond.methods.trajectory.buffer import FORMAT, expert_init_
    from graphcond.models import build_model

    data = SimpleNamespace(source_hash="abc", dataset_options={})
    spec = ExpertSpec(teacher_epochs=30, keep_epochs=20)
    before = {k: v for k, v in dataclasses.asdict(spec).items() if k != "expert_init"}  # a buffer made before the field
    blob = json.dumps({"format": FORMAT, "source": "abc", "options": {}, **before}, sort_keys=True, default=str)
    assert spec.key(data) == hashlib.sha1(blob.encode()).hexdigest()[:16]
    assert dataclasses.replace(spec, expert_init="fan_out").key(data) != spec.key(data)
    for bad in ("xavier", "gcond"):  # "gcond" was this option's old, wrong name
        with pytest.raises(ValueError, match="expert_init"):
            ExpertSpec(expert_init=bad)
    for kind, bounds in (("torch", (400, 64)), ("fan_out", (64, 4))):
        torch.manual_seed(0)
        model = build_model("gcn", 400, 4, hidden=64, nlayers=2, dropout=0.0)
        expert_init_(model, kind)
        # "torch": the authors' GraphConvolution bound 1/sqrt(weight.T.size(1)) of a [in, out] weight, fan_in
        for lin, fan in zip(model.layers, bounds):
            assert 0.9 * fan ** -0.5 < float(lin.weight.abs().max()) <= fan ** -0.5
            assert float(lin.bias.abs().max()) <= fan ** -0.5


def test_gntk_selection_keeps_the_lowest_feature_score_and_leaves_the_matching_alone(tmp_path):
    data, folder = toy_graph(), tmp_path / "snapshots"
    by_score = condense(data, "sfgc", rate=0.5, seed=0, progress=False, device="cpu",
                        **{**TOY, "selection": "gntk", "eval_every": 1, "snapshot_dir": str(folder)})
    info = by_score.meta["info"]
    scores = {h["iteration"]: h["gntk_score"] for h in info["history"]}
    assert sorted(scores) == list(range(TOY["iterations"] + 1))
    best = min((it for it in scores if it > 0), key=scores.get)  # the initial graph is no candidate
    assert info["selection"] == "gntk" and info["selected_iteration"] == best
    assert info["selected_gntk_score"] == scores[best] and "selected_val" not in info
    assert torch.equal(by_score.graph.x, torch.load(folder / f"iter-{best:05d}.pt", weights_only=False).x)
    from graphcond.methods.gntk import FeatureScore

    assert scores[best] == pytest.approx(FeatureScore(data)(by_score.graph.x, by_score.graph.y))
    by_gcn = condense(data, "sfgc", rate=0.5, seed=0, progress=False, device="cpu", **{**TOY, "eval_every": 1})
    assert by_gcn.meta["info"]["losses"] == info["losses"]  # the rule only chooses among the same graphs
    with pytest.raises(ValueError, match="selection"):
        condense(data, "sfgc", rate=0.5, seed=0, progress=False, device="cpu", **{**TOY, "selection": "test"})


def test_store_dtype_is_float32_by_default_and_a_typo_is_refused():
    assert ExpertSpec().store_dtype == "float32"  # the authors' storage
    with pytest.raises(ValueError, match="store_dtype"):
        ExpertSpec(store_dtype="fp16")
