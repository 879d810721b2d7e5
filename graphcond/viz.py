"""Plots and graph statistics used by the notebooks and the widget explorer.

Interactive figures are plotly; static ones matplotlib.

Example:
    >>> import torch
    >>> from torch_geometric.data import Data
    >>> g = Data(edge_index=torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), y=torch.tensor([0, 0, 1]), num_nodes=3)
    >>> edge_homophily(g)
    0.5
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.io as pio
import torch
from torch_geometric.data import Data, HeteroData
from torch_geometric.utils import degree

# Figures carry both plotly's own output (JupyterLab) and embedded HTML, so the HTML
# exports of executed notebooks show them too.
pio.renderers.default = "plotly_mimetype+notebook"


def edge_homophily(data: Data) -> float:
    """Share of edges joining two nodes of the same class."""
    src, dst = data.edge_index
    return (data.y[src] == data.y[dst]).float().mean().item()


def node_homophily(data: Data) -> torch.Tensor:
    """Per node, the share of its neighbours with its own label (NaN for isolated nodes).
    An analysis statistic over all labels; condensation never reads it."""
    src, dst = data.edge_index
    same = torch.zeros(data.num_nodes).index_add_(0, dst, (data.y[src] == data.y[dst]).float())
    deg = torch.zeros(data.num_nodes).index_add_(0, dst, torch.ones(dst.numel()))
    return same / deg


def graph_summary(data: Data | HeteroData) -> dict:
    """Sizes, classes and (homogeneous) homophily of a loaded dataset."""
    if isinstance(data, HeteroData):
        s = data[data.target]
        return {
            "dataset": data.name, "kind": "heterogeneous", "nodes": data.num_nodes, "edges": data.num_edges,
            "node_types": len(data.node_types), "edge_types": len(data.edge_types), "target": data.target,
            "classes": data.num_classes, "train": int(s.train_mask.sum()), "val": int(s.val_mask.sum()),
            "test": int(s.test_mask.sum()), "homophily": None,
        }
    return {
        "dataset": data.name, "kind": "homogeneous", "nodes": data.num_nodes, "edges": data.num_edges,
        "node_types": 1, "edge_types": 1, "target": "-", "classes": data.num_classes,
        "train": int(data.train_mask.sum()), "val": int(data.val_mask.sum()), "test": int(data.test_mask.sum()),
        "homophily": round(edge_homophily(data), 3),
    }


def degrees(data: Data | HeteroData) -> pd.DataFrame:
    """In-degree of every node (per node type for heterogeneous graphs)."""
    if isinstance(data, HeteroData):
        rows = []
        for t in data.node_types:
            deg = torch.zeros(data[t].num_nodes)
            for (_, _, dst), store in data.edge_items():
                if dst == t:
                    deg += degree(store.edge_index[1], data[t].num_nodes)
            rows.append(pd.DataFrame({"type": t, "degree": deg.numpy()}))
        return pd.concat(rows, ignore_index=True)
    return pd.DataFrame({"type": "node", "degree": degree(data.edge_index[1], data.num_nodes).numpy()})


def class_balance(data: Data | HeteroData) -> pd.DataFrame:
    """Training nodes per class (label-vector columns summed for multi-label)."""
    s = data[data.target] if isinstance(data, HeteroData) else data
    y = s.y[s.train_mask]
    counts = y.sum(0) if y.dim() > 1 else torch.bincount(y, minlength=data.num_classes)
    return pd.DataFrame({"class": range(len(counts)), "train_nodes": counts.long().numpy()})


ROLE_COLORS = {"target": "tab:red", "father": "tab:orange", "leaf": "tab:green"}


def schema_figure(data: HeteroData, ax=None, roles: dict | None = None, title: str | None = None):
    """The heterogeneous schema as a graph of node types with their node counts
    (matplotlib); the target type in red, or every type coloured by ``roles``
    (``{type: "target" | "father" | "leaf"}``, e.g. FreeHGC's ``node_roles``)."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(5, 4))[1]
    types = data.node_types
    angle = np.linspace(0, 2 * np.pi, len(types), endpoint=False)
    pos = {t: (np.cos(a), np.sin(a)) for t, a in zip(types, angle)}
    for src, rel, dst in data.edge_types:
        (x0, y0), (x1, y1) = pos[src], pos[dst]
        if src == dst:
            ax.add_patch(plt.Circle((x0 * 1.15, y0 * 1.15), 0.15, fill=False, color="grey"))
            continue
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "->", "color": "grey", "shrinkA": 18, "shrinkB": 18})
    for t, (x, y) in pos.items():
        color = ROLE_COLORS[roles[t]] if roles else ("tab:red" if t == getattr(data, "target", None) else "tab:blue")
        ax.scatter([x], [y], s=1200, color=color, alpha=0.3)
        ax.text(x, y, f"{t}\n{data[t].num_nodes}", ha="center", va="center")
    ax.set_axis_off()
    ax.set_title(title or f"{getattr(data, 'name', '')}: {len(types)} node types, {len(data.edge_types)} relations")
    return ax


