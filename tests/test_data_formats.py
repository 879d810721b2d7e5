"""Each loader reads a tiny file set written here in its dataset's distribution format.

These cover the datasets that are not available offline (ogbn-arxiv, Flickr, Reddit,
Pubmed, Freebase, AMiner, AM) plus the RDF typing rule on a MUTAG-format file.
"""
from __future__ import annotations

import gzip
import json
import pickle
import urllib.error
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from rdflib import URIRef

from graphcond.data import CorruptDataError, DataNotFoundError, dataset_names, load_dataset
from graphcond.data import files, rdf


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHCOND_CACHE", str(tmp_path / "cache"))


def _sizes(store) -> tuple[int, int, int]:
    return int(store.train_mask.sum()), int(store.val_mask.sum()), int(store.test_mask.sum())


def test_registry_lists_every_dataset():
    expected = {"cora", "citeseer", "pubmed", "ogbn-arxiv", "flickr", "reddit", "acm", "dblp",
                "imdb", "freebase", "aminer", "mutag", "am"}
    assert expected <= set(dataset_names())


# ---- ogbn-arxiv: OGB's csv.gz files ---------------------------------------------------

def _write_csv_gz(path: Path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, header=False, index=False, compression="gzip")


def _write_arxiv(root: Path, num_nodes: int = 5) -> None:
    d = root / "ogbn_arxiv"
    edges = [[0, 1], [1, 2], [2, 0], [3, 4], [1, 0]]  # (1, 0) reverses (0, 1)
    _write_csv_gz(d / "raw/edge.csv.gz", edges)
    _write_csv_gz(d / "raw/node-feat.csv.gz", np.arange(20, dtype=np.float32).reshape(5, 4) / 10)
    _write_csv_gz(d / "raw/node-label.csv.gz", [[0], [1], [2], [1], [0]])
    _write_csv_gz(d / "raw/node_year.csv.gz", [[2015], [2016], [2017], [2019], [2020]])
    _write_csv_gz(d / "raw/num-node-list.csv.gz", [[num_nodes]])
    _write_csv_gz(d / "raw/num-edge-list.csv.gz", [[len(edges)]])
    for name, idx in (("train", [0, 1]), ("valid", [2]), ("test", [3, 4])):
        _write_csv_gz(d / f"split/time/{name}.csv.gz", [[i] for i in idx])


def test_ogbn_arxiv_format(tmp_path):
    _write_arxiv(tmp_path)
    data = load_dataset("ogbn-arxiv", data_dir=tmp_path)
    assert (data.num_nodes, data.num_edges, data.num_features) == (5, 8, 4)
    assert data.is_undirected()
    assert data.num_classes == 3 and not data.multilabel
    assert data.year.tolist() == [2015, 2016, 2017, 2019, 2020]
    assert torch.allclose(data.x[1], torch.tensor([0.4, 0.5, 0.6, 0.7]))
    assert _sizes(data) == (2, 1, 2) and data.train_mask[:2].all()


def test_ogbn_arxiv_counts_must_agree(tmp_path):
    _write_arxiv(tmp_path, num_nodes=6)
    with pytest.raises(CorruptDataError, match="node-feat.csv.gz"):
        load_dataset("ogbn-arxiv", data_dir=tmp_path)


def test_failed_download_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("GRAPHCOND_DATA", raising=False)

    def offline(url, folder, **kwargs):
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(files, "download_url", offline)
    with pytest.raises(DataNotFoundError, match="mutag.tgz"):
        load_dataset("mutag")


def test_missing_files_are_named(tmp_path):
    with pytest.raises(DataNotFoundError, match="edge.csv.gz"):
        load_dataset("ogbn-arxiv", data_dir=tmp_path)
    with pytest.raises(DataNotFoundError, match="am_stripped.nt.gz"):
        load_dataset("am", data_dir=tmp_path)


# ---- Flickr / Reddit: GraphSAINT's adj_full.npz, feats.npy, class_map.json, role.json ----

SAINT_EDGES = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (0, 5)]


