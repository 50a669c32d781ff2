"""pipelines.edge: the Qdrant Edge document store passes Haystack's own document-store test suites, stores points
as qdrant-haystack does, and its retrievers give qdrant-client's engine's results (same ids, scores, order)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from haystack import Document, Pipeline
from haystack.dataclasses import SparseEmbedding
from haystack.document_stores.errors import DuplicateDocumentError
from haystack.document_stores.types import DuplicatePolicy
from haystack.testing.document_store import (
    CountDocumentsByFilterTest,
    CountUniqueMetadataByFilterTest,
    DocumentStoreBaseExtendedTests,
    GetMetadataFieldMinMaxTest,
    GetMetadataFieldsInfoTest,
    GetMetadataFieldUniqueValuesTest,
)
from haystack.utils.filters import FilterError

from pipelines.edge import (
    EdgeDocumentStore,
    EdgeEmbeddingRetriever,
    EdgeHybridRetriever,
    EdgeSparseEmbeddingRetriever,
    EdgeStoreError,
)
from pipelines.edge.document_store import reciprocal_rank_fusion


@pytest.fixture
def edge_store(tmp_path: Path) -> Iterator[EdgeDocumentStore]:
    store = EdgeDocumentStore(path=str(tmp_path / "shard"), embedding_dim=768)
    yield store
    store.close()


class TestHaystackSuites(
    DocumentStoreBaseExtendedTests,
    CountDocumentsByFilterTest,
    CountUniqueMetadataByFilterTest,
    GetMetadataFieldsInfoTest,
    GetMetadataFieldMinMaxTest,
    GetMetadataFieldUniqueValuesTest,
):
    """Haystack's ``haystack.testing.document_store`` suites, with the overrides qdrant-haystack's own test suite
    makes for Qdrant (a filter on ``None`` is a FilterError; scores are set, so documents compare by id)."""

    @pytest.fixture
    def document_store(self, edge_store: EdgeDocumentStore) -> EdgeDocumentStore:
        return edge_store

    @staticmethod
    def assert_documents_are_equal(received: list[Document], expected: list[Document]) -> None:
        assert len(received) == len(expected)
        assert {d.id for d in received} == {d.id for d in expected}

    def test_write_documents(self, document_store: EdgeDocumentStore) -> None:
        docs = [Document(id="1")]
        assert document_store.write_documents(docs) == 1
        with pytest.raises(DuplicateDocumentError):
            document_store.write_documents(docs, DuplicatePolicy.FAIL)
        with pytest.raises(DuplicateDocumentError):  # the default policy refuses a duplicate too
            document_store.write_documents(docs)

    def test_not_operator(self, document_store: EdgeDocumentStore, filterable_docs: list[Document]) -> None:
        # Qdrant's must_not: NOT(a, b) = neither a nor b (qdrant-haystack's reading of Haystack's NOT)
        document_store.write_documents(filterable_docs)
        result = document_store.filter_documents(
            filters={
                "operator": "NOT",
                "conditions": [
                    {"field": "meta.number", "operator": "==", "value": 100},
                    {"field": "meta.name", "operator": "==", "value": "name_0"},
                ],
            }
        )
        self.assert_documents_are_equal(
            result,
            [d for d in filterable_docs if d.meta.get("number") != 100 and d.meta.get("name") != "name_0"],
        )

    @pytest.mark.parametrize("operator", ["==", "!=", ">", ">=", "<", "<="])
    def test_comparison_with_none_is_a_filter_error(
        self, document_store: EdgeDocumentStore, filterable_docs: list[Document], operator: str
    ) -> None:
        document_store.write_documents(filterable_docs)
        with pytest.raises(FilterError):
            document_store.filter_documents(
                filters={"field": "meta.number", "operator": operator, "value": None}
            )

    # Haystack's versions of the None comparisons expect matches; Qdrant (and qdrant-haystack) refuse them,
    # which the parametrized test above checks for every operator
    def test_comparison_equal_with_none(
        self, document_store: EdgeDocumentStore, filterable_docs: Any
    ) -> None:
        self.test_comparison_with_none_is_a_filter_error(document_store, filterable_docs, "==")

    def test_comparison_not_equal_with_none(
        self, document_store: EdgeDocumentStore, filterable_docs: Any
    ) -> None:
        self.test_comparison_with_none_is_a_filter_error(document_store, filterable_docs, "!=")

    def test_comparison_greater_than_with_none(
        self, document_store: EdgeDocumentStore, filterable_docs: Any
    ) -> None:
        self.test_comparison_with_none_is_a_filter_error(document_store, filterable_docs, ">")

    def test_comparison_greater_than_equal_with_none(
        self, document_store: EdgeDocumentStore, filterable_docs: Any
    ) -> None:
        self.test_comparison_with_none_is_a_filter_error(document_store, filterable_docs, ">=")

    def test_comparison_less_than_with_none(
        self, document_store: EdgeDocumentStore, filterable_docs: Any
    ) -> None:
        self.test_comparison_with_none_is_a_filter_error(document_store, filterable_docs, "<")

    def test_comparison_less_than_equal_with_none(
        self, document_store: EdgeDocumentStore, filterable_docs: Any
    ) -> None:
        self.test_comparison_with_none_is_a_filter_error(document_store, filterable_docs, "<=")

    def test_missing_top_level_operator_key(
        self, document_store: EdgeDocumentStore, filterable_docs: Any
    ) -> None:
        # Haystack expects a FilterError; qdrant-haystack (and so this store) raises ValueError: still refused
        document_store.write_documents(filterable_docs)
        with pytest.raises((FilterError, ValueError)):
            document_store.filter_documents(
                filters={"conditions": [{"field": "meta.name", "operator": "==", "value": "test"}]}
            )


# -- qdrant-haystack's layout and results ---------------------------------------------------------------------
def _docs(n: int, dim: int = 8, seed: int = 1) -> list[Document]:
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        terms = sorted(rng.sample(range(40), 5))
        docs.append(
            Document(
                id=f"doc-{i}",
                content=f"Satzung {i}",
                embedding=[rng.uniform(-1, 1) for _ in range(dim)],
                sparse_embedding=SparseEmbedding(indices=terms, values=[rng.uniform(0.1, 2) for _ in terms]),
                meta={
                    "access": ["public", "internal", "confidential"][i % 3],
                    "public": i % 4 != 0,
                    "date": f"2024-0{1 + i % 9}-1{i % 10}",
                    "n": i,
                },
            )
        )
    return docs


def _stores(tmp_path: Path, docs: list[Document]) -> tuple[EdgeDocumentStore, Any]:
    from haystack_integrations.document_stores.qdrant import QdrantDocumentStore

    common: dict[str, Any] = {"embedding_dim": 8, "use_sparse_embeddings": True, "sparse_idf": True}
    edge = EdgeDocumentStore(path=str(tmp_path / "edge"), **common)
    local = QdrantDocumentStore(location=":memory:", progress_bar=False, **common)
    edge.write_documents(docs)
    local.write_documents(docs)
    return edge, local


FILTERS: list[dict[str, Any] | None] = [
    None,
    {"field": "meta.access", "operator": "in", "value": ["public", "internal"]},
    {"field": "meta.public", "operator": "!=", "value": False},  # every role filter has it (a bool match)
    {
        "operator": "AND",
        "conditions": [
            {"field": "meta.date", "operator": ">=", "value": "2024-03-01"},
            {"field": "meta.public", "operator": "==", "value": True},
        ],
    },
]


@pytest.mark.parametrize("filters", FILTERS)
def test_retrieval_gives_qdrant_clients_results(tmp_path: Path, filters: dict[str, Any] | None) -> None:
    """Dense, keyword and hybrid (RRF) retrieval with filters: the same documents, scores and order as
    QdrantDocumentStore on qdrant-client's engine (what a Qdrant server returns with exact search)."""
    from haystack_integrations.components.retrievers.qdrant import (
        QdrantEmbeddingRetriever,
        QdrantHybridRetriever,
        QdrantSparseEmbeddingRetriever,
    )

    docs = _docs(60)
    edge, local = _stores(tmp_path, docs)
    query = _docs(1, seed=99)[0]
    assert query.embedding is not None and query.sparse_embedding is not None
    pairs: list[tuple[Any, Any, dict[str, Any]]] = [
        (EdgeEmbeddingRetriever(edge, top_k=7), QdrantEmbeddingRetriever(local, top_k=7), {}),
        (EdgeSparseEmbeddingRetriever(edge, top_k=7), QdrantSparseEmbeddingRetriever(local, top_k=7), {}),
        (EdgeHybridRetriever(edge, top_k=12), QdrantHybridRetriever(local, top_k=12), {}),
    ]
    for ours, theirs, _ in pairs:
        inputs: dict[str, Any] = {"filters": filters}
        if "query_embedding" in ours.__haystack_input__._sockets_dict:
            inputs["query_embedding"] = query.embedding
        if "query_sparse_embedding" in ours.__haystack_input__._sockets_dict:
            inputs["query_sparse_embedding"] = query.sparse_embedding
        got = ours.run(**inputs)["documents"]
        want = theirs.run(**inputs)["documents"]
        assert got, (type(ours).__name__, filters)
        assert [d.score for d in got] == pytest.approx([d.score for d in want], abs=1e-5), type(ours).__name__
        # equal scores (RRF gives many) may come in another order; the last tie may be cut differently
        assert _ties(got)[:-1] == _ties(want)[:-1], type(ours).__name__
        theirs_meta = {d.id: d.meta for d in want}
        assert all(d.meta == theirs_meta[d.id] for d in got if d.id in theirs_meta)
    edge.close()


