"""Gradient matching (GCond, GCond-X, DC-Graph): the loss, the PGE, the outputs, and a
real-data check that quick GCond beats the random coreset on Cora."""
from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
import torch
from torch_geometric.data import Data

import graphcond
from graphcond.budget import make_budget
from graphcond.methods.base import get_method, resolve_config
from graphcond.methods.gradient import PGE, match_loss
from graphcond.methods.gradient.matching import build_relay, layer_distance
from graphcond.methods.gradient.real_gradients import FullBatchGradients, SampledGradients


def test_match_loss_zero_for_identical_gradients():
    g = [torch.randn(4, 6), torch.randn(4), torch.randn(3, 4)]
    assert float(match_loss(g, [t.clone() for t in g])) == pytest.approx(0.0, abs=1e-5)
    # scale invariance: cosine ignores the norm of each row
    assert float(match_loss(g, [2.5 * t for t in g])) == pytest.approx(0.0, abs=1e-5)


def test_match_loss_hand_computed():
    real = [torch.tensor([[1.0, 0.0], [1.0, 1.0]]), torch.tensor([5.0, -5.0])]
    syn = [torch.tensor([[0.0, 2.0], [1.0, 0.0]]), torch.tensor([1.0, 1.0])]
    # row 0: cos = 0 -> 1; row 1: cos = 1/sqrt(2) -> 1 - 0.70711; the bias contributes nothing
    expected = 1.0 + (1.0 - 1.0 / math.sqrt(2.0))
    assert float(match_loss(syn, real)) == pytest.approx(expected, abs=1e-5)
    assert float(layer_distance(real[1], syn[1])) == 0.0


def test_pge_symmetric_in_unit_interval():
    torch.manual_seed(0)
    pge = PGE(in_dim=5, hidden=16, nlayers=3)
    x = torch.randn(9, 5)
    a = pge(x)
    assert a.shape == (9, 9)
    assert torch.allclose(a, a.t())
    off = a[~torch.eye(9, dtype=torch.bool)]
    assert bool((off > 0).all() and (off < 1).all())
    assert bool((a.diagonal() == 0).all())
    # the factorised first layer equals the MLP over concatenated pairs
    h = torch.cat([x.repeat_interleave(9, 0), x.repeat(9, 1)], 1) @ pge.first.weight.t() + pge.first.bias
    h = torch.relu(torch.nn.functional.batch_norm(h, None, None, pge.bns[0].weight, pge.bns[0].bias, True))
    for lin, bn in zip(pge.hidden_layers, pge.bns[1:]):
        h = torch.relu(torch.nn.functional.batch_norm(lin(h), None, None, bn.weight, bn.bias, True))
    ref = pge.out(h).view(9, 9)
    ref = torch.sigmoid((ref + ref.t()) / 2) * (1 - torch.eye(9))
    assert torch.allclose(a, ref, atol=1e-5)


