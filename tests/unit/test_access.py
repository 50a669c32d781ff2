"""pipelines.access: what each role sees, checked on a real (in-memory) Qdrant with hand-made vectors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from haystack import Document
from haystack_integrations.components.retrievers.qdrant import QdrantEmbeddingRetriever
from haystack_integrations.document_stores.qdrant import QdrantDocumentStore

from pipelines.access import AccessError, allowed_levels, may_see, role_filter
from pipelines.filters import build_filters

# the confidential chunk lies closest to the query vector: a post-filter after top_k=1 would return nothing
DOCS = {
    "geheim": ([1.0, 0.0, 0.0, 0.0], {"access": "confidential"}),
    "intern": ([0.9, 0.1, 0.0, 0.0], {"access": "internal"}),
    "oeffentlich": ([0.8, 0.2, 0.0, 0.0], {"access": "public"}),
    "alt": ([0.7, 0.3, 0.0, 0.0], {}),  # indexed before access levels existed
    "alt-nichtoeffentlich": ([0.6, 0.4, 0.0, 0.0], {"public": False}),  # old non-public OParl chunk
}
QUERY = [1.0, 0.0, 0.0, 0.0]


@pytest.fixture
def store() -> Iterator[QdrantDocumentStore]:
    store = QdrantDocumentStore(location=":memory:", embedding_dim=4, similarity="cosine", progress_bar=False)
    store.write_documents(
        [Document(id=name, content=name, embedding=vec, meta=meta) for name, (vec, meta) in DOCS.items()]
    )
    yield store
    store.close()


def seen(store: QdrantDocumentStore, filters: dict[str, Any] | None, top_k: int = 10) -> list[str]:
    retriever = QdrantEmbeddingRetriever(document_store=store, top_k=top_k)
    return [d.content or "" for d in retriever.run(query_embedding=QUERY, filters=filters)["documents"]]


def test_roles_see_their_levels() -> None:
    assert allowed_levels("desk") == ("public",)
    assert allowed_levels("staff") == ("public", "internal")
    assert may_see("admin", "confidential") and not may_see("staff", "confidential")
    with pytest.raises(AccessError, match="Unknown role 'buerger'"):
        role_filter("buerger")
    with pytest.raises(AccessError, match="Unknown access level"):
        may_see("desk", "geheim")


@pytest.mark.parametrize(
    ("role", "default_level", "expected"),
    [
        ("desk", "internal", ["oeffentlich"]),
        ("staff", "internal", ["intern", "oeffentlich", "alt"]),
        ("admin", "internal", list(DOCS)),
        # chunks without a level count as the configured default
        ("desk", "public", ["oeffentlich", "alt"]),
        ("staff", "confidential", ["intern", "oeffentlich"]),
    ],
)
def test_role_filter_on_qdrant(
    store: QdrantDocumentStore, role: str, default_level: str, expected: list[str]
) -> None:
    assert seen(store, build_filters(role=role, default_level=default_level)) == expected


def test_filter_is_part_of_the_qdrant_query_not_a_post_filter(
    store: QdrantDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With top_k=1 the desk still gets the public chunk, and Qdrant's query carries the level condition."""
    client = store._client
    assert client is not None
    sent: list[Any] = []
    original = client.query_points

    def spy(*args: Any, **kwargs: Any) -> Any:
        sent.append(kwargs.get("query_filter"))
        return original(*args, **kwargs)

    monkeypatch.setattr(client, "query_points", spy)
    assert seen(store, build_filters(role="desk"), top_k=1) == ["oeffentlich"]
    assert seen(store, build_filters(municipality="Konstanz", role="staff"), top_k=1) == []
    desk = str(sent[0])
    assert "meta.access" in desk and "public" in desk and "meta.public" in desk
    assert "meta.municipality" in str(sent[1]) and "confidential" in str(sent[1])
