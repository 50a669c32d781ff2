"""pipelines.stores.EmbeddedIndex: generations, atomic CURRENT switch and hard-linked reader snapshots."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pipelines.stores import EmbeddedIndex


@pytest.fixture
def index(tmp_path: Path) -> EmbeddedIndex:
    return EmbeddedIndex(tmp_path / "index")


def _write_generation(index: EmbeddedIndex, text: str, manifest: dict | None = None) -> str:  # type: ignore[type-arg]
    name, path = index.begin()
    (path / "collection").mkdir(exist_ok=True)
    (path / "collection" / "points.bin").write_text(text)
    index.commit(name, manifest or {"entries": {"a": text}})
    return name


def _generations(index: EmbeddedIndex) -> list[str]:
    return sorted(p.name for p in index.index_dir.glob("gen-*"))


def test_empty_index(index: EmbeddedIndex) -> None:
    assert index.current() is None
    assert index.manifest() == {}
    snapshot = index.snapshot()
    assert snapshot.generation is None
    assert list(snapshot.path.iterdir()) == []


def test_commit_switches_current_and_removes_older_generations(index: EmbeddedIndex) -> None:
    first = _write_generation(index, "v1")
    assert first == "gen-000001"
    assert index.current() == first
    assert index.manifest() == {"entries": {"a": "v1"}}

    name, path = index.begin()
    assert name == "gen-000002"
    assert (path / "collection" / "points.bin").read_text() == "v1"  # starts as a copy of the live one
    assert index.current() == first  # not visible before commit
    index.commit(name, {"entries": {"a": "v2"}})
    assert (index.index_dir / "CURRENT").read_text() == name
    assert index.manifest() == {"entries": {"a": "v2"}}
    assert _generations(index) == [name]
    assert not list(index.index_dir.glob(".*.tmp"))  # no leftovers of the atomic write


def test_discarded_generation_is_never_visible(index: EmbeddedIndex) -> None:
    live = _write_generation(index, "v1")
    name, path = index.begin()
    (path / "collection" / "points.bin").write_text("half written")
    index.discard(name)
    assert index.current() == live
    assert _generations(index) == [live]
    snapshot = index.snapshot()
    assert (snapshot.path / "collection" / "points.bin").read_text() == "v1"


def test_uncommitted_generation_of_a_crashed_writer_is_ignored_and_cleaned(index: EmbeddedIndex) -> None:
    live = _write_generation(index, "v1")
    _, path = index.begin()
    (path / "collection" / "points.bin").write_text("crashed mid-way")
    reopened = EmbeddedIndex(index.index_dir)  # a new process
    assert reopened.current() == live
    assert (reopened.snapshot().path / "collection" / "points.bin").read_text() == "v1"
    _, fresh = reopened.begin()
    assert (fresh / "collection" / "points.bin").read_text() == "v1"  # restarted from the live generation


def test_current_pointing_at_a_missing_folder_counts_as_empty(index: EmbeddedIndex) -> None:
    index.index_dir.mkdir(parents=True)
    (index.index_dir / "CURRENT").write_text("gen-000009")
    assert index.current() is None


def test_snapshot_is_hard_linked_and_survives_later_commits(index: EmbeddedIndex) -> None:
    live = _write_generation(index, "v1")
    snapshot = index.snapshot()
    assert snapshot.generation == live
    seen = snapshot.path / "collection" / "points.bin"
    assert os.path.samefile(seen, index.index_dir / live / "collection" / "points.bin")
    assert not (snapshot.path / "manifest.json").exists()

    _write_generation(index, "v2")
    assert not (index.index_dir / live).exists()
    assert seen.read_text() == "v1"  # the reader keeps its view
    assert (index.snapshot().path / "collection" / "points.bin").read_text() == "v2"

    snapshot.close()
    assert not snapshot.path.exists()


def test_snapshot_taken_while_a_writer_commits_holds_one_whole_generation(
    index: EmbeddedIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: a writer committing while a reader hard-linked the live generation removed it under the
    reader (the reader's search failed, or it kept a partial copy until the next commit); now the new live
    generation is linked instead."""
    _write_generation(index, "v1")
    (index.index_dir / "gen-000001" / "collection" / "segment.bin").write_text("v1")
    link = os.link
    commits: list[str] = []

    def link_while_a_writer_commits(src: str, dst: str) -> None:
        if not commits:  # the writer commits after the reader's first link: gen-000001 goes
            commits.append(_write_generation(index, "v2"))
        link(src, dst)

    monkeypatch.setattr(os, "link", link_while_a_writer_commits)
    snapshot = index.snapshot()
    assert snapshot.generation == commits[0] == index.current()
    assert sorted(p.name for p in (snapshot.path / "collection").iterdir()) == ["points.bin", "segment.bin"]
    assert (snapshot.path / "collection" / "points.bin").read_text() == "v2"
    assert [p.name for p in index.readers_dir.iterdir()] == [snapshot.path.name]  # the partial one is gone


