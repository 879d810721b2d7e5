import torch

from graphcond.methods.selection import herding, kcenter, select_per_class


def test_kcenter_hand_computed():
    emb = torch.tensor([[0.0], [1.0], [10.0], [0.5]])  # mean 2.875: nearest is 1.0
    assert kcenter(emb, 3, None).tolist() == [1, 2, 0]


def test_herding_hand_computed():
    emb = torch.tensor([[0.0], [2.0], [4.0], [2.1]])  # mean 2.025
    # step 1: nearest to 2.025 is 2.0 (1); step 2: target 4.05 - 2.0 = 2.05 -> 2.1 (3)
    assert herding(emb, 2, None).tolist() == [1, 3]


def test_select_per_class_respects_budgets():
    labels = torch.tensor([0, 0, 0, 1, 1, 2])
    cand = torch.arange(10, 16)
    out = select_per_class("random", torch.randn(16, 2), labels, cand, {0: 2, 1: 1, 2: 1}, torch.Generator().manual_seed(0))
    assert out.numel() == 4 and set(out[:2].tolist()) <= {10, 11, 12} and out[2] in (13, 14) and out[3] == 15