def test_hybrid_ties_are_ordered_by_dense_rank_in_every_process(tmp_path: Path) -> None:
    """Regression: the engine's own RRF ordered documents of equal fused score (ranks 1 and 3 against 3 and 1)
    differently from one process to the next, so the same question ranked another statute first. Equal fused
    scores now go to the better dense rank, then the better keyword rank."""
    docs = _docs(60)
    edge, _ = _stores(tmp_path, docs)
    query = _docs(1, seed=99)[0]
    assert query.embedding is not None and query.sparse_embedding is not None
    dense = [d.id for d in edge.embedding_retrieval(query.embedding, top_k=10)]
    keyword = [d.id for d in edge.sparse_embedding_retrieval(query.sparse_embedding, top_k=10)]
    hybrid = edge.hybrid_retrieval(query.embedding, query.sparse_embedding, top_k=20)
    edge.close()
    rank = {"dense": {i: r for r, i in enumerate(dense)}, "keyword": {i: r for r, i in enumerate(keyword)}}
    key = [(rank["dense"].get(d.id, 10), rank["keyword"].get(d.id, 10)) for d in hybrid]
    ties = [(key[i], key[i + 1]) for i in range(len(hybrid) - 1) if hybrid[i].score == hybrid[i + 1].score]
    assert ties, "the query should give equal fused scores"
    assert all(a < b for a, b in ties), ties
    assert [d.score for d in hybrid] == sorted((d.score for d in hybrid), reverse=True)


