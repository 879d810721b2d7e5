"""HAN, HGT, Simple-HGN and R-GCN: meta-path graphs and an HGT layer by hand, and each model
learning a toy graph where the class is only readable through the neighbours."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import HeteroData

from graphcond.hetero.evaluators import fit_heterogeneous
from graphcond.hetero import message_passing, sehgnn
from graphcond.hetero.message_passing import HGTLayer, han_paths, metapath_edges
from graphcond.hetero.sehgnn import _setting, train_and_select
from graphcond.models.homogeneous import dropout
from graphcond.training import HeteroTrainConfig, TrainConfig


def test_metapath_edges_by_hand():
    g = HeteroData()
    g["p"].num_nodes, g["a"].num_nodes = 3, 2
    pa = torch.tensor([[0, 1, 2], [0, 0, 1]])  # p0-a0, p1-a0, p2-a1
    g["p", "to", "a"].edge_index, g["a", "to", "p"].edge_index = pa, pa.flip(0)
    paths = han_paths(g, "p", None)
    assert paths == [(("p", "to", "a"), ("a", "to", "p"))]
    ei = metapath_edges(g, "p", paths)[("p", "mp0", "p")]
    assert sorted(map(tuple, ei.t().tolist())) == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2)]


def test_han_paths_are_the_papers_for_acm_schema():
    g = HeteroData()
    for t in ("paper", "author", "subject"):
        g[t].num_nodes = 1
    for a, b in (("paper", "author"), ("author", "paper"), ("paper", "subject"), ("subject", "paper")):
        g[a, "to", b].edge_index = torch.zeros(2, 0, dtype=torch.long)
    names = ["-".join([p[0][0]] + [e[2] for e in p]) for p in han_paths(g, "paper", "acm")]
    assert names == ["paper-author-paper", "paper-subject-paper"]


def toy(seed=0, papers=240, per_author=8, classes=3) -> HeteroData:
    """Papers whose own features are weak (noise 2.0) and authors (8 papers each, one
    class) whose features are clean: the class is read through the graph."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(papers) % classes
    order = torch.argsort(y, stable=True)
    author_of = torch.empty(papers, dtype=torch.long)
    author_of[order] = torch.arange(papers) // per_author
    n_auth = papers // per_author
    a_class = torch.zeros(n_auth, dtype=torch.long)
    a_class[author_of] = y
    g = HeteroData()
    g["paper"].x = torch.nn.functional.one_hot(y, 8).float() + 2.0 * torch.randn(papers, 8, generator=gen)
    g["author"].x = torch.nn.functional.one_hot(a_class, 8).float() + 0.1 * torch.randn(n_auth, 8, generator=gen)
    ei = torch.stack([torch.arange(papers), author_of])
    g["paper", "to", "author"].edge_index, g["author", "to", "paper"].edge_index = ei, ei.flip(0)
    g["paper"].y = y
    perm = torch.randperm(papers, generator=gen)
    for name, part in zip(("train_mask", "val_mask", "test_mask"), perm.tensor_split([60, 120])):
        m = torch.zeros(papers, dtype=torch.bool)
        m[part] = True
        g["paper"][name] = m
    g.target, g.num_classes, g.multilabel, g.name = "paper", classes, False, "toy"
    return g