def _write_saint(raw: Path, num_classes: int) -> None:
    raw.mkdir(parents=True)
    row, col = np.array(SAINT_EDGES).T
    adj = sp.coo_matrix((np.ones(12), (np.r_[row, col], np.r_[col, row])), shape=(6, 6))
    sp.save_npz(raw / "adj_full.npz", adj.tocsr())
    np.save(raw / "feats.npy", np.random.default_rng(0).random((6, 3)).astype(np.float32))
    (raw / "class_map.json").write_text(json.dumps({str(i): i % num_classes for i in range(6)}))
    (raw / "role.json").write_text(json.dumps({"tr": [0, 1, 2], "va": [3], "te": [4, 5]}))


@pytest.mark.parametrize("name, num_classes", [("flickr", 3), ("reddit", 4)])
def test_graphsaint_format(tmp_path, name, num_classes):
    _write_saint(tmp_path / name / "raw", num_classes)
    data = load_dataset(name, data_dir=tmp_path)
    assert (data.num_nodes, data.num_edges, data.num_features) == (6, 12, 3)
    assert data.num_classes == num_classes and not data.inductive
    assert _sizes(data) == (3, 1, 2) and data.train_mask[:3].all()
    assert "train_edge_index" not in data


def test_flickr_inductive_view(tmp_path):
    _write_saint(tmp_path / "flickr" / "raw", 3)
    full = load_dataset("flickr", data_dir=tmp_path)
    data = load_dataset("flickr", data_dir=tmp_path, inductive=True)
    assert data.inductive and data.num_nodes == 6
    assert torch.equal(data.edge_index, full.edge_index)  # evaluation graph: the full one
    assert all(torch.equal(data[m], full[m]) for m in ("train_mask", "val_mask", "test_mask"))
    pairs = {tuple(e) for e in data.train_edge_index.t().tolist()}
    assert pairs == {(0, 1), (1, 0), (1, 2), (2, 1)}  # only edges between training nodes


def test_graphsaint_corrupt_file_is_named(tmp_path):
    _write_saint(tmp_path / "flickr" / "raw", 3)
    (tmp_path / "flickr" / "raw" / "role.json").write_text("{not json")
    with pytest.raises(CorruptDataError, match="role.json"):
        load_dataset("flickr", data_dir=tmp_path)


# ---- Pubmed: Planetoid pickles (PyG takes the 500 nodes after `y` as validation) -------

def test_pubmed_planetoid_format(tmp_path):
    d = tmp_path / "planetoid" / "pubmed"
    d.mkdir(parents=True)
    rng = np.random.default_rng(0)
    one_hot = lambda labels: np.eye(3, dtype=np.int64)[labels]  # noqa: E731
    allx = sp.csr_matrix(rng.random((503, 4)).astype(np.float32))
    ally = one_hot(np.arange(503) % 3)
    objects = {
        "x": allx[:3], "y": ally[:3], "allx": allx, "ally": ally,
        "tx": sp.csr_matrix(rng.random((4, 4)).astype(np.float32)), "ty": one_hot([0, 1, 2, 0]),
        # 2 -> 2 is a self-loop and 503 -> 504 a duplicate: both dropped
        "graph": defaultdict(list, {0: [1, 2], 1: [0], 2: [0, 2], 503: [504, 504], 504: [503]}),
    }
    for suffix, obj in objects.items():
        with open(d / f"ind.pubmed.{suffix}", "wb") as f:
            pickle.dump(obj, f, protocol=2)
    (d / "ind.pubmed.test.index").write_text("505\n503\n506\n504\n")
    data = load_dataset("pubmed", data_dir=tmp_path)
    assert (data.num_nodes, data.num_edges, data.num_features) == (507, 6, 4)
    assert data.num_classes == 3
    assert _sizes(data) == (3, 500, 4) and data.test_mask[503:].all()


# ---- Freebase: HGB files, with Freebase's own info.dat layout ---------------------------

FREEBASE_INFO = """TYPE\tMEANING
0\t\tBOOK
1\t\tFILM
2\t\tPEOPLE

LINK\tSTART\tEND\tMEANING
0\t\t0\t\t0\tBOOK-and-BOOK
1\t\t0\t\t1\tBOOK-to-FILM
2\t\t1\t\t2\tFILM-starring-PEOPLE

LABEL\tCLASS\tMEANING
0\t\t0\t\tscience
0\t\t1\t\tfiction
0\t\t2\t\thistory
"""