def _toy(n=60, d=8, c=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % c
    x = torch.randn(n, d, generator=g) + 2.0 * torch.nn.functional.one_hot(y, d).float()
    src = torch.randint(0, n, (200,), generator=g)
    dst = torch.where(torch.rand(200, generator=g) < 0.8, src - src % c + (src + 1) % c, torch.randint(0, n, (200,), generator=g))
    dst = dst.clamp(0, n - 1)
    ei = torch.cat([torch.stack([src, dst]), torch.stack([dst, src])], 1)
    train = torch.zeros(n, dtype=torch.bool)
    train[:30] = True
    val = torch.zeros(n, dtype=torch.bool)
    val[30:45] = True
    test = ~(train | val)
    data = Data(x=x, y=y, edge_index=ei, train_mask=train, val_mask=val, test_mask=test, num_classes=c)
    data.name, data.source_hash = "toy", "0"
    return data


def _run(method, data, **over):
    cls = get_method(method)
    budget = make_budget(data.y[data.train_mask], data.num_nodes, rate=0.5)
    cfg = resolve_config(cls, "toy", budget.rate, False, dict(epochs=3, outer_loop=3, inner_loop=2, lr_feat=0.01,
                                                             lr_adj=0.01, e1=1, e2=1, **over))
    torch.manual_seed(0)
    return cls(cfg).run(data, budget, 0, torch.device("cpu"), False), budget


def test_gcondx_and_dcgraph_have_no_edges():
    data = _toy()
    for method in ("gcondx", "dcgraph"):
        g, budget = _run(method, data)
        assert g.edge_index.shape == (2, 0)
        assert g.num_nodes == budget.n == 15
        assert g.y.dtype == torch.long
        assert torch.bincount(g.y).tolist() == [budget.per_class[c] for c in range(3)]


def test_structure_free_matching_adjacency_frozen_pge_or_identity():
    data = _toy()
    cls = get_method("gcondx")
    frozen = cls(cls.Config()).make_structure(data.num_features)
    assert isinstance(frozen, PGE) and not any(p.requires_grad for p in frozen.parameters())
    g_frozen, _ = _run("gcondx", data)  # the saved graph is edge-free either way
    g_identity, _ = _run("gcondx", data, matching_adjacency="identity")
    assert g_frozen.edge_index.shape == g_identity.edge_index.shape == (2, 0)
    assert not torch.equal(g_frozen.x, g_identity.x)  # the matching saw different synthetic graphs
    identity = cls(resolve_config(cls, "toy", 0.5, False, {"matching_adjacency": "identity"})).make_structure(4)
    assert torch.equal(identity(torch.randn(3, 4)), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="matching_adjacency"):
        _run("dcgraph", data, matching_adjacency="knn")


def test_gcond_outputs_sparsified_learned_graph_and_is_deterministic():
    data = _toy()
    g1, budget = _run("gcond", data, threshold=0.0)
    g2, _ = _run("gcond", data, threshold=0.0)
    assert g1.num_nodes == budget.n and g1.x.shape == (budget.n, data.num_features)
    assert g1.edge_index.size(1) == budget.n * (budget.n - 1)  # threshold 0 keeps every off-diagonal pair
    assert bool(((g1.edge_weight > 0) & (g1.edge_weight < 1)).all())
    assert torch.equal(g1.x, g2.x) and torch.equal(g1.edge_weight, g2.edge_weight)
    g3, _ = _run("gcond", data, threshold=0.999)
    assert g3.edge_index.size(1) < g1.edge_index.size(1)


def test_nan_raises():
    data = _toy()
    data.x[0, 0] = float("nan")
    with pytest.raises(graphcond.CondensationError):
        _run("gcond", data)


def test_full_batch_khop_cache_matches_whole_graph_and_sampler_runs():
    data = _toy()
    torch.manual_seed(0)
    model = build_relay("gcn", 8, 3, hidden=16, nlayers=2)
    full = FullBatchGradients(data, "gcn", 2, True, torch.device("cpu"))(model)
    # reference: whole-graph forward, per-class gradient on training nodes
    from graphcond.models import graph_operator

    op = graph_operator(data.edge_index, None, data.num_nodes, "gcn", dense=True)
    tr = data.train_mask.nonzero().view(-1)
    out = model(data.x, op)[tr]
    for c in range(3):
        m = data.y[tr] == c
        ref = torch.autograd.grad(torch.nn.functional.cross_entropy(out[m], data.y[tr][m]),
                                  list(model.parameters()), retain_graph=True)
        for a, b in zip(full[c], ref):
            assert torch.allclose(a, b, atol=1e-5)
    # SGC cache: (A^K X) of the training rows
    sgc = build_relay("sgc", 8, 3, hidden=16, nlayers=2)
    g_sgc = FullBatchGradients(data, "sgc", 2, True, torch.device("cpu"))(sgc)
    out = sgc(data.x, op)[tr]
    ref = torch.autograd.grad(torch.nn.functional.cross_entropy(out[data.y[tr] == 1], data.y[tr][data.y[tr] == 1]),
                              list(sgc.parameters()))
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(g_sgc[1], ref))
    # the sampler with fanouts larger than any degree and every class node in the batch is exact too
    samp = SampledGradients(data, [1000, 1000], 1000, True, torch.device("cpu"), torch.Generator().manual_seed(0))
    g_s = samp(model)
    assert len(g_s) == 3 and all(torch.isfinite(t).all() for gs in g_s for t in gs)


def test_sgc_mlp_relay_is_gconds_sgc2_and_flickr_uses_it():
    """``sgc-mlp`` (GCond's --sgc=2): op^K (relu(x W1 + b1) W2 + b2), hand-computed; its
    full-batch real gradients are exact; the Flickr presets select it."""
    data = _toy()
    torch.manual_seed(0)
    relay = build_relay("sgc-mlp", 8, 3, hidden=16, nlayers=2)
    from graphcond.models import graph_operator

    op = graph_operator(data.edge_index, None, data.num_nodes, "gcn", dense=True)
    w1, w2 = relay.layers
    hand = op @ (op @ (torch.relu(data.x @ w1.weight.T + w1.bias) @ w2.weight.T + w2.bias))
    assert torch.allclose(relay(data.x, op), hand, atol=1e-5)
    tr = data.train_mask.nonzero().view(-1)
    got = FullBatchGradients(data, "sgc-mlp", 2, True, torch.device("cpu"))(relay)
    out = relay(data.x, op)[tr]
    m = data.y[tr] == 2
    ref = torch.autograd.grad(torch.nn.functional.cross_entropy(out[m], data.y[tr][m]), list(relay.parameters()))
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(got[2], ref))
    for name in ("gcond", "gcondx", "dcgraph"):
        assert resolve_config(get_method(name), "flickr", 0.005, False, {}).relay == "sgc-mlp"
    g, budget = _run("gcond", data, relay="sgc-mlp")
    assert g.num_nodes == budget.n and torch.isfinite(g.x).all()
    with pytest.raises(ValueError, match="relay must be one of"):
        _run("gcond", data, relay="mlp")


