"""MUTAG and AM (R-GCN entity classification) as ``HeteroData`` with typed nodes.

Expected layout under the data folder: ``rdf/<name>/{<name>_stripped.nt.gz,
trainingSet.tsv,testSet.tsv}`` with ``<name>`` = ``mutag`` or ``am`` (the R-GCN/DGL
distribution; its ``completeDataset.tsv`` = training + test rows is not needed). The
N-Triples are parsed with rdflib once; the graph is cached in the work folder, keyed
by the files' hash.

Edges follow DGL's RDF processing (the counts of the FreeHGC and R-GCN tables): every
kept triple ``s p o`` gives an edge ``s -p-> o`` and its reverse ``o -rev_p-> s``. A
triple is dropped when ``p`` is a label predicate (MUTAG ``isMutagenic``; AM
``objectCategory``, ``material``) or ``s``/``o`` is a URI outside the dataset's
namespace. MUTAG keeps literals as nodes (one per distinct literal) and has no blank
nodes; AM drops literal triples and keeps blank nodes. Relations are named by the
predicate's local name (``hasAtom``), prefixed where two names clash or where the
name is a ``torch.nn.Module`` attribute (``rdf_type``).

Node types (our rule; DGL types nodes by URI patterns instead):

1. a literal is ``literal``; an entity without ``rdf:type`` (blank or not) ``untyped``;
2. every class of an entity's ``rdf:type`` is lifted along the file's
   ``rdfs:subClassOf`` to its top classes (``Carbon-22 < Carbon < Atom``); a top class
   gives its lower-cased local name (``atom``), except RDF/RDFS/OWL vocabulary classes:
   ``rdfs:Class``/``owl:Class`` give ``class``, ``rdf:Property``/``owl:*Property``
   give ``property``, others (``owl:Ontology``) ``schema``; with several candidates the
   most populated type wins (ties: by name);
3. the type of most labelled entities (unless ``untyped``) is renamed to the target
   (``d``, ``proxy``), and every labelled entity joins the target type;
4. at most 7 types (the papers' count): beyond that, the least populated class types
   merge into ``other``.

Node ids within a type follow the terms' sorted N-Triples form. There are no
features: each node type has ``num_nodes`` only. Split: trainingSet.tsv /
testSet.tsv, with ``val_share`` of the training rows as validation (``split_seed``).

MUTAG gives 23,637 nodes in 7 types (d 340, atom 9,189, bond 9,317, structure 3,526,
class 142, property 19, literal 1,104), 148,100 edges (74,050 triples and reverses),
46 relation names (23 and reverses) over 52 canonical edge types, 2 classes; the
paper (DGL) has 27,163 nodes, 7 types, 148,100 edges, 46 edge types. DGL keys a node
by (type, URI) with types from URI patterns, so each of the 3,526 structures counts
twice (as ``hasStructure`` object and as ``SCHEMA`` subject of ``rdf:type``):
23,637 + 3,526 = 27,163.

Example:
    >>> from graphcond.data import load_dataset
    >>> mutag = load_dataset("mutag")                     # doctest: +SKIP
    >>> mutag.target, mutag.num_classes                   # doctest: +SKIP
    ('d', 2)
"""
from __future__ import annotations

import gzip
import re
import warnings
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.plugins.parsers.ntriples import ParseError, W3CNTriplesParser
from torch.nn import Module
from torch_geometric.data import HeteroData
from torch_geometric.utils import index_to_mask

from .files import fetch_archive, load_or_build
from .hgb import split_train_val
from .paths import CorruptDataError, require_files
from .registry import DatasetSpec, register_dataset

URL = "https://data.dgl.ai/dataset/{}.tgz"  # PyG's Entities source
VOCABULARIES = (str(RDF), str(RDFS), str(OWL))
MAX_TYPES = 7
CACHE_TAG = "typed-v1"  # bump when the processing changes


