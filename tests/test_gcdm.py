"""GCDM (distribution matching on the matching core) and GCDM + SR (the SR plug-in)."""
from __future__ import annotations

import pytest
import torch
from torch_geometric.utils import coalesce, remove_self_loops

from graphcond import condense, evaluate, load_dataset
from graphcond.methods.gradient.gcdm import mean_discrepancy
from graphcond.methods.gradient.matching import build_relay
from graphcond.methods.gradient.real_gradients import FullBatchGradients, SampledGradients
from graphcond.models import graph_operator
from test_gradient_matching import _toy


def test_mean_discrepancy_hand_computed():
    syn = torch.tensor([[1.0, 0.0], [3.0, 2.0], [0.0, 1.0]])
    groups = [torch.tensor([0, 1]), torch.tensor([2])]
    real = [torch.tensor([2.0, 0.0]), torch.tensor([0.0, 0.0])]
    # class 0: mean (2, 1) vs (2, 0) -> 1; class 1: (0, 1) vs (0, 0) -> 1, weight 0.5
    assert float(mean_discrepancy(real, syn, groups, [1.0, 0.5])) == pytest.approx(1.5)
    assert float(mean_discrepancy([syn[:2].mean(0), syn[2]], syn, groups, [1.0, 1.0])) == 0.0


def test_real_class_means_equal_whole_graph_embedding_means():
    data = _toy()
    # a simple graph: the sampler keeps each distinct neighbour once
    data.edge_index = remove_self_loops(coalesce(data.edge_index, num_nodes=data.num_nodes))[0]
    torch.manual_seed(0)
    model = build_relay("gcn", 8, 3, hidden=16, nlayers=2)
    means = FullBatchGradients(data, "gcn", 2, True, torch.device("cpu")).class_means(model)
    op = graph_operator(data.edge_index, None, data.num_nodes, "gcn", dense=True)
    tr = data.train_mask.nonzero().view(-1)
    h = model.embed(data.x, op)[tr]
    for c in range(3):
        assert torch.allclose(means[c], h[data.y[tr] == c].mean(0), atol=1e-5)
    # a sampler that takes every neighbour and every class node gives the same means
    samp = SampledGradients(data, [1000, 1000], 1000, True, torch.device("cpu"), torch.Generator().manual_seed(0))
    for a, b in zip(samp.class_means(model), means):
        assert torch.allclose(a, b, atol=1e-5)


@pytest.mark.slow
def test_quick_gcdm_beats_random_and_gcdm_sr_regularises():
    torch.set_num_threads(1)
    g = load_dataset("mm-csbm", misalignment=0.6)
    acc = {}
    for m in ("gcdm", "random"):
        cs = [condense(g, m, rate=0.5, seed=s, quick=True, progress=False, device="cpu") for s in (0, 1)]
        acc[m] = evaluate(cs, g, runs=2, device="cpu").summary()["mean"]
    print(acc)
    assert acc["gcdm"] > acc["random"] + 0.03  # measured 82.0 vs 70.4
    c = condense(g, "gcdm-sr", rate=0.5, seed=0, quick=True, progress=False, device="cpu", epochs=6)
    assert {k: tuple(v) for k, v in c.graph.modalities.items()} == {"text": (0, 32), "image": (32, 64)}
    info = c.meta["info"]
    assert len(info["dirichlet_energy"]) == 6 and all(0 <= v <= 1 for v in info["conflict_share"])


def test_gcdm_needs_a_gcn_relay():
    g = load_dataset("mm-csbm", misalignment=0.0)
    with pytest.raises(ValueError, match="relay must be 'gcn'"):
        condense(g, "gcdm", rate=0.5, quick=True, progress=False, relay="sgc", epochs=1)