def test_hgt_layer_by_hand():
    """HGB's HGT: softmax within each relation, then the mean over the relations into a type
    (a relation with no edge into a node counts as zero), a gated skip."""
    torch.manual_seed(0)
    rels = [("a", "r1", "b"), ("a", "r2", "b"), ("b", "r3", "a")]
    layer = HGTLayer(4, ["a", "b"], rels, heads=2, dropout=0.0, norm=False)
    with torch.no_grad():
        layer.prior.uniform_(0.5, 2.0)
        layer.skip.uniform_(-1.0, 1.0)
    h = {"a": torch.randn(3, 4), "b": torch.randn(2, 4)}
    edges = {rels[0]: torch.tensor([[0, 1, 2], [0, 0, 1]]), rels[1]: torch.tensor([[2], [0]]),
             rels[2]: torch.tensor([[0, 1], [0, 2]])}
    out = layer(h, edges)

    def expected(t, j):
        into = [r for r, rel in enumerate(rels) if rel[2] == t]
        total = torch.zeros(4)
        for r in into:
            s_t, _, _ = rels[r]
            src = [int(i) for i, d in edges[rels[r]].t().tolist() if d == j]
            for hd in range(2):
                cols = slice(2 * hd, 2 * hd + 2)
                q = layer.q[t](h[t][j])[cols]
                keys = [layer.k[s_t](h[s_t][i])[cols] @ layer.att[r, hd] for i in src]
                vals = [layer.v[s_t](h[s_t][i])[cols] @ layer.msg[r, hd] for i in src]
                if src:
                    w = torch.softmax(torch.stack([q @ k for k in keys]) * layer.prior[r, hd] / 2 ** 0.5, 0)
                    total[cols] += sum(wi * v for wi, v in zip(w, vals))
        gate = torch.sigmoid(layer.skip[["a", "b"].index(t)])
        return gate * layer.a[t](total / len(into)) + (1 - gate) * h[t][j]

    for t, n in (("a", 3), ("b", 2)):
        for j in range(n):
            assert torch.allclose(out[t][j], expected(t, j), atol=1e-5), (t, j)


@pytest.mark.parametrize("model", ["han", "hgt", "hgt-pyg", "simple-hgn", "simple-hgn-pyg", "rgcn"])
def test_models_learn_through_the_neighbours(model):
    torch.set_num_threads(1)
    g = toy()
    res = fit_heterogeneous(g, g, HeteroTrainConfig(model=model, epochs=200, lr=0.01), torch.device("cpu"), 0)
    assert res.test > 0.85, res.test  # paper features alone (logistic regression): 0.47


def test_simple_hgn_layer_by_hand():
    """HGB's attention with the edge-type term, the attention residual and the node residual."""
    torch.manual_seed(0)
    layer = message_passing.SimpleHGNLayer(3, 2, heads=1, num_etypes=2, edge_dim=4, dropout=0.0, residual=True,
                                           alpha=0.25).eval()
    z = torch.randn(3, 3)
    ei, et = torch.tensor([[0, 1, 1], [2, 2, 0]]), torch.tensor([0, 1, 1])  # node 2 hears 0 and 1, node 0 hears 1
    prev = torch.tensor([[0.9], [0.1], [1.0]])
    out, att = layer(z, ei, et, prev)
    h = z @ layer.fc.weight.T
    e = layer.fc_e(layer.edge_emb(et))
    score = [F.leaky_relu(h[s] @ layer.attn_l[0, 0] + h[d] @ layer.attn_r[0, 0] + e[i] @ layer.attn_e[0, 0], 0.05)
             for i, (s, d) in enumerate(ei.T.tolist())]
    soft = torch.softmax(torch.stack(score[:2]), 0)
    expected = torch.stack([soft[0], soft[1], torch.tensor(1.0)]) * 0.75 + prev[:, 0] * 0.25
    assert torch.allclose(att[:, 0], expected, atol=1e-6)
    res = z @ layer.res.weight.T
    assert torch.allclose(out[2, 0], expected[0] * h[0] + expected[1] * h[1] + res[2], atol=1e-5)
    assert torch.allclose(out[0, 0], expected[2] * h[1] + res[0], atol=1e-5)
    assert torch.allclose(out[1, 0], res[1], atol=1e-6)  # no in-edge: the residual alone


def test_id_features_learn_through_the_neighbours(monkeypatch):
    """HGB's id vectors in place of every type's features: the test papers' own embeddings
    are never trained, so only their authors' (trained through the training papers) help."""
    torch.set_num_threads(1)
    monkeypatch.setitem(message_passing.SETTINGS, "features", "id")
    g = toy()
    assert {t: tuple(v.shape) for t, v in message_passing.type_inputs(g, g).items()} == {
        "paper": (240, 240), "author": (30, 30)}  # the setting is applied: one column per node
    res = fit_heterogeneous(g, g, HeteroTrainConfig(model="simple-hgn", epochs=200, lr=0.01), torch.device("cpu"), 0)
    assert res.test > 0.85, res.test