def test_reciprocal_rank_fusion_uses_qdrants_formula() -> None:
    fused = reciprocal_rank_fusion(["a", "b", "c"], ["c", "d", "a"])
    assert fused == [("a", 1 / 2 + 1 / 4), ("c", 1 / 4 + 1 / 2), ("b", 1 / 3), ("d", 1 / 3)]


def _ties(docs: list[Document]) -> list[set[str]]:
    groups: dict[float, set[str]] = {}
    for doc in docs:
        groups.setdefault(round(doc.score or 0.0, 5), set()).add(doc.id)
    return list(groups.values())


def test_points_are_stored_as_qdrant_haystack_stores_them(tmp_path: Path) -> None:
    """Same point ids, vector names and payload as QdrantDocumentStore: an index moves to a server unchanged."""
    from haystack_integrations.document_stores.qdrant.converters import (
        convert_haystack_documents_to_qdrant_points,
    )

    docs = _docs(5)
    edge, _ = _stores(tmp_path, docs)
    want = {
        str(p.id): p for p in convert_haystack_documents_to_qdrant_points(docs, use_sparse_embeddings=True)
    }
    records = edge.shard.retrieve(list(want), True, True)
    assert len(records) == 5
    for record in records:
        point = want[str(record.id).replace("-", "")]
        assert record.payload == point.payload
        assert set(record.vector) == {"text-dense", "text-sparse"}
        assert list(record.vector["text-sparse"].indices) == point.vector["text-sparse"].indices
    edge.close()