def accuracy_bars(df: pd.DataFrame, x: str = "method", color: str | None = None, title: str = ""):
    """Plotly bars of ``mean`` with ``std`` error bars (fractions shown as %)."""
    import plotly.express as px

    d = df.assign(accuracy=100 * df["mean"], error=100 * df["std"])
    return px.bar(d, x=x, y="accuracy", error_y="error", color=color, barmode="group", title=title)


def node_embeddings(condensed, data: Data, model: str = "gcn", seed: int = 0, device="auto", **train):
    """``(original, condensed)`` hidden representations from one ``model`` trained on the
    condensed graph (the evaluation protocol: epoch chosen on ``data``'s validation
    nodes), each graph embedded through its own structure. Models without a hidden
    layer (SGC) give their logits."""
    from .runtime import resolve_device
    from .training import TrainConfig, fit, model_input, operator_for

    dev = resolve_device(device)
    net = fit(condensed.graph, data, TrainConfig(model=model, **train), dev, seed).model.eval()
    out = []
    with torch.no_grad():
        for g in (data, condensed.graph):
            x, op = model_input(g.x.to(dev)), operator_for(g, net.norm, dev)
            out.append((net.embed(x, op) if hasattr(net, "embed") else net(x, op)).cpu())
    return tuple(out)


def tsne_points(condensed, data: Data, sample: int = 1000, seed: int = 0, space: str = "features", **embed) -> pd.DataFrame:
    """2-d t-SNE of original nodes (a random sample) and condensed nodes together, in
    the feature space both share (``space="features"``) or in the hidden space of a GNN
    trained on the condensed graph (``space="hidden"``, see :func:`node_embeddings`;
    ``embed`` goes to it, e.g. ``model="sgc"``, ``epochs=200``).

    >>> points = tsne_points(c, cora, space="hidden", epochs=200)      # doctest: +SKIP
    >>> points.groupby("kind").size()                                   # doctest: +SKIP
    """
    from sklearn.manifold import TSNE

    if space not in ("features", "hidden"):
        raise ValueError(f"space must be 'features' or 'hidden', got {space!r}")
    gen = torch.Generator().manual_seed(seed)
    idx = torch.randperm(data.num_nodes, generator=gen)[:sample]
    g = condensed.graph
    y_syn = g.y.argmax(-1) if g.y.dim() > 1 else g.y
    if space == "hidden":
        h_orig, h_syn = node_embeddings(condensed, data, seed=seed, **embed)
        x = torch.cat([h_orig[idx], h_syn])
    else:
        x = torch.cat([data.x[idx].to_dense() if data.x.is_sparse else data.x[idx], g.x])
    x = x.float().numpy()
    xy = TSNE(n_components=2, random_state=seed, init="pca", perplexity=min(30, len(x) - 1)).fit_transform(x)
    kind = ["original"] * len(idx) + ["condensed"] * g.num_nodes
    label = torch.cat([data.y[idx], y_syn]).numpy()
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "kind": kind, "label": label.astype(str)})


def class_centre_distance(points: pd.DataFrame) -> float:
    """Mean 2-d distance of condensed points to the centroid of the original points of
    their label, over the original points' mean distance to their own centroid (below 1:
    condensed nodes sit nearer their class centre than a typical original node).

    >>> pts = pd.DataFrame({"x": [0.0, 2, 1], "y": [0.0, 0, 0], "kind": ["original"] * 2 + ["condensed"],
    ...                     "label": ["a", "a", "a"]})
    >>> class_centre_distance(pts)
    0.0
    """
    orig, syn = points[points["kind"] == "original"], points[points["kind"] == "condensed"]
    cent = orig.groupby("label")[["x", "y"]].mean()
    spread = np.hypot(*(orig[["x", "y"]].to_numpy() - cent.loc[orig["label"]].to_numpy()).T).mean()
    syn = syn[syn["label"].isin(cent.index)]
    return float(np.hypot(*(syn[["x", "y"]].to_numpy() - cent.loc[syn["label"]].to_numpy()).T).mean() / spread)


def tsne_figure(points: pd.DataFrame, title: str = ""):
    """Plotly scatter of :func:`tsne_points`, condensed nodes large and outlined."""
    import plotly.express as px

    fig = px.scatter(points, x="x", y="y", color="label", symbol="kind", size=np.where(points["kind"] == "condensed", 12, 4),
                     symbol_map={"original": "circle", "condensed": "diamond"}, title=title, opacity=0.8)
    fig.update_traces(marker_line_width=0)
    return fig