def test_id_features_need_the_original_ids(monkeypatch):
    monkeypatch.setitem(message_passing.SETTINGS, "features", "target")
    g, small = toy(), toy()
    small["author"].x = small["author"].x[:5]
    small["paper", "to", "author"].edge_index = torch.zeros(2, 0, dtype=torch.long)
    small["author", "to", "paper"].edge_index = torch.zeros(2, 0, dtype=torch.long)
    with pytest.raises(ValueError, match="no original ids"):
        fit_heterogeneous(small, g, HeteroTrainConfig(model="hgt", epochs=1), torch.device("cpu"), 0)
    small["author"].source_nodes = torch.tensor([4, 0, 1, 2, 3])
    assert message_passing.type_inputs(small, g)["author"].to_dense()[0].nonzero().view(-1).tolist() == [4]


def test_given_settings_are_used_even_at_homogeneous_defaults():
    han = {"lr": 0.005, "epochs": 500}
    assert _setting(HeteroTrainConfig(model="han", lr=0.01), "lr", han) == 0.01  # 0.01 is TrainConfig's lr
    assert _setting(HeteroTrainConfig(model="han", epochs=600), "epochs", han) == 600
    assert _setting(HeteroTrainConfig(model="han"), "lr", han) == 0.005
    with pytest.raises(TypeError, match="HeteroTrainConfig"):
        _setting(TrainConfig(model="han"), "lr", han)


def test_unknown_optimizer_refused():
    with pytest.raises(ValueError, match="adamw-onecycle"):
        train_and_select(torch.nn.Linear(2, 2), None, torch.zeros(2), None, torch.zeros(2), None,
                         torch.zeros(2), False, 0.01, 0.0, 10, torch.device("cpu"), optimizer="sgd")


def test_unknown_model_refused():
    with pytest.raises(ValueError, match="one of"):
        fit_heterogeneous(toy(), toy(), HeteroTrainConfig(model="gcn"), torch.device("cpu"), 0)


class ScriptedValidation(torch.nn.Module):
    """Validation logits from a script, one entry per epoch (2 nodes, labels 0 and 1)."""

    SCRIPT = [[[1.0, 0.0], [0.0, 1.0]],  # right, unsure: F1 1, loss 0.31
              [[5.0, 0.0], [0.0, 5.0]],  # right, sure: F1 1, loss 0.007
              [[0.0, 1.0], [0.0, 1.0]]]  # one wrong: F1 0.5

    def __init__(self):
        super().__init__()
        self.w, self.calls = torch.nn.Parameter(torch.zeros(2, 2)), 0

    def val(self):
        self.calls += 1
        return torch.tensor(self.SCRIPT[self.calls - 1])


@pytest.mark.parametrize("select,epoch", [("f1", 0), ("loss", 1), ("f1sum", 1)])
def test_epoch_selection_by_f1_by_loss_or_by_the_latest_best_f1_sum(monkeypatch, select, epoch):
    monkeypatch.setitem(sehgnn.SETTINGS, "select", select)
    m, y = ScriptedValidation(), torch.tensor([0, 1])
    res = train_and_select(m, lambda: m.w, y, m.val, y, lambda: m.w, y, False, 0.01, 0.0, 3, "cpu")
    assert res.epoch == epoch and res.val == 1.0


def test_input_dropout_keeps_the_sparsity_pattern():
    dense = torch.tensor([[1.0, 0.0, 2.0, 0.0], [0.0, 3.0, 0.0, 4.0], [5.0, 6.0, 7.0, 8.0]])
    x = dense.to_sparse_csr()
    torch.manual_seed(0)
    out = dropout(x, 0.5, True)
    assert torch.equal(out.crow_indices(), x.crow_indices()) and torch.equal(out.col_indices(), x.col_indices())
    kept = out.values() != 0
    assert 0 < kept.sum() < x.values().numel()
    assert torch.allclose(out.values()[kept], 2 * x.values()[kept])
    assert dropout(x, 0.5, False) is x and dropout(dense, 0.0, True) is dense


