import pytest
import torch

from graphcond.models import build_model, functional_forward, graph_operator, model_names

EDGES = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])  # a path 0-1-2-3


def test_gcn_operator_hand_computed():
    op = graph_operator(torch.tensor([[0, 1], [1, 0]]), None, 3, "gcn", dense=True)
    half = 0.5
    expected = torch.tensor([[half, half, 0.0], [half, half, 0.0], [0.0, 0.0, 1.0]])
    assert torch.allclose(op, expected)


@pytest.mark.parametrize("norm", ["gcn", "row", "cheb", "gat"])
def test_sparse_and_dense_operators_agree(norm):
    w = torch.rand(EDGES.size(1))
    dense = graph_operator(EDGES, w, 4, norm, dense=True)
    sparse = graph_operator(EDGES, w, 4, norm, dense=False)
    assert torch.allclose(dense, sparse.to_dense(), atol=1e-6)


@pytest.mark.parametrize("name", model_names())
def test_models_agree_on_dense_and_sparse_graphs(name):
    torch.manual_seed(0)
    m = build_model(name, 5, 3, hidden=16).eval()
    x = torch.randn(4, 5)
    out_d = m(x, graph_operator(EDGES, None, 4, m.norm, dense=True))
    out_s = m(x, graph_operator(EDGES, None, 4, m.norm, dense=False))
    assert out_d.shape == (4, 3)
    assert torch.allclose(out_d, out_s, atol=1e-5)


@pytest.mark.parametrize("name", model_names())
def test_functional_forward_uses_given_weights(name):
    torch.manual_seed(0)
    m = build_model(name, 5, 3, hidden=16).eval()
    x, op = torch.randn(4, 5), graph_operator(EDGES, None, 4, m.norm, dense=True)
    params = {k: v.detach().clone() for k, v in m.named_parameters()}
    assert torch.allclose(functional_forward(m, params, x, op), m(x, op))
    doubled = {k: 2 * v for k, v in params.items()}
    assert not torch.allclose(functional_forward(m, doubled, x, op), m(x, op))


def test_structure_free_gcn_is_an_mlp():
    torch.manual_seed(0)
    gcn, mlp = build_model("gcn", 5, 3, hidden=8).eval(), build_model("mlp", 5, 3, hidden=8).eval()
    mlp.load_state_dict(gcn.state_dict())
    x = torch.randn(6, 5)
    identity = graph_operator(torch.empty(2, 0, dtype=torch.long), None, 6, "gcn", dense=True)
    assert torch.allclose(gcn(x, identity), mlp(x, None), atol=1e-6)


def test_learned_adjacency_receives_gradients():
    from graphcond.models import normalize_dense

    adj = torch.rand(4, 4, requires_grad=True)
    m = build_model("gcn", 5, 3, hidden=8)
    m(torch.randn(4, 5), normalize_dense(adj, "gcn")).sum().backward()
    assert adj.grad is not None and adj.grad.abs().sum() > 0


def test_unknown_model_lists_known():
    with pytest.raises(KeyError, match="gcn"):
        build_model("transformer", 5, 3)