@dataclass(frozen=True)
class RdfSpec:
    """What DGL keeps of one RDF dataset, and its target type."""

    name: str
    target: str
    namespace: str
    label_predicates: tuple[str, ...]
    literals: bool
    blank_nodes: bool

    @property
    def files(self) -> list[str]:
        return [f"{self.name}_stripped.nt.gz", "trainingSet.tsv", "testSet.tsv"]


CARCINOGENESIS = "http://dl-learner.org/carcinogenesis#"
AM = "http://purl.org/collections/nl/am/"
SPECS = {
    "mutag": RdfSpec(
        "mutag", "d", CARCINOGENESIS, (CARCINOGENESIS + "isMutagenic",),
        literals=True, blank_nodes=False,
    ),
    "am": RdfSpec(
        "am", "proxy", AM, (AM + "objectCategory", AM + "material"),
        literals=False, blank_nodes=True,
    ),
}


def local_name(uri: str) -> str:
    """The part after the last ``#`` or ``/``, as an identifier: ``..#hasAtom`` -> ``hasAtom``."""
    return re.sub(r"\W", "_", re.split(r"[#/]", uri.rstrip("#/"))[-1])


class _Sink:
    """Receives parsed triples: keeps DGL's triples as ids, and every type/subclass fact."""

    def __init__(self, spec: RdfSpec):
        self.spec = spec
        self.terms: dict = {}
        self.predicates: dict = {}
        self.triples = array("q")
        self.classes = defaultdict(set)
        self.parents = defaultdict(set)

    def _kept(self, term) -> bool:
        if isinstance(term, Literal):
            return self.spec.literals
        if isinstance(term, BNode):
            return self.spec.blank_nodes
        return str(term).startswith(self.spec.namespace)

    def triple(self, s, p, o) -> None:
        if p == RDF.type and isinstance(o, URIRef):
            self.classes[s].add(o)
        elif p == RDFS.subClassOf and isinstance(o, URIRef):
            self.parents[s].add(o)
        if str(p) in self.spec.label_predicates or not (self._kept(s) and self._kept(o)):
            return
        terms, predicates = self.terms, self.predicates
        s_id = terms.setdefault(s, len(terms))
        o_id = terms.setdefault(o, len(terms))
        self.triples.extend((s_id, predicates.setdefault(p, len(predicates)), o_id))


def _parse(spec: RdfSpec, path: Path) -> tuple[_Sink, dict]:
    """Stream the gzipped N-Triples into a ``_Sink``; also return blank-node labels."""
    sink, blank_ids = _Sink(spec), {}
    try:
        with gzip.open(path, "rb") as f:
            W3CNTriplesParser(sink).parse(f, bnode_context=blank_ids)
    except (OSError, EOFError, UnicodeDecodeError, ParseError) as exc:
        raise CorruptDataError(
            f"dataset {spec.name!r}: cannot parse {path} ({exc.__class__.__name__}: {exc}); "
            "replace it with an intact copy."
        ) from exc
    return sink, {node: f"_:{label}" for label, node in blank_ids.items()}


def _read_labels(spec: RdfSpec, path: Path) -> pd.DataFrame:
    """Rows ``(entity URI, label)`` of a trainingSet/testSet file (header, tab-separated)."""
    try:
        df = pd.read_csv(path, sep="\t", dtype=str)
        if df.shape[1] < 2 or df.iloc[:, [0, -1]].isna().any().any():
            raise ValueError("expected tab-separated rows 'entity ... label'")
    except (ValueError, pd.errors.ParserError) as exc:
        raise CorruptDataError(
            f"dataset {spec.name!r}: cannot read {path} ({exc}); replace it with an intact copy."
        ) from exc
    return pd.DataFrame({"entity": df.iloc[:, 0].str.strip(), "label": df.iloc[:, -1].str.strip()})


