"""FreeHGC (training-free heterogeneous graph condensation, paper 004) as ``freehgc``.

Target type: per class and per meta-path (every path of up to ``hops`` relations ending
at the target, from the schema), greedy selection among the class's training nodes of

    score(v) = (RF(S + v) - RF(S)) / (RF(S) + 0.1) + w * (1 - J(v)),   w = 0.05,

RF(S) = number of distinct path neighbours reached by S, J(v) = mean Jaccard overlap of
v's neighbour set under this path with its sets under the other paths from the same
start type (0 when alone; 1 where both sets are empty, as in the authors' code, so
rows without neighbours get no diversity bonus). The greedy picks ``budget.per_class[c]``
rows per class and path; ``path_scores`` turns each path's greedy into node scores,
summed over paths, and the top ``budget.per_class[c]`` nodes per class are kept:

* ``"picked"`` (default): the authors' code (score when picked, 0 on paths where not picked).
* ``"rank"``: a picked row scores ``(k - step) / k`` (1 for the first pick),
  others 0, i.e. a Borda count of the per-path greedy rankings. An OPTION deviating from
  the authors' code, which sums raw scores (``"picked"``): there the first pick of every
  path scores ``10 * |N(v)|`` (gain over RF + 0.1 with RF = 0) and later picks < 1, so
  the sum is dominated by the highest-degree node of each path. On ACM neither
  ``"rank"`` nor ``"picked"`` beats random targets given the same other types
  (``benchmarks/reports/freehgc.md``).
* ``"marginal"``: like ``"picked"`` but rows not picked take their final marginal score.

Multi-label rows: one class per distinct label vector (``budget.class_ids``).

Other types: roles from the schema (a non-target type linked to the target and to
another non-target type is a *father*, every other one a *leaf*), or ``leaf_types`` (the
presets give the authors' lists). Fathers keep their top ``int(r * N)`` nodes (10% of
the type if that is 0) by personalised PageRank from the selected targets (teleport
``alpha``, 0.05) on each meta-path's target/father bipartite graph, summed over paths:
exact linear solve up to ``closed_form_max`` nodes and 300k bipartite edges, forward push
above (residual threshold ``push_eps`` x degree). ``ppr_norm="sym"`` is the paper's Eq.
10-11 and the authors' code for HGB (``calc_ppr`` in ``train_hgb.py``: the bipartite graph
with self loops, normalised D^-1/2 (A+I) D^-1/2, teleport 1 - ``--pr``, 0.95 in their
README). ``"pprgo"`` (an OPTION) is what the same script runs for Freebase: PPRGo's
``topk_ppr_matrix`` with its symmetric normalisation, D^-1/2 A D^-1/2 without self loops,
with their default ``--alpha 0.15`` (``--set ppr_norm=pprgo --set alpha=0.15``). ``"rw"``
(an OPTION, the workbench's default until stop 45) is the random-walk PPR without self
loops, which validation prefers on DBLP (``benchmarks/reports/freehgc.md``).
``father_cover`` (an OPTION, in neither the paper nor the authors' code; off by default)
first keeps each selected target's best-scored father neighbour, then fills the budget by
PPR: the plain top-k leaves prolific picked authors with no kept paper (DBLP rate 0.05,
seed 0: 24 of 48; 18 with ``"rw"``), so their author-paper meta-path channels are zero in
training but not at test. It helps on DBLP at the low ratios. Of the HGB presets only DBLP
has a father type (MUTAG has five).
Leaves become hyper-nodes, one per distinct neighbour set of a kept node (target or
father), feature = mean of the set's features (one-hot rows for featureless types).
Edges, per ``related_edges``: ``"reverse"`` (default) links each kept node to its own
hyper-node (kept node <- hyper-node: the node's 1-hop mean aggregation is exact) and
gives every hyper-node "reverse" edges from all kept nodes sharing a leaf neighbour with
its set (kept node -> hyper-node: the paper's Eq. 15, so 2-hop paths such as
paper-author-paper still reach other kept papers); ``False``: own hyper-node only, both
directions (the authors' final code); ``True``: related edges in both directions
(distorts the 1-hop means: on ACM every kept paper then aggregates nearly every term
hyper-node). ``leaf_budget`` additionally caps hyper-nodes at the type budget by merging
the smallest sets (the paper's Eq. 16; off by default as in the authors' ACM code: at
r = 2.4% ACM's subjects collapse to one hyper-node, and it cost ~3 points micro-F1).

Where FreeHGC's gap to the paper lies (the whole graph trained on the selected labels
alone, ``benchmarks/freehgc.py --label-reference``) and what the options scored:
``benchmarks/reports/freehgc.md``.

Ablations (``Config``): ``target_score`` "both" | "rf" (receptive field only) |
"jaccard" (diversity only); ``other_types`` "freehgc" | "ppr" (PPR for every type,
induced edges) | "herding" (herding for father and leaf types).

Example:
    >>> from graphcond import condense, load_dataset
    >>> acm = load_dataset("acm")                                   # doctest: +SKIP
    >>> c = condense(acm, "freehgc", rate=0.1, seed=0)              # doctest: +SKIP
    >>> c.graph["paper"].num_nodes                                  # doctest: +SKIP
    72
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import torch
from torch_geometric.data import HeteroData

from ..budget import Budget, class_ids
from ..methods.base import Method, register_method
from ..methods.selection import herding
from .metapaths import MetaPathAdjacency, default_hops, enumerate_metapaths, path_name, start_type


PPR_NORMS = ("sym", "rw", "pprgo")  # see ``ppr``


def check_ppr_norm(norm: str) -> None:
    if norm not in PPR_NORMS:
        raise ValueError(f"ppr_norm must be one of {PPR_NORMS}, not {norm!r}")


@dataclass
class FreeHGCConfig:
    hops: int | None = None  # None: the authors' per-dataset hops (ACM 3, others 2)
    w: float = 0.05
    rf_eps: float = 0.1
    target_score: str = "both"  # "both" | "rf" | "jaccard"
    other_types: str = "freehgc"  # "freehgc" | "ppr" | "herding"
    alpha: float = 0.05  # PPR teleport (1 - the authors' --pr; their Freebase branch: --alpha 0.15)
    closed_form_max: int = 50_000
    push_eps: float = 1e-6
    ppr_norm: str = "sym"  # "sym" (authors' HGB code) | "pprgo" (their Freebase code) | "rw" (ours); see ``ppr``
    leaf_types: list | None = None  # None: derived from the schema
    related_edges: bool | str = "reverse"  # False | "reverse" | True (see module docstring)
    jaccard_empty: float = 1.0  # J where both sets are empty (authors' code: NaN -> 1)
    path_scores: str = "picked"  # "picked" (authors' code) | "rank" (our option) | "marginal" (see module docstring)
    leaf_budget: bool = False
    father_cover: bool = False  # OPTION (not the paper): every kept target keeps >= 1 father neighbour

    def __post_init__(self):
        check_ppr_norm(self.ppr_norm)


# ----------------------------------------------------------------- target selection
def neighbour_sets(adj: MetaPathAdjacency, paths) -> list[sp.csr_matrix]:
    return [adj.neighbours(p) for p in paths]


def jaccard_terms(sets: list[sp.csr_matrix], paths, empty: float = 1.0) -> list[np.ndarray]:
    """Per path, each row's mean Jaccard index with its sets under the other paths that
    start at the same type (0 where the path is alone; ``empty`` where both sets are
    empty: 1 in the authors' code, so rows without neighbours get no diversity bonus)."""
    sizes = [np.asarray(b.sum(1)).ravel() for b in sets]
    inters: dict = {}
    out = []
    for i, (bi, pi) in enumerate(zip(sets, paths)):
        others = [j for j, pj in enumerate(paths) if j != i and start_type(pj) == start_type(pi)]
        acc = np.zeros(bi.shape[0])
        for j in others:
            key = (min(i, j), max(i, j))
            if key not in inters:
                inters[key] = np.asarray(bi.multiply(sets[j]).sum(1)).ravel()
            inter = inters[key]
            union = sizes[i] + sizes[j] - inter
            acc += np.divide(inter, union, out=np.full_like(inter, float(empty)), where=union > 0)
        out.append(acc / len(others) if others else acc)
    return out


def greedy_path_scores(
    b: sp.csr_matrix, jac: np.ndarray, k: int, w: float, eps: float, mode: str, unpicked: str = "marginal"
) -> np.ndarray:
    """Greedy selection of ``k`` rows of the binary neighbour matrix ``b`` (one class,
    one path); returns each row's score when picked, and for rows not picked the final
    marginal score (``unpicked="marginal"``) or 0 (``"zero"``, the authors' code)."""
    m, n = b.shape
    use_rf, use_j = mode in ("both", "rf"), mode in ("both", "jaccard")
    div = w * (1.0 - jac) if use_j else np.zeros(m)
    covered = np.zeros(n, dtype=bool)
    rf = 0
    scores = np.zeros(m)
    picked = np.zeros(m, dtype=bool)

    def marginal():
        gain = b @ (~covered).astype(np.float32) if use_rf else np.zeros(m)
        return (gain / (rf + eps) if use_rf else 0.0) + div

    for step in range(min(k, m)):
        s = marginal()
        s[picked] = -np.inf
        j = int(np.argmax(s))
        scores[j], picked[j] = (s[j] if unpicked != "rank" else (k - step) / k), True
        covered[b.indices[b.indptr[j]:b.indptr[j + 1]]] = True
        rf = int(covered.sum())
    if unpicked in ("zero", "rank"):
        return scores
    final = marginal()
    scores[~picked] = final[~picked]
    return scores


def path_scores(data, budget: Budget, paths, cfg: FreeHGCConfig):
    """Per class: ``(ids, scores)``, the class's training node ids (original) and their
    ``[n, len(paths)]`` greedy scores per meta-path (summed to rank them)."""
    store = data[data.target]
    train = store.train_mask.nonzero().view(-1)
    ids = class_ids(store.y[train]).numpy()
    adj = MetaPathAdjacency(data, data.target, train)
    sets = neighbour_sets(adj, paths)
    jacs = jaccard_terms(sets, paths, cfg.jaccard_empty)
    unpicked = {"picked": "zero"}.get(cfg.path_scores, cfg.path_scores)
    out = {}
    for c, k in budget.per_class.items():
        pos = np.nonzero(ids == c)[0]
        if pos.size < k:
            raise ValueError(f"class {c} has {pos.size} training nodes, fewer than its budget {k}")
        scores = np.stack([greedy_path_scores(b[pos], jac[pos], k, cfg.w, cfg.rf_eps, cfg.target_score, unpicked)
                           for b, jac in zip(sets, jacs)], 1)
        out[c] = (train[torch.from_numpy(pos)], scores)
    return out


def select_targets(data, budget: Budget, paths, cfg: FreeHGCConfig) -> torch.Tensor:
    """Original ids of the selected target nodes, ordered by class."""
    chosen = []
    for c, (ids, scores) in path_scores(data, budget, paths, cfg).items():
        order = np.argsort(-scores.sum(1), kind="stable")[:budget.per_class[c]]
        chosen.append(ids[torch.from_numpy(order)])
    return torch.cat(chosen)


def selection_table(data, budget: Budget, paths, cfg: FreeHGCConfig | None = None):
    """Why each training node was (not) chosen: one row per node with its class, score
    per meta-path (columns named by :func:`path_name`), ``total`` and ``selected``.

    >>> table = selection_table(acm, budget, paths)                      # doctest: +SKIP
    >>> table.sort_values("total", ascending=False).head()               # doctest: +SKIP
    """
    import pandas as pd

    cfg = cfg or FreeHGCConfig()
    frames = []
    for c, (ids, scores) in path_scores(data, budget, paths, cfg).items():
        df = pd.DataFrame(scores, columns=[path_name(p) for p in paths])
        df.insert(0, "class", c)
        df.insert(0, "node", ids.numpy())
        df["total"] = scores.sum(1)
        df["selected"] = False
        df.loc[np.argsort(-df["total"].to_numpy(), kind="stable")[:budget.per_class[c]], "selected"] = True
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def coverage(data, ids, paths) -> dict[str, float]:
    """Receptive-field coverage per meta-path: the share of the nodes reachable from
    all training targets that ``ids`` reach (1.0 = the selection sees everything)."""
    train = data[data.target].train_mask.nonzero().view(-1)
    full, sel = MetaPathAdjacency(data, data.target, train), MetaPathAdjacency(data, data.target, ids)
    out = {}
    for p in paths:
        reach = int((np.asarray(full.neighbours(p).sum(0)).ravel() > 0).sum())
        got = int((np.asarray(sel.neighbours(p).sum(0)).ravel() > 0).sum())
        out[path_name(p)] = got / reach if reach else float("nan")
    return out


# ----------------------------------------------------------------- other types
def type_budget(ratio: float, n: int) -> int:
    """``int(ratio * n)``, or 10% of the type (at least 1) when that is 0."""
    k = int(ratio * n)
    return k if k > 0 else max(1, int(0.1 * n))


def node_roles(data, leaf_types=None) -> dict[str, str]:
    """``'target'``, ``'father'`` or ``'leaf'`` per node type (see module docstring)."""
    target = data.target
    nbrs: dict[str, set] = {t: set() for t in data.node_types}
    for s, _, d in data.edge_types:
        if s != d:
            nbrs[s].add(d)
            nbrs[d].add(s)
    roles = {}
    for t in data.node_types:
        if t == target:
            roles[t] = "target"
        elif leaf_types is not None:
            roles[t] = "leaf" if t in leaf_types else "father"
        else:
            bridge = target in nbrs[t] and any(o not in (target, t) for o in nbrs[t])
            roles[t] = "father" if bridge else "leaf"
    return roles


def ppr(adj_tf: sp.csr_matrix, seeds: np.ndarray, alpha: float, closed_form_max: int, eps: float,
        norm: str = "sym") -> np.ndarray:
    """PPR influence of the targets ``seeds`` on the right side of the bipartite graph
    ``adj_tf`` (targets x type).

    ``norm="sym"`` (the authors' HGB code, ``calc_ppr``): sum over the seeds of their rows
    of alpha (I - (1-alpha) D^-1/2 (A+I) D^-1/2)^-1, D the degrees of A+I; computed as
    D^-1/2 times the random-walk PPR on A+I teleporting to the seeds in proportion to
    D^1/2. ``"pprgo"`` (an OPTION; their Freebase code, PPRGo's ``topk_ppr_matrix`` with its
    ``'sym'`` normalisation): the same without self loops, alpha (I - (1-alpha) D^-1/2 A
    D^-1/2)^-1 (they approximate it by push, eps 1e-4).
    ``"rw"`` (an OPTION, the workbench's form until stop 45): the random-walk PPR
    alpha (I - (1-alpha) A D^-1)^-1 s, s uniform on the seeds, no self loops.

    >>> a = sp.csr_matrix(np.array([[1., 1., 0.], [0., 1., 1.]]))
    >>> [int(ppr(a, np.array([0]), 0.05, 100, 1e-9, norm).argmax()) for norm in PPR_NORMS]
    [0, 1, 1]

    (target 0's own paper under ``"sym"``, whose self loops keep mass near the seed; the
    paper it shares under the two forms without them).
    """
    check_ppr_norm(norm)
    nt, nf = adj_tf.shape
    n = nt + nf
    b = sp.bmat([[None, adj_tf], [adj_tf.T, None]], format="csr").astype(np.float64)
    b.data[:] = 1.0
    if norm == "sym":
        b = (b + sp.identity(n, format="csr")).tocsr()
    deg = np.asarray(b.sum(0)).ravel()
    symmetric = norm in ("sym", "pprgo")
    inv = np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0)
    trans = (b @ sp.diags(inv)).tocsc()  # column-stochastic where deg > 0
    s = np.zeros(n)  # symmetric forms unnormalised: paths summed with the authors' weights
    s[seeds] = np.sqrt(deg[seeds]) if symmetric else 1.0 / len(seeds)
    if n <= closed_form_max and b.nnz <= 300_000:  # sparse LU stays cheap
        pi = spla.spsolve((sp.identity(n, format="csc") - (1 - alpha) * trans).tocsc(), alpha * s)
    else:  # synchronous forward push: residuals above eps * degree pushed together
        pi, r = np.zeros(n), s.copy()
        thresh = eps * np.maximum(deg, 1)
        for _ in range(10_000):
            active = r > thresh
            if not active.any():
                break
            ra = np.where(active, r, 0.0)
            pi += alpha * ra
            r = r - ra + (1 - alpha) * (trans @ ra)
    pi = np.asarray(pi).ravel()
    if symmetric:  # an isolated node (no self loop under "pprgo") has pi = 0
        pi = np.divide(pi, np.sqrt(deg), out=np.zeros_like(pi), where=deg > 0)
    return pi[nt:]