def test_freebase_hgb_format(tmp_path):
    d = tmp_path / "hgb" / "Freebase"
    d.mkdir(parents=True)
    (d / "info.dat").write_text(FREEBASE_INFO)
    types = [0] * 6 + [1] * 3 + [2] * 2
    (d / "node.dat").write_text("".join(f"{i}\tn{i}\t{t}\n" for i, t in enumerate(types)))
    links = [(0, 1, 0), (1, 2, 0), (2, 3, 0), (0, 6, 1), (3, 7, 1), (5, 8, 1), (6, 9, 2),
             (7, 10, 2)]
    (d / "link.dat").write_text("".join(f"{s}\t{t}\t{r}\t1.0\n" for s, t, r in links))
    label_rows = lambda pairs: "".join(f"{i}\tn{i}\t0\t{y}\n" for i, y in pairs)  # noqa: E731
    (d / "label.dat").write_text(label_rows([(0, 0), (1, 1), (2, 2), (3, 0)]))
    (d / "label.dat.test").write_text(label_rows([(4, 1), (5, 2)]))
    data = load_dataset("freebase", data_dir=tmp_path)
    assert data.target == "book" and data.num_classes == 3
    assert {t: data[t].num_nodes for t in data.node_types} == {"book": 6, "film": 3, "people": 2}
    assert {e: data[e].num_edges for e in data.edge_types} == {
        ("book", "and", "book"): 3, ("book", "to", "film"): 3, ("film", "starring", "people"): 2}
    assert _sizes(data["book"]) == (3, 1, 2)


# ---- AMiner: metapath2vec's net_aminer files and label folder ---------------------------

def _write_aminer(raw: Path) -> None:
    (raw / "label").mkdir(parents=True)
    (raw / "id_author.txt").write_text("".join(f"{i}\tauthor_{i}\n" for i in range(20)))
    (raw / "id_conf.txt").write_text("0\tKDD\n1\tICML\n2\tWWW\n")
    (raw / "paper.txt").write_text("".join(f"{p}\tpaper title {p}\n" for p in range(10)))
    pairs = [(p, 2 * p + k) for p in range(10) for k in (0, 1)]
    (raw / "paper_author.txt").write_text("".join(f"{p}\t{a}\n" for p, a in pairs))
    (raw / "paper_conf.txt").write_text("".join(f"{p}\t{p % 3}\n" for p in range(10)))
    labels = "".join(f"author_{i} {i % 8 + 1}\n" for i in range(17))
    (raw / "label" / "googlescholar.8area.author.label.txt").write_text(labels)
    (raw / "label" / "googlescholar.8area.venue.label.txt").write_text("KDD 1\nICML 2\nWWW 3\n")


def test_aminer_format(tmp_path):
    _write_aminer(tmp_path / "aminer" / "raw")
    data = load_dataset("aminer", data_dir=tmp_path)
    assert data.target == "author" and data.num_classes == 8
    sizes = {t: data[t].num_nodes for t in data.node_types}
    assert sizes == {"author": 20, "paper": 10, "venue": 3}
    assert data["paper", "written_by", "author"].num_edges == 20
    assert data["paper", "published_in", "venue"].num_edges == 10
    assert data.num_edges == 60 and "y" not in data["venue"]
    author = data["author"]
    assert int((author.y >= 0).sum()) == 17 and author.y[17:].eq(-1).all()
    assert _sizes(author) == (4, 1, 12)  # 24 / 6 / 70 % of 17 labelled authors
    other = load_dataset("aminer", data_dir=tmp_path, split_seed=1)["author"]
    assert _sizes(other) == (4, 1, 12) and not torch.equal(other.train_mask, author.train_mask)


# ---- AM and MUTAG: N-Triples + trainingSet/testSet.tsv -----------------------------------

AM = "http://purl.org/collections/nl/am/"
ORE = "http://www.openarchives.org/ore/terms/"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
SUBCLASS = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
FOAF_PERSON = "<http://xmlns.com/foaf/0.1/Person>"


def _write_rdf(d: Path, name: str, triples: list[str], train: list[str], test: list[str],
               header: str) -> None:
    d.mkdir(parents=True)
    with gzip.open(d / f"{name}_stripped.nt.gz", "wt") as f:
        f.write("".join(f"{t} .\n" for t in triples))
    for file, rows in (("trainingSet.tsv", train), ("testSet.tsv", test)):
        (d / file).write_text(header + "".join(f"{r}\n" for r in rows))


def _am(local: str) -> str:
    return f"<{AM}{local}>"