def test_bool_filters_match_stored_bools(tmp_path: Path) -> None:
    """Regression: qdrant-edge-py 0.9.0 reads a Python bool in MatchValue as an integer, so a filter on
    ``meta.public`` matched nothing (every role filter of the desk has one)."""
    edge, _ = _stores(tmp_path, _docs(12))
    assert edge.count_documents_by_filter({"field": "meta.public", "operator": "==", "value": True}) == 9
    assert edge.count_documents_by_filter({"field": "meta.public", "operator": "==", "value": False}) == 3
    assert edge.count_documents_by_filter({"field": "meta.public", "operator": "!=", "value": False}) == 9
    edge.close()


PARITY_FILTERS: list[dict[str, Any]] = [
    *[f for f in FILTERS if f],
    {"field": "meta.access", "operator": "not in", "value": ["confidential"]},
    {"field": "meta.n", "operator": "==", "value": 3},
    {"field": "meta.n", "operator": ">", "value": 2.5},
    {"field": "meta.n", "operator": "<=", "value": True},
    {"field": "meta.date", "operator": "<", "value": "2024-05-16T10:00:00+02:00"},
    {"field": "meta.name", "operator": ">=", "value": "2024-01-01"},
    {
        "operator": "OR",
        "conditions": [
            {"operator": "NOT", "conditions": [{"field": "meta.public", "operator": "==", "value": True}]},
            {
                "operator": "AND",
                "conditions": [
                    {"field": "meta.access", "operator": "in", "value": ["public"]},
                    {"field": "meta.n", "operator": "!=", "value": 4},
                ],
            },
        ],
    },
]


@pytest.mark.parametrize("filters", PARITY_FILTERS)
def test_filters_convert_as_qdrant_haystack_converts_them(filters: dict[str, Any]) -> None:
    """The native conversion (no qdrant-client import on a reader's path) builds exactly the filter that
    qdrant-haystack's ``convert_filters_to_qdrant`` builds for a Qdrant server, rebuilt with the engine's classes."""
    from haystack_integrations.document_stores.qdrant.filters import convert_filters_to_qdrant

    from pipelines.edge.filters import to_edge_filter

    assert repr(to_edge_filter(filters)) == repr(to_edge_filter(convert_filters_to_qdrant(filters)))


@pytest.mark.parametrize(
    "filters",
    [
        {"field": "meta.n", "operator": "==", "value": 1.5},
        {"field": "meta.n", "operator": "in", "value": [[1]]},
        {"field": "meta.n", "operator": ">", "value": "soon"},
        {"field": "meta.n", "operator": "~", "value": 1},
        {"operator": "AND", "conditions": []},
    ],
)
def test_filters_qdrant_cannot_match_are_refused(filters: dict[str, Any]) -> None:
    from pipelines.edge.filters import to_edge_filter

    with pytest.raises((FilterError, ValueError)):
        to_edge_filter(filters)


def test_point_ids_are_qdrant_haystacks() -> None:
    from haystack_integrations.document_stores.qdrant.converters import convert_id as theirs

    from pipelines.edge.document_store import convert_id

    for doc_id in ("a", "ü" * 40, Document(content="x").id):
        assert convert_id(doc_id) == theirs(doc_id)