def _tops(cls, parents: dict, memo: dict) -> frozenset:
    """Top classes of ``cls`` along ``rdfs:subClassOf`` (vocabulary classes excluded)."""
    if cls not in memo:
        memo[cls] = frozenset()  # guards against subclass cycles
        above = [p for p in parents.get(cls, ()) if not str(p).startswith(VOCABULARIES)]
        memo[cls] = frozenset().union(*(_tops(p, parents, memo) for p in above)) or frozenset({cls})
    return memo[cls]


def _vocabulary_type(uri) -> str:
    """``property`` (rdf:Property, owl:*Property), ``class`` (rdfs/owl:Class) or ``schema``."""
    name = local_name(uri)
    return "property" if name.endswith("Property") else "class" if name == "Class" else "schema"


def _candidates(term, sink: _Sink, memo: dict) -> set[str]:
    """The coarse types ``term`` may take (rule 1-2 of the module docstring)."""
    if isinstance(term, Literal):
        return {"literal"}
    if not sink.classes.get(term):
        return {"untyped"}
    tops = frozenset().union(*(_tops(c, sink.parents, memo) for c in sink.classes[term]))
    return {
        _vocabulary_type(t) if str(t).startswith(VOCABULARIES) else local_name(t).lower()
        for t in tops
    }


def _node_types(spec: RdfSpec, sink: _Sink, terms: list, labelled: set) -> list[str]:
    """One coarse type per term, by the rule of the module docstring."""
    memo: dict = {}
    options = [_candidates(t, sink, memo) for t in terms]
    size = Counter(name for names in options for name in names)
    types = [max(names, key=lambda n: (size[n], n)) for names in options]
    in_target = Counter(ty for ty, t in zip(types, terms) if t in labelled)
    if not in_target:
        raise CorruptDataError(
            f"dataset {spec.name!r}: no labelled entity of trainingSet/testSet.tsv occurs in "
            f"{spec.files[0]}; the files do not belong together."
        )
    source = max(in_target, key=lambda n: (in_target[n], n))
    renamed = {source} - {"untyped"}
    types = [spec.target if ty in renamed or t in labelled else ty for ty, t in zip(types, terms)]
    fixed = {spec.target, "literal", "untyped"}
    size = Counter(types)
    if len(size) > MAX_TYPES:
        ranked = sorted((n for n in size if n not in fixed), key=lambda n: (-size[n], n))
        keep = set(ranked[: MAX_TYPES - 1 - len(fixed & set(size))]) | fixed
        types = [ty if ty in keep else "other" for ty in types]
    return types


def _relation_names(predicates: list) -> list[str]:
    """Local names of the predicates, prefixed (``rdf_type``) where two clash or where the
    name is a ``torch.nn.Module`` attribute (a ``ModuleDict`` key could not be ``type``)."""
    names = [local_name(p) for p in predicates]
    clash = Counter(names)
    manager = Graph().namespace_manager
    return [
        f"{manager.compute_qname(str(p))[0]}_{n}" if clash[n] > 1 or hasattr(Module, n) else n
        for p, n in zip(predicates, names)
    ]


def _number_nodes(data: HeteroData, terms: list, types: list[str], blank_labels: dict):
    """Number the nodes of each type in sorted N-Triples order; set ``num_nodes``.

    Returns ``(type_names, type_of, local)``: per term, its type index and local id.
    """
    type_names = sorted(set(types))
    type_of = np.array([type_names.index(t) for t in types], dtype=np.int64)
    local = np.empty(len(terms), dtype=np.int64)
    for k, name in enumerate(type_names):
        members = np.flatnonzero(type_of == k)
        members = sorted(members, key=lambda i: blank_labels.get(terms[i]) or terms[i].n3())
        local[members] = np.arange(len(members))
        data[name].num_nodes = len(members)
    return type_names, type_of, local


