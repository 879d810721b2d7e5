"""SR-GM (decoupling, damping), the mm-csbm benchmark and the MM-Graph file loader."""
from __future__ import annotations

import math

import pytest
import torch

from graphcond import condense, evaluate, load_dataset
from graphcond.condensed import load_condensed
from graphcond.methods.gradient.regularizer import decouple_rows, dirichlet_energy
from graphcond.methods.gradient.srgm import SRGM, SRGMConfig


def test_decouple_projects_conflicting_rows_only():
    g_t = torch.tensor([[1.0, 0.0, 2.0], [1.0, 2.0, 0.0], [0.0, 0.0, 0.0]])
    g_v = torch.tensor([[-1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    t2, v2, conflict = decouple_rows(g_t, g_v)
    assert conflict.tolist() == [True, False, False]
    # conflicting row: each half orthogonal to the ORIGINAL other half
    assert abs(float(t2[0] @ g_v[0])) < 1e-6 and abs(float(v2[0] @ g_t[0])) < 1e-6
    # hand values: <g_t,g_v> = -1, |g_v|^2 = 2, |g_t|^2 = 5
    assert torch.allclose(t2[0], g_t[0] + 0.5 * g_v[0])
    assert torch.allclose(v2[0], g_v[0] + 0.2 * g_t[0])
    # non-conflicting rows (positive or zero inner product) untouched
    assert torch.equal(t2[1:], g_t[1:]) and torch.equal(v2[1:], g_v[1:])


def test_dirichlet_energy_three_node_path():
    adj = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])  # A + I degrees 2, 3, 2
    assert math.isclose(float(dirichlet_energy(torch.tensor([[1.0], [0.0], [0.0]]), adj)), 0.5, rel_tol=1e-6)
    ones = torch.ones(3, 1)  # 3 - (1/2 + 1/3 + 1/2) - 4/sqrt(6)
    assert math.isclose(float(dirichlet_energy(ones, adj)), 5 / 3 - 4 / math.sqrt(6), rel_tol=1e-5)
    two = torch.tensor([[1.0, 2.0], [0.0, -1.0], [3.0, 0.0]])  # trace = sum over columns
    assert math.isclose(float(dirichlet_energy(two, adj)),
                        float(dirichlet_energy(two[:, :1], adj) + dirichlet_energy(two[:, 1:], adj)), rel_tol=1e-6)


@pytest.mark.parametrize("share", [0.0, 0.37, 0.9])
def test_mm_csbm_generation(share):
    g = load_dataset("mm-csbm", num_nodes=2001, misalignment=share, seed=3)
    assert g.x.shape == (2001, 64) and g.y.shape == (2001,) and g.num_classes == 5
    assert {k: tuple(v) for k, v in g.modalities.items()} == {"text": (0, 32), "image": (32, 64)}
    assert int(g.misaligned.sum()) == round(share * 2001)
    assert int(g.image_noise.sum()) == round(0.5 * round(share * 2001))
    assert (g.image_class[~g.misaligned] == g.y[~g.misaligned]).all()
    other = g.misaligned & ~g.image_noise
    assert (g.image_class[other] != g.y[other]).all()
    assert all(int(((g.y == c) & g.train_mask).sum()) == 20 for c in range(5))
    assert int(g.val_mask.sum()) == 500 and int(g.test_mask.sum()) == 1000
    assert not (g.train_mask & g.val_mask).any() and not (g.val_mask & g.test_mask).any()
    assert g.source_hash == "generated"
    ei = g.edge_index
    assert (ei[0] != ei[1]).all() and ei.size(1) > 2001
    assert float((g.y[ei[0]] == g.y[ei[1]]).float().mean()) > 0.6  # homophily 0.7 (+ chance)


def test_mm_csbm_same_seed_same_graph():
    a = load_dataset("mm-csbm", num_nodes=400, num_val=100, num_test=100, misalignment=0.5, seed=7)
    b = load_dataset("mm-csbm", num_nodes=400, num_val=100, num_test=100, misalignment=0.5, seed=7)
    assert torch.equal(a.x, b.x) and torch.equal(a.edge_index, b.edge_index)


def _write_mm_graph(root, two_files: bool):
    root.mkdir(parents=True)
    n = 6
    torch.save(torch.tensor([[0, 1], [1, 2], [2, 3], [4, 5], [3, 3]]), root / "nc_edges-nodeid.pt")
    text, image = torch.arange(n * 4.0).view(n, 4), -torch.arange(n * 4.0).view(n, 4)
    if two_files:
        torch.save(text, root / "clip_text_feat.pt")
        torch.save(image, root / "clip_image_feat.pt")
    else:
        torch.save(torch.cat([text, image], 1), root / "clip_feat.pt")
    torch.save(torch.tensor([0, 1, 2, -1, 1, 0]), root / "labels-w-missing.pt")
    torch.save({"train_idx": torch.tensor([0, 1, 2]), "valid_idx": torch.tensor([3, 4]), "test_idx": torch.tensor([5])},
               root / "split.pt")
    return text, image


@pytest.mark.parametrize("name,two_files", [("ele-fashion", False), ("goodreads-nc", True)])
def test_mm_graph_tiny_layout(tmp_path, name, two_files):
    text, image = _write_mm_graph(tmp_path / "mm-graph" / name, two_files)
    g = load_dataset(name, data_dir=tmp_path)
    assert g.num_nodes == 6 and g.num_classes == 3
    assert torch.equal(g.x, torch.cat([text, image], 1))
    assert {k: tuple(v) for k, v in g.modalities.items()} == {"text": (0, 4), "image": (4, 8)}
    assert g.label_missing.tolist() == [False, False, False, True, False, False]
    assert g.train_mask.nonzero().view(-1).tolist() == [0, 1, 2]
    assert g.val_mask.nonzero().view(-1).tolist() == [4]  # node 3 has no label
    assert g.test_mask.nonzero().view(-1).tolist() == [5]
    assert g.edge_index.size(1) == 8  # 4 undirected edges, self-loop dropped
    assert g.source_hash != "generated"


def test_mm_graph_missing_files_named(tmp_path):
    from graphcond.data import DataNotFoundError

    with pytest.raises(DataNotFoundError, match="labels-w-missing.pt"):
        (tmp_path / "mm-graph" / "amazon-sports").mkdir(parents=True)
        load_dataset("amazon-sports", data_dir=tmp_path)


def _state(mode: str):
    from graphcond.methods.gradient.gcond import MatchState
    from graphcond.methods.gradient.matching import build_relay
    from graphcond.methods.gradient.structure import PGE
    from graphcond.models import normalize_dense

    torch.manual_seed(0)
    m = SRGM(SRGMConfig(damping_mode=mode))
    m._s_t, m._s_v = slice(0, 4), slice(4, 8)
    from collections import defaultdict

    m._acc = defaultdict(lambda: defaultdict(list))
    feat = torch.randn(6, 8, requires_grad=True)
    pge = PGE(8, 16, 2)
    adj = pge(feat.detach())  # the structure's own path to X_syn cut: G is the only one left
    model = build_relay("gcn", 8, 3, 16, 2)
    op = normalize_dense(adj, model.norm)
    st = MatchState(0, 0, feat, adj, op, torch.tensor([0, 1, 2, 0, 1, 2]), model, list(model.parameters()), False)
    return m, st, pge


def test_damping_paper_reaches_features_detached_does_not():
    m, st, pge = _state("paper")
    (gf,) = torch.autograd.grad(m.extra_loss(st), [st.feat], allow_unused=True)
    assert gf is not None and float(gf.abs().sum()) > 0
    m, st, pge = _state("detached")
    loss = m.extra_loss(st)
    gf, gp = torch.autograd.grad(loss, [st.feat, pge.out.weight], allow_unused=True)
    assert gf is None or float(gf.abs().sum()) == 0  # G detached: only the adjacency feels the term
    assert gp is not None and float(gp.abs().sum()) > 0


def test_srgm_quick_runs_saves_and_evaluates(tmp_path):
    g = load_dataset("mm-csbm", misalignment=0.6)
    c = condense(g, "srgm", rate=0.5, quick=True, progress=False, epochs=8)
    assert c.graph.num_nodes == 50 and c.graph.x.shape[1] == 64
    info = c.meta["info"]
    assert len(info["conflict_share"]) == 8 and all(0 <= v <= 1 for v in info["conflict_share"])
    assert all(-1 <= v <= 1 for v in info["modality_cosine"]) and all(v >= 0 for v in info["dirichlet_energy"])
    path = c.save(tmp_path / "srgm.pt")
    back = load_condensed(path, g)
    assert {k: tuple(v) for k, v in back.graph.modalities.items()} == {"text": (0, 32), "image": (32, 64)}
    ev = evaluate(back, g, runs=1, epochs=100)
    assert 0.4 < ev.mean <= 1.0  # 5 classes: chance is 0.2


def test_srgm_refuses_graph_without_modalities():
    g = load_dataset("mm-csbm", num_nodes=400, num_val=100, num_test=100)
    del g.modalities
    with pytest.raises(ValueError, match="modalities"):
        condense(g, "srgm", rate=0.5, quick=True, progress=False, epochs=1)


def test_srgm_without_regulariser_is_gcond_on_the_same_loop():
    """Both switches off on GCond's loop reproduces GCond bit for bit (one shared core);
    either switch on changes the synthetic graph."""
    g = load_dataset("mm-csbm", misalignment=0.6, num_nodes=400, num_val=100, num_test=100)
    loop = dict(relay="sgc", hidden=256, nlayers=2, epochs=6, outer_loop=10, inner_loop=5, lr_feat=0.005,
                lr_adj=0.005, lr_model=0.01, e1=2, e2=2, class_weight="max")
    gcond = condense(g, "gcond", rate=0.5, seed=0, quick=True, progress=False, **loop).graph
    neither = condense(g, "srgm", rate=0.5, seed=0, quick=True, progress=False, decouple=False, damping=False,
                       **loop).graph
    assert torch.equal(gcond.x, neither.x) and torch.equal(gcond.edge_weight, neither.edge_weight)
    both = condense(g, "srgm", rate=0.5, seed=0, quick=True, progress=False, **loop).graph
    assert not torch.equal(gcond.x, both.x)


@pytest.mark.parametrize("method", ["gcond", "srgm"])
def test_an_interrupted_gradient_matching_run_resumes_and_ends_as_an_uninterrupted_one(method, monkeypatch):
    from graphcond.methods.gradient import GradientMatching
    from graphcond.methods.run_state import runs_dir

    monkeypatch.setattr("graphcond.methods.run_state.SAVE_SECONDS", 0.0)  # save after every epoch
    g = load_dataset("mm-csbm", misalignment=0.6, num_nodes=400, num_val=100, num_test=100)
    loop = dict(epochs=4, outer_loop=3, inner_loop=2, lr_feat=0.005, lr_adj=0.005, e1=1, e2=1,
                select_every=1, select_epochs=20)
    whole = condense(g, method, rate=0.5, seed=0, quick=True, progress=False, **loop)
    real_loss, calls = GradientMatching.matching_loss, []

    def interrupted_in_epoch_2(self, *args):
        calls.append(1)
        if len(calls) == 8:  # the second outer step of epoch 2 (0-based)
            raise KeyboardInterrupt
        return real_loss(self, *args)

    monkeypatch.setattr(GradientMatching, "matching_loss", interrupted_in_epoch_2)
    with pytest.raises(KeyboardInterrupt) as stopped:
        condense(g, method, rate=0.5, seed=0, quick=True, progress=False, **loop)
    assert "resumes from iteration 2" in "".join(stopped.value.__notes__)
    monkeypatch.setattr(GradientMatching, "matching_loss", real_loss)
    resumed = condense(g, method, rate=0.5, seed=0, quick=True, progress=False, **loop)
    assert resumed.meta["info"]["resumed_from"] == 2 and whole.meta["info"]["resumed_from"] == 0
    assert torch.equal(resumed.graph.x, whole.graph.x) and torch.equal(resumed.graph.edge_weight, whole.graph.edge_weight)
    assert float(resumed.graph.selected_val) == float(whole.graph.selected_val)
    if method == "srgm":  # the per-epoch diagnostics of the epochs before the interrupt were saved too
        for k in ("epochs", "conflict_share", "modality_cosine", "dirichlet_energy"):
            assert resumed.meta["info"][k] == whole.meta["info"][k]
    assert not list(runs_dir().glob("*.pt"))
