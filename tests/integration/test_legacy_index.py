"""An index written by an older Auskunft (qdrant-client's local mode) is refused by readers with one line that
says what to do, and `auskunft reindex` converts it to the Qdrant Edge store without embedding anything again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from haystack import Document
from haystack.dataclasses import SparseEmbedding

from config.settings import load_settings
from pipelines.embedders import embedder_id
from pipelines.stores import EmbeddedIndex, create_document_store, is_legacy
from tests.ui.test_cli import auskunft

pytestmark = [pytest.mark.integration, pytest.mark.ui]


def _legacy_index(data_dir: Path) -> list[Document]:
    """What Auskunft before the Edge store left in <data_dir>/index: a generation of local-mode files."""
    from haystack_integrations.document_stores.qdrant import QdrantDocumentStore

    settings = load_settings("test", data_dir=data_dir)
    index = EmbeddedIndex(settings.index_dir)
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
            id=f"chunk-{i}",
            content=f"Die Hundesteuer beträgt {100 + i} Euro im Jahr.",
            embedding=[1.0 if j == i else 0.01 for j in range(384)],
            sparse_embedding=SparseEmbedding(indices=[i, 500], values=[1.0, 0.5]),
            meta={"source": f"/srv/satzung-{i}.md", "source_id": f"/srv/satzung-{i}.md", "access": "public"},
        )
        for i in range(6)
    ]
    old.write_documents(docs)
    old.close()
    entries = {d.meta["source_id"]: {"source": d.meta["source"], "checksum": "x", "chunks": 1} for d in docs}
    index.commit(name, {"entries": entries, "embedder": embedder_id(settings), "roots": []})
    assert is_legacy(settings.index_dir / name)
    return docs


def test_reindex_converts_an_index_of_the_old_embedded_store(hermetic_env: Path) -> None:
    docs = _legacy_index(hermetic_env)

    refused = auskunft("search", "Hundesteuer")
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "older Auskunft" in lines[0] and "run `auskunft reindex` once" in lines[0]

    converted = auskunft("reindex")
    assert converted.returncode == 0, converted.stderr
    assert "the index of an older Auskunft was converted (6 chunks, none embedded again)" in converted.stdout

    settings = load_settings("test", data_dir=hermetic_env)
    index = EmbeddedIndex(settings.index_dir)
    live = settings.index_dir / str(index.current())
    assert not is_legacy(live) and (live / "edge_config.json").exists()
    assert len(list(settings.index_dir.glob("gen-*"))) == 1
    store = create_document_store(settings, path=live, keywords=True)
    stored = {d.id: d for d in store.filter_documents()}
    store.close()
    assert set(stored) == {d.id for d in docs}
    assert all(stored[d.id].content == d.content and stored[d.id].meta == d.meta for d in docs)
    assert json.loads(auskunft("search", "Hundesteuer", "--json").stdout)  # readers answer again