def test_manifest_read_while_a_writer_commits_is_the_new_live_one(
    index: EmbeddedIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: a reader that named the live generation just before a writer committed and removed it read
    an empty manifest (/documents and /health showed no documents for a moment)."""
    old = _write_generation(index, "v1")
    _write_generation(index, "v2")  # removes the old one
    stale = iter([old])  # what the reader saw in CURRENT just before the commit
    real_current = EmbeddedIndex.current
    monkeypatch.setattr(index, "current", lambda: next(stale, None) or real_current(index))
    assert index.manifest() == {"entries": {"a": "v2"}}
    assert index.manifest(old) == {}  # a generation asked for by name: gone is gone


def test_snapshot_removes_folders_of_dead_readers(index: EmbeddedIndex) -> None:
    _write_generation(index, "v1")
    dead = index.readers_dir / "999999999-deadbeef"
    dead.mkdir(parents=True)
    mine = index.snapshot()
    assert not dead.exists()
    assert mine.path.name.startswith(f"{os.getpid()}-")


def test_only_one_writer(tmp_path: Path) -> None:
    from config.settings import load_settings
    from ingest.runner import IndexBusyError, writer_lock

    settings = load_settings("test", data_dir=tmp_path / "data")
    lock = writer_lock(settings)
    try:
        with pytest.raises(IndexBusyError, match="Another ingest or reindex is running"):
            writer_lock(settings)
    finally:
        lock.release()
    writer_lock(settings).release()  # free again once the first writer is done


# -- server collection settings and payload indexes (no server needed: the store connects lazily) ---------


def test_scale_settings_reach_the_server_store_and_not_the_embedded_one(tmp_path: Path) -> None:
    from config.settings import load_settings
    from pipelines.stores import create_document_store

    store = load_settings(
        "test",
        store={
            "url": "http://qdrant:6333",
            "on_disk": True,
            "quantization": "scalar",
            "hnsw_m": 32,
            "hnsw_ef_construct": 256,
            "shard_number": 3,
            "replication_factor": 2,
            "write_consistency_factor": 2,
        },
    ).store
    server = create_document_store(load_settings("test", store=store.model_dump()))
    assert server.on_disk is True and server.on_disk_payload is True
    assert server.hnsw_config == {"m": 32, "ef_construct": 256}
    assert server.quantization_config == {"scalar": {"type": "int8", "quantile": 0.99, "always_ram": True}}
    assert (server.shard_number, server.replication_factor, server.write_consistency_factor) == (3, 2, 2)
    assert {i["field_name"]: i["field_schema"] for i in server.payload_fields_to_index or []}[
        "meta.date"
    ] == ("datetime")

    from pipelines.edge import EdgeDocumentStore

    embedded = create_document_store(
        load_settings("test", store={**store.model_dump(), "url": None}), tmp_path
    )
    # the embedded store is Qdrant's engine too: it takes the graph settings and the same payload indexes (those
    # of the role filter held in RAM); its storage tiers and quantization are its own, not the server's
    assert isinstance(embedded, EdgeDocumentStore)
    assert (embedded.hnsw_m, embedded.hnsw_ef_construct) == (32, 256)

    def kinds(indexes: list[dict[str, Any]] | None) -> dict[str, str]:
        return {
            i["field_name"]: i["field_schema"]
            if isinstance(i["field_schema"], str)
            else i["field_schema"]["type"]
            for i in indexes or []
        }

    assert kinds(embedded.payload_fields_to_index) == kinds(server.payload_fields_to_index)
    assert (embedded.on_disk, embedded.quantization) == (True, "int8")
    assert not embedded.read_only


@pytest.mark.parametrize(
    ("quantization", "config"),
    [("none", None), ("scalar", {"scalar": {"type": "int8", "quantile": 0.99, "always_ram": True}})]
    + [("binary", {"binary": {"always_ram": True}})],
)
def test_quantization_choices_are_valid_qdrant_configs(quantization: str, config: object) -> None:
    from pydantic import TypeAdapter
    from qdrant_client.http import models

    from config.settings import load_settings
    from pipelines.stores import collection_settings

    params = collection_settings(load_settings("test", store={"quantization": quantization}))
    assert params["quantization_config"] == config
    models.CreateCollection(
        vectors=models.VectorParams(size=384, distance=models.Distance.COSINE),
        hnsw_config=params["hnsw_config"],
        quantization_config=config and TypeAdapter(models.QuantizationConfig).validate_python(config),
    )


def test_every_filter_auskunft_sends_is_served_by_a_payload_index() -> None:
    """The filters of search (all choices, every role), retention and re-indexing, checked with Qdrant's rules
    for which index serves which condition (as a server in strict mode checks them, see the stand-in)."""
    import datetime

    from haystack_integrations.document_stores.qdrant.filters import convert_filters_to_qdrant

    from config.settings import RetentionRule
    from ingest.retention import rule_filter
    from ingest.runner import old_chunks_filter
    from pipelines.filters import build_filters
    from pipelines.stores import PAYLOAD_INDEXES
    from tests.integration.qdrant_standin import unindexed_fields

    indexes = {f"meta.{name}": kind for name, kind in PAYLOAD_INDEXES.items()}
    choices = {"doc_type": "Satzung", "municipality": "Konstanz", "body": "Gemeinderat"}
    filters = [
        build_filters(**choices, since="2024-01-01", until="2024-12-31", role=role, default_level=level)
        for role in ("desk", "staff", "admin")
        for level in ("public", "internal", "confidential")
    ]
    filters.append(
        rule_filter(
            RetentionRule(doc_type="Einladung", max_age_years=2, municipality="X"), datetime.date(2025, 1, 1)
        )
    )
    filters.append(
        old_chunks_filter("/srv/a.pdf", "abc", masked=True, indexed_with="v2")
    )  # ingest: a changed file's old chunks
    filters.append({"field": "meta.source_id", "operator": "==", "value": "/srv/a.pdf"})  # forget, relabel
    for haystack_filter in filters:
        assert unindexed_fields(convert_filters_to_qdrant(haystack_filter), indexes) == {}, haystack_filter
    # the check itself: a date range on a keyword index is not served
    old = {**indexes, "meta.date": "keyword"}
    assert unindexed_fields(convert_filters_to_qdrant(build_filters(since="2024-01-01")), old) == {
        "meta.date": ["datetime"]
    }


def test_current_reads_again_when_a_commit_removed_the_generation_just_named(
    index: EmbeddedIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/health saw no index for a moment while a re-index committed (benchmarks/load.py)."""
    _write_generation(index, "v1")
    live = _write_generation(index, "v2")
    pointer = index.index_dir / "CURRENT"
    answers = iter(["gen-000001", live])  # the first read names the generation the commit then removed
    real_read_text = Path.read_text

    def read_text(self: Path, *args: object, **kwargs: object) -> str:
        if self == pointer:
            return next(answers, live)
        return real_read_text(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", read_text)
    assert index.current() == live


def test_current_is_none_when_current_names_a_missing_folder(index: EmbeddedIndex) -> None:
    index.index_dir.mkdir(parents=True)
    (index.index_dir / "CURRENT").write_text("gen-000009")
    assert index.current() is None


# -- Qdrant Edge generations: readers' snapshots, old indexes ------------------------------------------------------


def _edge_generation(index: EmbeddedIndex, n: int = 1200) -> str:
    """A committed generation written as ingestion writes it: a graph segment and an appendable one."""
    import random

    from haystack import Document
    from haystack.dataclasses import SparseEmbedding

    from config.settings import load_settings
    from pipelines.stores import create_document_store, finish_document_store

    settings = load_settings("test", store={"embedded_graph_from": 500})
    rng = random.Random(3)
    name, path = index.begin()
    store = create_document_store(settings, path=path, keywords=True)
    docs = [
        Document(
            id=f"d{i}",
            content=f"Satzung {i}",
            embedding=[rng.uniform(-1, 1) for _ in range(384)],
            sparse_embedding=SparseEmbedding(indices=[i % 50, 50 + i % 7], values=[1.0, 0.5]),
            meta={
                "access": "public" if i % 2 else "internal",
                "public": bool(i % 2),
                "source_id": f"s{i % 9}",
            },
        )
        for i in range(n)
    ]
    store.write_documents(docs[: n - 100])
    finish_document_store(store)  # optimized: a segment with a graph
    store = create_document_store(settings, path=path, keywords=True)
    store.write_documents(docs[n - 100 :])  # an appendable segment besides it
    store.delete_by_filter({"field": "meta.source_id", "operator": "==", "value": "s3"})
    store.flush()
    store.close()
    index.commit(name, {"entries": {}})
    return name


def test_a_reader_never_writes_into_the_committed_generation(index: EmbeddedIndex) -> None:
    """The engine rewrites some files in place when it opens and closes a shard; a reader's snapshot holds
    private copies of exactly those (WRITTEN_IN_PLACE) and hard links to everything else, so the linked
    files of the committed generation stay as they were, byte for byte and untouched."""
    from config.settings import load_settings
    from pipelines.edge import EdgeDocumentStore
    from pipelines.stores import create_document_store, written_in_place

    live = _edge_generation(index)
    folder = index.index_dir / live
    before = {f: (f.stat().st_mtime_ns, f.read_bytes()) for f in folder.rglob("*") if f.is_file()}
    assert any("vector_index-text-dense" in str(f) for f in before), "no graph segment was built"
    snapshot = index.snapshot()
    store = create_document_store(load_settings("test"), path=snapshot.path, keywords=True)
    assert isinstance(store, EdgeDocumentStore) and store.read_only
    hits = store.hybrid_retrieval(
        [0.1] * 384, _sparse(), filters={"field": "meta.public", "operator": "==", "value": True}
    )
    assert hits and all(d.meta["public"] for d in hits)
    assert store.count_documents() == 1200 - 1200 // 9 - (1 if 1200 % 9 > 3 else 0)
    store.close()
    after = {f: (f.stat().st_mtime_ns, f.read_bytes()) for f in folder.rglob("*") if f.is_file()}
    assert [str(f.relative_to(folder)) for f in before if after.get(f) != before[f]] == []
    linked = [f for f in snapshot.path.rglob("*") if f.is_file() and f.stat().st_nlink > 1]
    assert linked and not any(written_in_place(f) for f in linked)
    snapshot.close()


def _sparse() -> object:
    from haystack.dataclasses import SparseEmbedding

    return SparseEmbedding(indices=[1, 51], values=[1.0, 1.0])


def test_an_index_of_the_old_local_mode_is_refused_with_one_line_and_converted_by_a_writer(
    index: EmbeddedIndex,
) -> None:
    from haystack import Document
    from haystack.dataclasses import SparseEmbedding
    from haystack_integrations.document_stores.qdrant import QdrantDocumentStore

    from config.settings import load_settings
    from pipelines.stores import StoreError, create_document_store, upgrade_generation

    settings = load_settings("test")
    name, path = index.begin()
    old = QdrantDocumentStore(
        path=str(path),
        index=settings.store.collection,
        embedding_dim=384,
        use_sparse_embeddings=True,
        sparse_idf=True,
        progress_bar=False,
    )
    docs = [
        Document(
            id=f"d{i}",
            content=f"Satzung {i}",
            embedding=[float(i + 1)] + [0.0] * 383,
            sparse_embedding=SparseEmbedding(indices=[i], values=[1.0]),
            meta={"n": i},
        )
        for i in range(5)
    ]
    old.write_documents(docs)
    old.close()
    index.commit(name, {"entries": {}})
    snapshot = index.snapshot()
    with pytest.raises(StoreError, match=r"older Auskunft .* run `auskunft reindex` once"):
        create_document_store(settings, path=snapshot.path, keywords=True)
    snapshot.close()

    name, path = index.begin()
    assert upgrade_generation(settings, path) == 5
    assert sorted(p.name for p in path.iterdir() if p.name != "manifest.json")[0] == "edge_config.json"
    store = create_document_store(settings, path=path, keywords=True)
    got = {d.id: d for d in store.filter_documents()}
    assert set(got) == {d.id for d in docs}
    assert got["d2"].meta == {"n": 2} and got["d2"].sparse_embedding.indices == [2]
    store.close()
    assert upgrade_generation(settings, path) == 0  # already an Edge shard