def top_positive(scores: np.ndarray, k: int) -> np.ndarray:
    order = np.argsort(-scores, kind="stable")[:k]
    return np.sort(order[scores[order] > 0]) if (scores[order] > 0).any() else np.sort(order)


def covering_top(data, t: str, seeds: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    """Top-``k`` nodes of type ``t`` by ``score`` such that every target in ``seeds`` with a
    ``t`` neighbour keeps one: first each seed's best-scored neighbour (the best ``k`` of
    those when they exceed ``k``), then the rest of the budget by score (``father_cover``)."""
    rows = relation_rows(data, data.target, t, seeds)
    best = [nb[np.argmax(score[nb])] for nb in np.split(rows.indices, rows.indptr[1:-1]) if nb.size]
    cover = np.unique(np.array(best, dtype=np.int64))
    cover = cover[np.argsort(-score[cover], kind="stable")[:k]]
    rest = score.copy()
    rest[cover] = -np.inf
    fill = np.argsort(-rest, kind="stable")[: k - cover.size]
    return np.sort(np.concatenate([cover, fill[rest[fill] > 0]]))


def unlinked_targets(graph: HeteroData, t: str) -> int:
    """How many target nodes of ``graph`` have no edge to or from type ``t``.

    >>> unlinked_targets(condense(dblp, "freehgc", rate=0.05, seed=0).graph, "paper")  # doctest: +SKIP
    18
    """
    rows = relation_rows(graph, graph.target, t, np.arange(int(graph[graph.target].num_nodes)))
    return int((np.diff(rows.indptr) == 0).sum())


def relation_rows(data, a: str, b: str, rows: np.ndarray) -> sp.csr_matrix:
    """Binary ``[len(rows), N_b]``: which ``b`` nodes each ``a`` node in ``rows`` links to
    (union over all relations between ``a`` and ``b``, either direction)."""
    na, nb = int(data[a].num_nodes), int(data[b].num_nodes)
    m = sp.csr_matrix((na, nb), dtype=np.float32)
    for s, rel, d in data.edge_types:
        ei = data[s, rel, d].edge_index.numpy()
        if (s, d) == (a, b):
            m = m + sp.csr_matrix((np.ones(ei.shape[1], np.float32), (ei[0], ei[1])), shape=(na, nb))
        elif (s, d) == (b, a):
            m = m + sp.csr_matrix((np.ones(ei.shape[1], np.float32), (ei[1], ei[0])), shape=(na, nb))
    m = m.tocsr()[rows]
    m.data[:] = 1.0
    m.eliminate_zeros()
    return m


def one_hot_mean(members: list[np.ndarray], dim: int) -> torch.Tensor:
    out = torch.zeros(len(members), dim)
    for i, m in enumerate(members):
        out[i, torch.from_numpy(m).long()] = 1.0 / max(len(m), 1)
    return out


def store_members(store, members: list[np.ndarray]) -> None:
    """The original ids behind each condensed node, as ``member_ptr`` / ``member_idx`` (CSR)."""
    store.member_ptr = torch.tensor(np.cumsum([0] + [len(m) for m in members]), dtype=torch.long)
    store.member_idx = torch.from_numpy(np.concatenate(members)).long() if members else torch.zeros(0, dtype=torch.long)


def _features(data, t: str, ids: np.ndarray):
    x = data[t].get("x")
    return None if x is None else x[torch.from_numpy(ids).long()]


def hyper_nodes(data, leaf: str, kept: dict[str, np.ndarray], cfg: FreeHGCConfig, ratio: float):
    """Hyper-nodes of ``leaf`` for the kept nodes of its linked types. Returns
    (members list, parent->hyper edges, hyper->parent edges), edges as
    {parent type: (parent local ids, hyper ids)}."""
    parents = [t for t in kept if t != leaf and any({s, d} == {t, leaf} for s, _, d in data.edge_types)]
    blocks, owners = [], []
    for t in parents:
        blocks.append(relation_rows(data, t, leaf, kept[t]))
        owners += [(t, i) for i in range(len(kept[t]))]
    if not blocks:
        return [], {}, {}
    bk = sp.vstack(blocks).tocsr()
    key_of, members, own = {}, [], []
    for r in range(bk.shape[0]):
        nb = bk.indices[bk.indptr[r]:bk.indptr[r + 1]]
        if nb.size == 0:
            own.append(-1)
            continue
        key = tuple(np.sort(nb))
        if key not in key_of:
            key_of[key] = len(members)
            members.append(np.array(key))
        own.append(key_of[key])
    own = np.array(own)
    own_pairs = {(int(h), r) for r, h in enumerate(own) if h >= 0}
    if cfg.related_edges:
        overlap = (bk @ bk.T).tocoo()  # kept rows sharing a leaf neighbour (incl. self)
        h = own[overlap.row]
        related = {(int(hh), int(d)) for hh, d in zip(h, overlap.col) if hh >= 0}
    else:
        related = own_pairs
    # parent -> hyper (the hyper-node aggregates its related parents: the reverse edges)
    # and hyper -> parent (a parent aggregates its own hyper-node; all related ones
    # only with related_edges=True)
    in_pairs = related
    out_pairs = related if cfg.related_edges is True else own_pairs
    if cfg.leaf_budget:
        cap = type_budget(ratio, int(data[leaf].num_nodes))
        if len(members) > cap:
            order = np.argsort([-len(m) for m in members], kind="stable")
            remap = np.empty(len(members), dtype=np.int64)
            remap[order[: cap - 1]] = np.arange(cap - 1)
            remap[order[cap - 1:]] = cap - 1
            merged = np.unique(np.concatenate([members[i] for i in order[cap - 1:]]))
            members = [members[i] for i in order[: cap - 1]] + [merged]
            in_pairs = {(int(remap[h]), r) for h, r in in_pairs}
            out_pairs = {(int(remap[h]), r) for h, r in out_pairs}

    def split(pairs):
        edges: dict[str, tuple[list, list]] = {t: ([], []) for t in parents}
        for h, r in sorted(pairs, key=lambda p: (p[1], p[0])):
            t, i = owners[r]
            edges[t][0].append(i)
            edges[t][1].append(h)
        return edges

    return members, split(in_pairs), split(out_pairs)


def _induced(data, out: HeteroData, kept: dict[str, np.ndarray]) -> None:
    for s, rel, d in data.edge_types:
        if s not in kept or d not in kept:
            continue
        ei = data[s, rel, d].edge_index
        ms = torch.full((int(data[s].num_nodes),), -1, dtype=torch.long)
        md = torch.full((int(data[d].num_nodes),), -1, dtype=torch.long)
        ms[torch.from_numpy(kept[s]).long()] = torch.arange(len(kept[s]))
        md[torch.from_numpy(kept[d]).long()] = torch.arange(len(kept[d]))
        a, b = ms[ei[0]], md[ei[1]]
        keep = (a >= 0) & (b >= 0)
        out[s, rel, d].edge_index = torch.stack([a[keep], b[keep]])


def _select_store(data, out: HeteroData, t: str, ids: np.ndarray) -> None:
    out[t].num_nodes = len(ids)
    out[t].source_nodes = torch.from_numpy(ids).long()
    x = _features(data, t, ids)
    if x is not None:
        out[t].x = x


def _herding_ids(data, t: str, k: int, gen) -> np.ndarray:
    x = data[t].get("x")
    if x is None:  # featureless: the type's (row-normalised) links to the target type
        x = torch.from_numpy(relation_rows(data, t, data.target, np.arange(int(data[t].num_nodes))).toarray())
    return np.sort(herding(x.float(), min(k, x.size(0)), gen).numpy())


def condense_others(data, target_ids: torch.Tensor, ratio: float, paths, cfg: FreeHGCConfig, gen) -> HeteroData:
    """The condensed graph around the selected targets: other types by ``cfg.other_types``."""
    target = data.target
    roles = node_roles(data, cfg.leaf_types)
    kept: dict[str, np.ndarray] = {target: target_ids.numpy()}
    seeds = target_ids.numpy()
    leaves = []
    for t in data.node_types:
        if t == target:
            continue
        k = type_budget(ratio, int(data[t].num_nodes))
        mode = cfg.other_types
        if mode == "herding":
            kept[t] = _herding_ids(data, t, k, gen)
        elif mode == "ppr" or roles[t] == "father" or mode == "random":
            if mode == "random":
                kept[t] = np.sort(torch.randperm(int(data[t].num_nodes), generator=gen)[:k].numpy())
                continue
            tpaths = [p for p in paths if start_type(p) == t]
            adj = MetaPathAdjacency(data, target)
            score = np.zeros(int(data[t].num_nodes))
            for p in tpaths:
                score += ppr(adj.neighbours(p), seeds, cfg.alpha, cfg.closed_form_max, cfg.push_eps, cfg.ppr_norm)
            kept[t] = covering_top(data, t, seeds, score, k) if cfg.father_cover else top_positive(score, k)
        else:
            leaves.append(t)
    out = HeteroData()
    for t in data.node_types:
        if t in kept:
            _select_store(data, out, t, kept[t])
    ts = data[target]
    out[target].y = ts.y[target_ids]
    out[target].train_mask = torch.ones(len(target_ids), dtype=torch.bool)
    _induced(data, out, kept)
    for leaf in leaves:
        members, in_edges, out_edges = hyper_nodes(data, leaf, kept, cfg, ratio)
        out[leaf].num_nodes = len(members)
        x = data[leaf].get("x")
        if x is not None:
            feats = [x[torch.from_numpy(m).long()].float().mean(0) for m in members]
            out[leaf].x = torch.stack(feats) if feats else x.new_zeros(0, x.size(1)).float()
        else:  # featureless: means of one-hot rows over the original type's nodes
            out[leaf].x = one_hot_mean(members, int(data[leaf].num_nodes))
        store_members(out[leaf], members)
        for s, rel, d in data.edge_types:
            for parent in in_edges:
                if (s, d) == (parent, leaf):
                    pi, hi = in_edges[parent]
                    out[s, rel, d].edge_index = torch.tensor([pi, hi], dtype=torch.long).view(2, -1)
                elif (s, d) == (leaf, parent):
                    pi, hi = out_edges[parent]
                    out[s, rel, d].edge_index = torch.tensor([hi, pi], dtype=torch.long).view(2, -1)
    for e in data.edge_types:  # every relation present (possibly empty)
        if "edge_index" not in out[e]:
            out[e].edge_index = torch.zeros(2, 0, dtype=torch.long)
    out.target = target
    return out


@register_method
class FreeHGC(Method):
    """Training-free heterogeneous condensation (see module docstring)."""

    name, kind, Config = "freehgc", "heterogeneous", FreeHGCConfig
    summary = "receptive-field + meta-path-diversity selection, PPR fathers, hyper-node leaves"

    def run(self, data, budget: Budget, seed, device, progress):
        cfg = self.config
        gen = torch.Generator().manual_seed(seed)
        hops = default_hops(getattr(data, "name", None), override=cfg.hops)
        paths = enumerate_metapaths(data, data.target, hops)
        targets = select_targets(data, budget, paths, cfg)
        return condense_others(data, targets, budget.ratio, paths, cfg, gen)