def three_papers_one_author(y) -> HeteroData:
    g = HeteroData()
    g["paper"].num_nodes, g["author"].num_nodes = 3, 1
    pa = torch.tensor([[0, 1, 2], [0, 0, 0]])
    g["paper", "to", "author"].edge_index, g["author", "to", "paper"].edge_index = pa, pa.flip(0)
    g["paper"].y, g["paper"].train_mask = y, torch.tensor([True, True, False])
    g.target = "paper"
    return g


def test_label_features_by_hand():
    # paper-author-paper is 1/3 everywhere; training labels of papers 0 and 1 only; a
    # paper never reads its own label
    g = three_papers_one_author(torch.tensor([0, 1, 1]))
    paths = sehgnn.label_paths(g, "paper", 2)
    assert len(paths) == 1 and sehgnn.label_paths(g, "paper", 0) == []
    (out,) = sehgnn.label_features(g, paths, [0, 1, 2], 2)
    third = 1 / 3
    assert torch.allclose(out, torch.tensor([[0.0, third], [third, 0.0], [third, third]]))
    multi = three_papers_one_author(torch.tensor([[1, 1], [0, 1], [1, 0]]))  # multi-hot (IMDB)
    (out,) = sehgnn.label_features(multi, paths, [2, 0], 2)
    assert torch.allclose(out, torch.tensor([[third, 2 * third], [0.0, third]]))


def test_label_hops_resolution(monkeypatch):
    assert sehgnn.resolve_label_hops("dblp") == 0  # off by default (the FreeHGC authors' evaluation)
    monkeypatch.setitem(sehgnn.SETTINGS, "label_hops", "sehgnn")
    assert [sehgnn.resolve_label_hops(d) for d in ("dblp", "acm", "imdb")] == [4, 3, 4]
    with pytest.raises(ValueError, match="label_hops"):
        sehgnn.resolve_label_hops("acm", "four")


def test_label_channels_reach_training_and_embeddings(monkeypatch):
    # the coresets' embeddings are built from the same channels as training, label ones included
    monkeypatch.setitem(sehgnn.SETTINGS, "label_hops", 2)
    g = toy()
    assert len(sehgnn.model_inputs(g, g, [0, 1], hops=2)) == 1 + 2 + 1  # raw, 2 feature paths, 1 label path
    emb = sehgnn.sehgnn_embeddings(g, torch.arange(5), HeteroTrainConfig(epochs=5, hidden=16), torch.device("cpu"), 0, hops=2)
    assert emb.shape == (5, 16)


def test_sehgnn_batchnorm_head_standardises_each_evaluated_batch(monkeypatch):
    torch.manual_seed(0)
    model = sehgnn.SeHGNN([5, 3], 16, 4, 0.5, head="batchnorm").eval()
    logits = model([torch.randn(30, 5), torch.randn(30, 3)])
    # batch statistics in evaluation too: every class logit has mean 0 and variance 1 over the batch
    assert torch.allclose(logits.mean(0), torch.zeros(4), atol=1e-5)
    assert torch.allclose(logits.var(0, unbiased=False), torch.ones(4), atol=1e-3)
    with pytest.raises(ValueError, match="head"):
        sehgnn.SeHGNN([5], 16, 4, 0.5, head="bn")
    # the default head per dataset (chosen on validation: DBLP batchnorm), overridable
    assert [sehgnn.resolve_head(d) for d in ("dblp", "DBLP", "acm", "imdb", None)] == [
        "batchnorm", "batchnorm", "mlp", "mlp", "mlp"]
    monkeypatch.setitem(sehgnn.SETTINGS, "head", "mlp")
    assert sehgnn.resolve_head("dblp") == "mlp"
    monkeypatch.setitem(sehgnn.SETTINGS, "head", "batchnorm")
    assert sehgnn.resolve_head("acm") == "batchnorm"
    # fit_sehgnn builds the head of the evaluation graph's dataset
    monkeypatch.setitem(sehgnn.SETTINGS, "head", None)
    monkeypatch.setitem(sehgnn.DATASET_DEFAULTS, "toy", {"head": "batchnorm"})
    named = toy()
    named.name = "toy"
    fitted = fit_heterogeneous(named, named, HeteroTrainConfig(model="sehgnn", epochs=2), torch.device("cpu"), 0)
    assert isinstance(fitted.model.head[-1], torch.nn.BatchNorm1d)
    monkeypatch.setitem(sehgnn.SETTINGS, "head", "batchnorm")
    g = toy()
    res = fit_heterogeneous(g, g, HeteroTrainConfig(model="sehgnn", epochs=200, lr=0.01), torch.device("cpu"), 0)
    assert res.test > 0.85, res.test