def _add_edges(data: HeteroData, sink: _Sink, type_names: list, type_of, local) -> None:
    """One edge type per (source type, relation, target type), each with its reverse."""
    triples = np.unique(np.frombuffer(sink.triples, dtype=np.int64).reshape(-1, 3), axis=0)
    s, p, o = triples.T
    relations = _relation_names(list(sink.predicates))
    dims = (len(type_names), len(relations), len(type_names))
    code = np.ravel_multi_index((type_of[s], p, type_of[o]), dims)
    order = np.argsort(code, kind="stable")
    groups, starts = np.unique(code[order], return_index=True)
    for group, idx in zip(groups, np.split(order, starts[1:])):
        src, rel, dst = np.unravel_index(group, dims)
        src, rel, dst = type_names[src], relations[rel], type_names[dst]
        edge_index = torch.from_numpy(np.stack([local[s[idx]], local[o[idx]]]))
        data[src, rel, dst].edge_index = edge_index
        data[dst, f"rev_{rel}", src].edge_index = edge_index.flip(0)


def _add_labels(spec: RdfSpec, data: HeteroData, rows: dict, index: dict) -> None:
    """``y`` (-1 where unlabelled) and the official train/test masks on the target type.

    ``index`` maps a target entity to its local id; a labelled entity without any kept
    triple is ignored with a warning, as DGL does.
    """
    classes = sorted(set(rows["train"].label) | set(rows["test"].label))
    store = data[spec.target]
    store.y = torch.full((store.num_nodes,), -1, dtype=torch.long)
    for part, df in rows.items():
        found = df[[URIRef(u) in index for u in df.entity]]
        if len(found) < len(df):
            warnings.warn(f"{spec.name}: {len(df) - len(found)} {part} entities have no kept "
                          "triple; ignored")
        ids = torch.tensor([index[URIRef(u)] for u in found.entity], dtype=torch.long)
        store.y[ids] = torch.tensor([classes.index(v) for v in found.label], dtype=torch.long)
        store[f"{part}_mask"] = index_to_mask(ids, size=store.num_nodes)
    data.num_classes = len(classes)


def _build(spec: RdfSpec, nt: Path, train: Path, test: Path) -> HeteroData:
    """Parse the raw files into a typed ``HeteroData`` with labels and official masks."""
    sink, blank_labels = _parse(spec, nt)
    rows = {"train": _read_labels(spec, train), "test": _read_labels(spec, test)}
    terms = list(sink.terms)
    types = _node_types(spec, sink, terms, {URIRef(u) for df in rows.values() for u in df.entity})
    data = HeteroData()
    type_names, type_of, local = _number_nodes(data, terms, types, blank_labels)
    _add_edges(data, sink, type_names, type_of, local)
    target = {t: int(local[i]) for i, t in enumerate(terms) if types[i] == spec.target}
    _add_labels(spec, data, rows, target)
    return data


def _loader(spec: RdfSpec):
    how = (
        f"Put {', '.join(spec.files)} (R-GCN/DGL distribution, {URL.format(spec.name)}) "
        f"in <data>/rdf/{spec.name}/."
    )

    def load(folder: Path, can_download: bool, split_seed: int = 0, val_share: float = 0.2):
        src = folder / "rdf" / spec.name
        if can_download and not all((src / f).is_file() for f in spec.files):
            fetch_archive(URL.format(spec.name), src, spec.name, how)
        paths = require_files(src, spec.files, spec.name, how)
        data = load_or_build(spec.name, paths, CACHE_TAG, lambda: _build(spec, *paths))
        store = data[spec.target]
        store.train_mask, store.val_mask = split_train_val(store.train_mask, val_share, split_seed)
        data.target = spec.target
        data.multilabel = False
        return data, paths

    return load


for _spec in SPECS.values():
    register_dataset(
        DatasetSpec(
            name=_spec.name,
            kind="heterogeneous",
            loader=_loader(_spec),
            expected=f"rdf/{_spec.name}/{{{','.join(_spec.files)}}}",
            source=f"R-GCN entity classification (Ristoski et al. 2016), target {_spec.target!r}",
        )
    )
