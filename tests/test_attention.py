"""``attend``: the sparse attention sum against the gather it replaces, values and gradients."""
import pytest
import torch

from graphcond.models.attention import attend


def gathered(att, h, src, dst, num_dst):
    return torch.zeros(num_dst, h.size(1), h.size(2), dtype=h.dtype).index_add_(0, dst, att.unsqueeze(-1) * h[src])


@pytest.mark.parametrize("heads,presorted,repeats", [(1, False, True), (3, False, True), (3, True, True),
                                                     (3, False, False)])
def test_attend_equals_the_gather_with_its_gradients_on_a_rectangular_graph(heads, presorted, repeats):
    torch.manual_seed(0)
    n_src, n_dst, edges, dim = 7, 5, 40, 4
    if repeats:
        src, dst = torch.randint(0, n_src, (edges,)), torch.randint(0, n_dst, (edges,))
        src, dst = torch.cat([src, src[:5]]), torch.cat([dst, dst[:5]])
    else:  # every (source, destination) pair at most once
        pairs = torch.randperm(n_src * n_dst)[:edges]
        src, dst = pairs % n_src, pairs // n_src
    if presorted:  # by destination, then source: attend skips its sort
        order = torch.argsort(dst * n_src + src)
        src, dst = src[order], dst[order]
    att = torch.rand(src.numel(), heads, dtype=torch.float64, requires_grad=True)
    h = torch.randn(n_src, heads, dim, dtype=torch.float64, requires_grad=True)
    weights = torch.randn(n_dst, heads, dim, dtype=torch.float64)
    results = []
    for fn in (gathered, attend):
        out = fn(att, h, src, dst, n_dst)
        g_att, g_h = torch.autograd.grad((out * weights).sum(), [att, h])
        results.append((out, g_att, g_h))
    for ours, ref in zip(results[1], results[0]):
        torch.testing.assert_close(ours, ref)
    assert torch.autograd.gradcheck(lambda a, x: attend(a, x, src, dst, n_dst), (att, h))


def test_attend_hand_computed_and_nodes_without_edges_get_zero():
    src, dst = torch.tensor([0, 1, 1]), torch.tensor([0, 0, 2])
    att = torch.tensor([[0.25], [0.75], [2.0]])
    h = torch.tensor([[[4.0, 0.0]], [[8.0, 1.0]]])
    assert attend(att, h, src, dst, 3).view(3, 2).tolist() == [[7.0, 0.75], [0.0, 0.0], [16.0, 2.0]]
    empty = torch.empty(0, dtype=torch.long)
    assert attend(att[:0], h, empty, empty, 3).abs().sum() == 0