def test_sehgnn_reference_layers(monkeypatch):
    torch.manual_seed(0)
    model = sehgnn.ReferenceSeHGNN([5, 3], 16, 4, 0.5).eval()
    assert isinstance(model.head[-1], torch.nn.BatchNorm1d)  # SeHGNN's head without --bns
    # Xavier-uniform with ReLU gain: |w| <= sqrt(2) * sqrt(6 / (fan_in + fan_out))
    assert model.w1.abs().max() <= 2 ** 0.5 * (6 / (sehgnn.EMBED + 16)) ** 0.5
    assert model.w2.abs().max() <= 2 ** 0.5 * (6 / 32) ** 0.5
    # a sparse CSR channel gives what its dense copy gives
    x, z = torch.rand(7, 5) * (torch.rand(7, 5) > 0.5), torch.rand(7, 3)
    assert torch.allclose(model([x.to_sparse_csr(), z]), model([x, z]), atol=1e-5)
    # the dataset's default (chosen on validation: DBLP sehgnn), overridable; the head follows unless set
    assert [sehgnn.resolve_layers(d) for d in ("dblp", "acm", "imdb", None)] == [
        sehgnn.ReferenceSeHGNN, sehgnn.SeHGNN, sehgnn.SeHGNN, sehgnn.SeHGNN]
    monkeypatch.setitem(sehgnn.SETTINGS, "layers", "sehgnn")
    assert sehgnn.resolve_layers("acm") is sehgnn.ReferenceSeHGNN and sehgnn.resolve_head("acm") == "batchnorm"
    g = toy()
    res = fit_heterogeneous(g, g, HeteroTrainConfig(model="sehgnn", epochs=200, lr=0.01), torch.device("cpu"), 0)
    assert isinstance(res.model, sehgnn.ReferenceSeHGNN)
    assert res.test > 0.85, res.test  # paper features alone (logistic regression): 0.47
    monkeypatch.setitem(sehgnn.SETTINGS, "layers", "dense")
    with pytest.raises(ValueError, match="layers"):
        sehgnn.resolve_layers("acm")


def test_han_layer_equals_pyg_hanconv_with_the_same_parameters():
    torch.manual_seed(0)
    from torch_geometric.nn import HANConv

    n, edges = 30, 120
    ei = {("p", f"mp{i}", "p"): torch.randint(0, n, (2, edges)) for i in range(2)}
    x = {"p": torch.randn(n, 6)}
    ours = message_passing.HANLayer(6, 16, (["p"], list(ei)), heads=4, dropout=0.0)
    pyg = HANConv(6, 16, (["p"], list(ei)), heads=4, dropout=0.0)
    pyg.load_state_dict(ours.state_dict())
    a, b = ours(x, ei)["p"], pyg(x, ei)["p"]
    torch.testing.assert_close(a, b)
    grads = [torch.autograd.grad(out.pow(2).sum(), list(m.parameters())) for out, m in ((a, ours), (b, pyg))]
    for ga, gb in zip(*grads):
        torch.testing.assert_close(ga, gb)