def test_a_reader_does_not_import_qdrant_client(tmp_path: Path) -> None:
    """Searching with a role filter and listing towns (what a reader does) needs no qdrant-client: importing it
    costs a reader's first search about a second."""
    import subprocess
    import sys
    import textwrap

    store = EdgeDocumentStore(
        path=str(tmp_path / "s"),
        embedding_dim=8,
        use_sparse_embeddings=True,
        payload_fields_to_index=[{"field_name": "meta.municipality", "field_schema": "keyword"}],
    )
    store.write_documents([replace_meta(d, municipality="Bühl") for d in _docs(6)])
    store.close()
    query = _docs(1, seed=5)[0]
    script = textwrap.dedent(
        f"""
        import sys
        from haystack.dataclasses import SparseEmbedding
        from pipelines.edge import EdgeDocumentStore
        from pipelines.filters import build_filters
        store = EdgeDocumentStore(path={str(tmp_path / "s")!r}, embedding_dim=8, use_sparse_embeddings=True,
            payload_fields_to_index=[{{"field_name": "meta.municipality", "field_schema": "keyword"}}], read_only=True)
        filters = build_filters(role="staff", default_level="internal")
        sparse = SparseEmbedding(indices={query.sparse_embedding.indices!r}, values={query.sparse_embedding.values!r})
        assert store.hybrid_retrieval({query.embedding!r}, sparse, filters=filters, top_k=3)
        assert store.get_metadata_field_unique_values("municipality")[0] == ["Bühl"]
        print(sorted(m for m in sys.modules if m.startswith(("qdrant_client", "haystack_integrations"))))
        """
    )
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def replace_meta(doc: Document, **meta: Any) -> Document:
    return Document(
        id=doc.id,
        content=doc.content,
        embedding=doc.embedding,
        sparse_embedding=doc.sparse_embedding,
        meta={**doc.meta, **meta},
    )


def test_a_writer_brings_an_older_shard_to_the_storage_settings(tmp_path: Path) -> None:
    """A shard written with Qdrant's default tiers and no quantization (the first Edge indexes) is rebuilt by the
    next writer: segments memory-mapped with an int8 copy, payload indexes in the tier asked for."""
    import json

    import qdrant_edge as edge

    indexes: list[dict[str, Any]] = [
        {"field_name": "meta.access", "field_schema": "keyword"},
        {"field_name": "meta.date", "field_schema": "datetime"},
    ]
    old = EdgeDocumentStore(
        path=str(tmp_path / "s"),
        embedding_dim=8,
        use_sparse_embeddings=True,
        payload_fields_to_index=indexes,
        graph_from=1000,
    )
    old.write_documents(_docs(40))
    old.optimize()
    old.close()
    indexes[0] = {"field_name": "meta.access", "field_schema": {"type": "keyword", "memory": "pinned"}}
    new = EdgeDocumentStore(
        path=str(tmp_path / "s"),
        embedding_dim=8,
        use_sparse_embeddings=True,
        payload_fields_to_index=indexes,
        on_disk=True,
        quantization="int8",
        graph_from=20,  # past it: the segments are rebuilt with a graph, from the smallest size on
    )
    schema = new.shard.info().payload_schema
    assert schema["meta.access"].params.memory == edge.Memory.Pinned
    assert schema["meta.date"].params.memory == edge.Memory.Cold
    new.optimize()
    new.flush()
    configs = [
        json.loads(f.read_text())["config"] for f in (tmp_path / "s" / "segments").glob("*/segment.json")
    ]
    dense = [
        c["vector_data"]["text-dense"]
        for c in configs
        if c["vector_data"]["text-dense"]["index"]["type"] == "hnsw"
    ]
    assert dense and all(d["quantization_config"]["scalar"]["type"] == "int8" for d in dense)
    assert all("Mmap" in d["storage_type"] and "InRam" not in d["storage_type"] for d in dense)
    assert new.count_documents() == 40
    query = _docs(1, seed=99)[0]
    assert query.embedding is not None
    assert len(new.embedding_retrieval(query.embedding, top_k=5)) == 5
    new.close()