def _data_dir(sub: str) -> Path:
    env = os.environ.get("GRAPHCOND_DATA")
    if env and (Path(env) / sub).is_dir():
        return Path(env)
    if os.environ.get("GRAPHCOND_REQUIRE_DATA") == "1":
        pytest.fail(f"real data {sub!r} not found: set GRAPHCOND_DATA")
    pytest.skip(f"real data {sub!r} not found: set GRAPHCOND_DATA to the data folder")


@pytest.mark.realdata
@pytest.mark.slow
def test_quick_gcond_beats_random_on_cora():
    _data_dir("planetoid/cora")
    torch.set_num_threads(1)
    cora = graphcond.load_dataset("cora")
    gc = graphcond.condense(cora, "gcond", rate=0.5, seed=0, quick=True, progress=False, device="cpu")
    rnd = graphcond.condense(cora, "random", rate=0.5, seed=0, progress=False, device="cpu")
    assert gc.graph.num_nodes == rnd.graph.num_nodes == 70
    acc_gc = graphcond.evaluate(gc, cora, runs=3, device="cpu").mean
    acc_rnd = graphcond.evaluate(rnd, cora, runs=3, device="cpu").mean
    print(f"quick GCond {acc_gc:.4f} vs random {acc_rnd:.4f}")
    assert acc_gc > acc_rnd


def test_hooks_and_validation_selection():
    from graphcond.methods.gradient import GradientMatching, GradientMatchingConfig
    from graphcond.training import TrainConfig, fit

    calls = {"extra": 0, "grad": 0}

    class Variant(GradientMatching):  # how SR-GM plugs in: no copy of the loop
        name = "variant-under-test"

        def extra_loss(self, state):
            calls["extra"] += 1
            return 0.0 * state.adj.sum() + 1e-3 * state.feat.pow(2).sum()

        def transform_feature_grad(self, grad, state):
            calls["grad"] += 1
            return torch.zeros_like(grad)  # freezes the features

    data = _toy()
    budget = make_budget(data.y[data.train_mask], data.num_nodes, rate=0.5)
    cfg = GradientMatchingConfig(epochs=2, outer_loop=2, inner_loop=1, e1=0, e2=1, lr_feat=0.1,
                                 select_every=1, select_epochs=5, select_runs=2)
    torch.manual_seed(0)
    g = Variant(cfg).run(data, budget, 0, torch.device("cpu"), False)
    assert calls == {"extra": 4, "grad": 4}
    # zero gradients through Adam leave the features at their initial real rows
    train = data.train_mask.nonzero().view(-1)
    assert all(any(torch.equal(row, data.x[i]) for i in train) for row in g.x)
    assert 0.0 <= float(g.selected_val) <= 1.0
    # the score kept is the mean validation accuracy of select_runs GCN runs on the kept graph
    two = [fit(g, data, TrainConfig(epochs=5), torch.device("cpu"), s).val for s in (0, 1)]
    assert float(g.selected_val) == pytest.approx(sum(two) / 2)


def test_class_weights_gcond_and_srgm_authors():
    from graphcond.methods.gradient.gcdm import GCDMConfig
    from graphcond.methods.gradient.gcond import GradientMatchingConfig, class_coefficients
    from graphcond.methods.gradient.srgm import SRGMConfig

    per_class = {0: 3, 1: 1, 2: 6}
    assert class_coefficients(per_class, [0, 1, 2], "max") == [0.5, 1 / 6, 1.0]  # GCond
    assert class_coefficients(per_class, [0, 1, 2], "share") == [0.3, 0.1, 0.6]  # SR-GM's code
    with pytest.raises(ValueError, match="class_weight"):
        class_coefficients(per_class, [0, 1, 2], "mean")
    assert GradientMatchingConfig().class_weight == "max"
    assert SRGMConfig().class_weight == GCDMConfig().class_weight == "share"