AM_TRIPLES = [
    *(f"{_am(f'proxy-{i}')} {RDF_TYPE} <{ORE}Proxy>" for i in range(1, 5)),  # types only
    *(f"{_am(f'aggregation-{i}')} {RDF_TYPE} <{ORE}Aggregation>" for i in (1, 2)),
    f"{_am('proxy-1')} {_am('proxyIn')} {_am('aggregation-1')}",
    f"{_am('proxy-1')} {_am('proxyIn')} {_am('aggregation-1')}",  # duplicate line
    f"{_am('proxy-2')} {_am('proxyIn')} {_am('aggregation-1')}",
    f"{_am('proxy-3')} {_am('proxyIn')} {_am('aggregation-2')}",
    f"{_am('proxy-4')} {_am('proxyIn')} {_am('aggregation-2')}",
    f"{_am('proxy-1')} {_am('maker')} {_am('p-1')}",
    f"{_am('proxy-2')} {_am('maker')} {_am('p-2')}",
    f"{_am('p-1')} {RDF_TYPE} {_am('Painter')}",  # kept: both ends in the namespace
    f"{_am('Painter')} {SUBCLASS} {FOAF_PERSON}",  # lifts Painter to person
    f"{_am('p-2')} {RDF_TYPE} {FOAF_PERSON}",
    f"{_am('proxy-3')} {_am('subject')} {_am('t-1')}",
    f"{_am('proxy-1')} <http://purl.org/dc/elements/1.1/type> {_am('t-1')}",
    f"{_am('proxy-4')} {_am('dimension')} _:b1",
    f"{_am('proxy-1')} {_am('production')} _:b2",
    f"_:b2 {RDF_TYPE} <http://www.europeana.eu/schemas/edm/TimeSpan>",
    f'{_am("proxy-1")} {_am("title")} "Schilderij"@nl',  # literal: dropped
    f"{_am('proxy-1')} {_am('objectCategory')} {_am('t-2')}",  # label predicate: dropped
    f"{_am('proxy-2')} {_am('material')} {_am('t-3')}",  # label predicate: dropped
    f"{_am('proxy-3')} <http://www.w3.org/2002/07/owl#sameAs> <http://dbpedia.org/resource/X>",
]


def test_am_format(tmp_path):
    cat = lambda k: f"{AM}t-{k}"  # noqa: E731
    train = [f"{AM}proxy-{i}\t{i}\t{cat(2 + i % 2)}" for i in (1, 2, 3)]
    train.append(f"{AM}proxy-9\t9\t{cat(2)}")  # not in the graph
    _write_rdf(tmp_path / "rdf" / "am", "am", AM_TRIPLES, train, [f"{AM}proxy-4\t4\t{cat(2)}"],
               "proxy\tid\tlabel_cateogory\n")
    with pytest.warns(UserWarning, match="1 train entities"):
        data = load_dataset("am", data_dir=tmp_path)
    assert data.target == "proxy" and data.num_classes == 2
    assert {t: data[t].num_nodes for t in data.node_types} == {
        "proxy": 4, "aggregation": 2, "person": 2, "timespan": 1,
        "untyped": 3}  # t-1, _:b1, Painter
    assert data.num_edges == 2 * 11
    relations = ("proxyIn", "maker", "subject", "dimension", "production", "dc_type", "rdf_type")
    expected = {r for rel in relations for r in (rel, f"rev_{rel}")}
    assert {r for _, r, _ in data.edge_types} == expected
    assert data["proxy", "proxyIn", "aggregation"].num_edges == 4
    assert all(data[t].num_features == 0 for t in data.node_types)  # no features
    proxy = data["proxy"]
    assert _sizes(proxy) == (2, 1, 1) and int((proxy.y >= 0).sum()) == 4
    assert len(list((tmp_path / "cache").rglob("typed-v1.pt"))) == 1  # parsed once, cached


MUTAG = "http://dl-learner.org/carcinogenesis#"


def _mu(local: str) -> str:
    return f"<{MUTAG}{local}>"