def test_update_and_delete_by_filter_keep_vectors(tmp_path: Path) -> None:
    edge, _ = _stores(tmp_path, _docs(9))
    assert (
        edge.update_by_filter({"field": "meta.access", "operator": "==", "value": "public"}, {"access": "x"})
        == 3
    )
    changed = edge.filter_documents({"field": "meta.access", "operator": "==", "value": "x"})
    assert len(changed) == 3 and all(d.embedding and d.sparse_embedding for d in changed)
    assert all(d.meta["n"] % 3 == 0 for d in changed)  # the rest of the metadata is kept
    assert edge.delete_by_filter({"field": "meta.access", "operator": "==", "value": "x"}) == 3
    assert edge.count_documents() == 6
    edge.close()


def test_unique_values_from_a_keyword_index_equal_a_scan(tmp_path: Path) -> None:
    docs = _docs(30)
    indexed = EdgeDocumentStore(
        path=str(tmp_path / "indexed"),
        embedding_dim=8,
        payload_fields_to_index=[{"field_name": "meta.access", "field_schema": "keyword"}],
    )
    plain = EdgeDocumentStore(path=str(tmp_path / "plain"), embedding_dim=8)
    for store in (indexed, plain):
        store.write_documents(docs)
    public = {"field": "meta.public", "operator": "==", "value": True}
    assert indexed._keyword_indexed("meta.access") and not plain._keyword_indexed("meta.access")
    for kwargs in ({}, {"filters": public}, {"search_term": "IC", "size": 1}):
        assert indexed.get_metadata_field_unique_values("access", **kwargs) == (
            plain.get_metadata_field_unique_values("access", **kwargs)
        )
    indexed.close()
    plain.close()


def test_a_closed_store_reopens_from_disk_with_its_documents(tmp_path: Path) -> None:
    store = EdgeDocumentStore(path=str(tmp_path / "s"), embedding_dim=8, use_sparse_embeddings=True)
    store.write_documents(_docs(4))
    store.close()
    reader = EdgeDocumentStore(
        path=str(tmp_path / "s"), embedding_dim=8, use_sparse_embeddings=True, read_only=True
    )
    assert reader.count_documents() == 4
    with pytest.raises(EdgeStoreError, match="read-only"):
        reader.delete_documents(["doc-1"])
    reader.close()
    with pytest.raises(EdgeStoreError, match="no index"):
        EdgeDocumentStore(path=str(tmp_path / "none"), read_only=True).count_documents()
    dense_only = EdgeDocumentStore(path=str(tmp_path / "d"), embedding_dim=8)
    dense_only.write_documents(_docs(1))
    dense_only.close()
    with pytest.raises(EdgeStoreError, match="no keyword vectors"):
        EdgeDocumentStore(
            path=str(tmp_path / "d"), embedding_dim=8, use_sparse_embeddings=True
        ).count_documents()


class TestRetrieverComponents:
    """Each retriever: a save-and-reload round trip and a real run in a pipeline."""

    @pytest.mark.parametrize(
        "cls", [EdgeEmbeddingRetriever, EdgeSparseEmbeddingRetriever, EdgeHybridRetriever]
    )
    def test_round_trip(self, tmp_path: Path, cls: Any) -> None:
        store = EdgeDocumentStore(path=str(tmp_path / "s"), embedding_dim=8, use_sparse_embeddings=True)
        retriever = cls(
            document_store=store, top_k=3, filters={"field": "meta.n", "operator": ">", "value": 1}
        )
        again = cls.from_dict(retriever.to_dict())
        assert again.to_dict() == retriever.to_dict()
        assert again.document_store.path == store.path and again.top_k == 3

    def test_run_in_a_pipeline(self, tmp_path: Path) -> None:
        edge, _ = _stores(tmp_path, _docs(20))
        pipeline = Pipeline()
        pipeline.add_component("retriever", EdgeHybridRetriever(edge, top_k=4, return_embedding=True))
        query = _docs(1, seed=5)[0]
        result = pipeline.run(
            {
                "retriever": {
                    "query_embedding": query.embedding,
                    "query_sparse_embedding": query.sparse_embedding,
                    "filters": {"field": "meta.access", "operator": "==", "value": "public"},
                }
            }
        )
        docs = result["retriever"]["documents"]
        assert 0 < len(docs) <= 4 and all(d.meta["access"] == "public" and d.embedding for d in docs)
        assert all(d.score is not None for d in docs)
        edge.close()
