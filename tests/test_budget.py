import pytest
import torch

from graphcond.budget import BudgetError, class_ids, make_budget

CORA_TRAIN = torch.arange(7).repeat_interleave(20)  # 20 training nodes per class


@pytest.mark.parametrize("ratio, rate, n", [(0.013, None, 35), (0.026, None, 70), (0.052, None, 140), (None, 0.5, 70)])
def test_cora_counts_both_conventions(ratio, rate, n):
    b = make_budget(CORA_TRAIN, 2708, ratio=ratio, rate=rate)
    assert b.n == n == sum(b.per_class.values())
    assert b.rate == n / 140 and b.ratio == n / 2708


def test_acm_ratio_convention():
    labels = torch.tensor([0] * 250 + [1] * 230 + [2] * 245)  # 725 training papers
    assert make_budget(labels, 3025, ratio=0.024).n == 72


def test_largest_class_gets_the_rest():
    labels = torch.tensor([0] * 5 + [1] * 3 + [2] * 12)  # 20 training nodes
    b = make_budget(labels, 100, rate=0.25)  # 5 nodes: int(5*.25)=1, int(3*.25)->1, largest 5-2=3
    assert b.per_class == {0: 1, 1: 1, 2: 3}


@pytest.mark.parametrize("kw", [{"ratio": 0.0}, {"ratio": 1.5}, {"rate": -0.1}, {}, {"ratio": 0.1, "rate": 0.1}])
def test_bad_fraction_refused(kw):
    with pytest.raises(BudgetError):
        make_budget(CORA_TRAIN, 2708, **kw)


def test_budget_leaving_a_class_empty_is_refused():
    with pytest.raises(BudgetError, match=r"cannot give each.*the smallest that does is ratio 0.0026 \(7 nodes\)"):
        make_budget(CORA_TRAIN, 2708, ratio=0.002)  # 5 nodes, 7 classes
    assert make_budget(CORA_TRAIN, 2708, ratio=0.0026).per_class == {c: 1 for c in range(7)}
    two = torch.tensor([0] * 166 + [1] * 106)  # MUTAG trainingSet.tsv's classes, 340 target nodes in all
    with pytest.raises(BudgetError, match=r"is ratio 0.0059 \(2 nodes\)"):
        make_budget(two, 340, ratio=0.005)
    with pytest.raises(BudgetError, match=r"is rate 0.0074 \(2 nodes\)"):
        make_budget(two, 340, rate=0.005)


def test_multilabel_rows_are_classes_by_distinct_vector():
    y = torch.tensor([[1, 0], [1, 0], [0, 1], [1, 1]])
    ids = class_ids(y)
    assert ids[0] == ids[1] and len(set(ids.tolist())) == 3