OWL_CLASS = "<http://www.w3.org/2002/07/owl#Class>"
DOUBLE = "^^<http://www.w3.org/2001/XMLSchema#double>"
MUTAG_TRIPLES = [
    *(f"{_mu(f'd{i}')} {RDF_TYPE} {_mu('Compound')}" for i in (1, 2, 3)),
    f"{_mu('Compound')} {SUBCLASS} <http://www.w3.org/2002/07/owl#Thing>",
    f"{_mu('d1')} {_mu('hasAtom')} {_mu('d1_1')}",
    f"{_mu('d1')} {_mu('hasAtom')} {_mu('d1_2')}",
    f"{_mu('d1_1')} {RDF_TYPE} {_mu('Carbon-22')}",
    f"{_mu('d1_2')} {RDF_TYPE} {_mu('Hydrogen-3')}",
    f"{_mu('Carbon-22')} {SUBCLASS} {_mu('Carbon')}",
    f"{_mu('Carbon')} {SUBCLASS} {_mu('Atom')}",
    f"{_mu('Hydrogen-3')} {SUBCLASS} {_mu('Atom')}",
    *(f"{_mu(c)} {RDF_TYPE} {OWL_CLASS}" for c in ("Carbon-22", "Carbon", "Atom", "Hydrogen-3")),
    f"{_mu('d1_1')} {_mu('charge')} \"0.1\"{DOUBLE}",
    f"{_mu('d1_2')} {_mu('charge')} \"0.1\"{DOUBLE}",  # the same literal node
    f"{_mu('charge')} {RDF_TYPE} <http://www.w3.org/2002/07/owl#DatatypeProperty>",
    f"{_mu('charge')} <http://www.w3.org/2000/01/rdf-schema#domain> {_mu('Atom')}",
    f"{_mu('d2')} {_mu('hasStructure')} {_mu('amino-1')}",
    f"{_mu('amino-1')} {RDF_TYPE} {_mu('Amino')}",
    f"{_mu('Amino')} {SUBCLASS} {_mu('Structure')}",
    f"{_mu('d2')} {_mu('amesTestPositive')} \"true\"^^<http://www.w3.org/2001/XMLSchema#boolean>",
    f"{_mu('d3')} {_mu('isMutagenic')} \"true\"^^<http://www.w3.org/2001/XMLSchema#boolean>",
]


def test_mutag_format_types_by_rdf_type(tmp_path):
    rows = lambda ids: [f"{MUTAG}d{i}\t{i}.0\t{float(i % 2)}" for i in ids]  # noqa: E731
    _write_rdf(tmp_path / "rdf" / "mutag", "mutag", MUTAG_TRIPLES, rows([1, 2]), rows([3]),
               "bond\tid\tlabel_mutagenic\n")
    data = load_dataset("mutag", data_dir=tmp_path, val_share=0.5)
    # classes typed owl:Class -> class; Compound, Amino, Structure lack rdf:type -> untyped
    assert {t: data[t].num_nodes for t in data.node_types} == {
        "d": 3, "atom": 2, "structure": 1, "class": 4, "property": 1, "literal": 2, "untyped": 3}
    triples = 3 + 2 + 2 + 3 + 2 + 1 + 1 + 1 + 1 + 1  # isMutagenic and owl objects dropped
    assert data.num_edges == 2 * triples
    assert data["atom", "charge", "literal"].num_edges == 2
    assert data["property", "domain", "class"].num_edges == 1
    assert data.num_classes == 2 and _sizes(data["d"]) == (1, 1, 1)


def test_rdf_corrupt_triples_are_named(tmp_path):
    _write_rdf(tmp_path / "rdf" / "mutag", "mutag", ["<a> <b> broken"], [], [], "bond\tid\tlabel\n")
    with pytest.raises(CorruptDataError, match="mutag_stripped.nt.gz"):
        load_dataset("mutag", data_dir=tmp_path)


def test_rdf_types_beyond_seven_merge_into_other():
    sink = rdf._Sink(rdf.SPECS["mutag"])
    terms = [URIRef(f"{MUTAG}e{i}") for i in range(21)]
    sizes = [5, 4, 3, 2, 2, 1, 1, 1, 1]  # nine top classes, one holding the labelled entity
    classes = [c for c, n in enumerate(sizes) for _ in range(n)] + [None]
    for term, c in zip(terms, classes):
        if c is not None:
            sink.classes[term].add(URIRef(f"{MUTAG}C{c}"))
    types = rdf._node_types(rdf.SPECS["mutag"], sink, terms, {terms[0]})
    assert types.count("d") == 5 and types.count("untyped") == 1
    assert sorted(set(types)) == ["c1", "c2", "c3", "c4", "d", "other", "untyped"]
    assert types.count("other") == 4
