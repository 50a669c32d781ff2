"""The Qdrant stand-in itself (tests/integration/qdrant_standin.py), driven by the real qdrant-client over HTTP.

No Qdrant server can run here; these checks pin down that the stand-in answers as Qdrant does where
Auskunft depends on it (envelope, errors, API key, strict mode) and that hybrid queries give the results
of qdrant-client's own engine. No models are loaded.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator

import httpx
import pytest
from qdrant_client import QdrantClient, models
from qdrant_client.common.version_check import is_compatible
from qdrant_client.http.exceptions import UnexpectedResponse

from tests.integration.qdrant_standin import QdrantStandIn, qdrant_version

pytestmark = pytest.mark.integration

KEY = "k-123"


@pytest.fixture
def server() -> Iterator[QdrantStandIn]:
    with QdrantStandIn(api_key=KEY) as standin:
        yield standin


@pytest.fixture
def client(server: QdrantStandIn) -> Iterator[QdrantClient]:
    qdrant = server.client()
    yield qdrant
    qdrant.close()


def _collection(client: QdrantClient) -> None:
    client.create_collection(
        "c",
        vectors_config={"dense": models.VectorParams(size=3, distance=models.Distance.COSINE, on_disk=True)},
        sparse_vectors_config={"sparse": models.SparseVectorParams(modifier=models.Modifier.IDF)},
        hnsw_config=models.HnswConfigDiff(m=32, ef_construct=200),
        quantization_config=models.ScalarQuantization(
            scalar=models.ScalarQuantizationConfig(type=models.ScalarType.INT8, always_ram=True)
        ),
        shard_number=2,
    )
    client.upsert(
        "c",
        [
            models.PointStruct(
                id=i,
                vector={"dense": vec, "sparse": models.SparseVector(indices=[i], values=[1.0])},
                payload={"meta": {"access": level, "n": i}},
            )
            for i, (vec, level) in enumerate(
                [([1, 0, 0], "public"), ([0.9, 0.1, 0], "internal"), ([0, 1, 0], "public")]
            )
        ],
    )


def test_root_health_and_envelope(server: QdrantStandIn) -> None:
    root = httpx.get(server.url)  # whitelisted: no key needed, as on Qdrant
    assert root.status_code == 200 and root.json()["version"] == qdrant_version()
    assert is_compatible(importlib.metadata.version("qdrant-client"), root.json()["version"])
    assert httpx.get(f"{server.url}/readyz").text == "all shards are ready"
    listed = httpx.get(f"{server.url}/collections", headers={"api-key": KEY}).json()
    assert listed["result"] == {"collections": []} and listed["status"] == "ok" and "time" in listed


def test_api_key_is_required_like_qdrant(server: QdrantStandIn) -> None:
    missing = httpx.get(f"{server.url}/collections")
    wrong = httpx.get(f"{server.url}/collections", headers={"api-key": "nope"})
    bearer = httpx.get(f"{server.url}/collections", headers={"Authorization": f"Bearer {KEY}"})
    assert (missing.status_code, missing.text) == (
        401,
        "Must provide an API key or an Authorization bearer token",
    )
    assert (wrong.status_code, wrong.text) == (401, "Invalid API key or JWT")
    assert bearer.status_code == 200


def test_collections_and_errors(server: QdrantStandIn, client: QdrantClient) -> None:
    assert client.collection_exists("c") is False
    with pytest.raises(UnexpectedResponse) as missing:
        client.get_collection("c")
    assert missing.value.status_code == 404
    assert missing.value.structured()["status"]["error"] == "Not found: Collection `c` doesn't exist!"

    _collection(client)
    with pytest.raises(UnexpectedResponse) as twice:
        _collection(client)
    assert twice.value.status_code == 409

    info = client.get_collection("c")
    assert info.points_count == 3 and info.config.hnsw_config.m == 32
    assert info.config.params.shard_number == 2
    assert isinstance(info.config.quantization_config, models.ScalarQuantization)
    assert server.created["c"]["vectors"]["dense"]["on_disk"] is True
    client.create_payload_index("c", "meta.access", field_schema=models.PayloadSchemaType.KEYWORD)
    assert server.indexes["c"] == {"meta.access": "keyword"}
    assert client.get_collection("c").payload_schema["meta.access"].points == 3
    assert client.delete_collection("c") is True and client.collection_exists("c") is False


def test_points_and_hybrid_query_match_the_local_engine(client: QdrantClient) -> None:
    _collection(client)
    reference = QdrantClient(":memory:")
    reference.create_collection(
        "c",
        vectors_config={"dense": models.VectorParams(size=3, distance=models.Distance.COSINE)},
        sparse_vectors_config={"sparse": models.SparseVectorParams(modifier=models.Modifier.IDF)},
    )
    records = client.scroll("c", limit=10, with_vectors=True)[0]
    reference.upsert(
        "c", [models.PointStruct(id=r.id, vector=r.vector or {}, payload=r.payload) for r in records]
    )
    public = models.Filter(
        must=[models.FieldCondition(key="meta.access", match=models.MatchValue(value="public"))]
    )
    prefetch = [
        models.Prefetch(
            query=models.SparseVector(indices=[0, 2], values=[1.0, 1.0]), using="sparse", filter=public
        ),
        models.Prefetch(query=[1.0, 0.0, 0.0], using="dense", filter=public),
    ]
    fused = models.FusionQuery(fusion=models.Fusion.RRF)
    got = client.query_points("c", prefetch=prefetch, query=fused, limit=5, with_payload=True)
    want = reference.query_points("c", prefetch=prefetch, query=fused, limit=5, with_payload=True)
    assert [(p.id, p.score) for p in got.points] == [(p.id, p.score) for p in want.points]
    assert {p.id for p in got.points} == {0, 2}  # the filter inside both prefetches

    assert client.count("c", count_filter=public).count == 2
    client.set_payload("c", payload={"access": "confidential"}, points=[2], key="meta")
    assert client.retrieve("c", [2])[0].payload == {"meta": {"access": "confidential", "n": 2}}
    client.delete("c", points_selector=models.FilterSelector(filter=public))
    assert [r.id for r in client.scroll("c")[0]] == [1, 2]


def test_strict_mode_refuses_filters_without_a_fitting_index() -> None:
    with QdrantStandIn(strict_mode=True) as server:
        client = server.client()
        _collection(client)
        public = models.Filter(
            must=[models.FieldCondition(key="meta.access", match=models.MatchValue(value="public"))]
        )
        with pytest.raises(UnexpectedResponse) as refused:
            client.count("c", count_filter=public)
        assert refused.value.status_code == 400
        assert refused.value.structured()["status"]["error"] == (
            'Bad request: Index required but not found for "meta.access" of one of the following types: '
            "[keyword]. Help: Create an index for this key or use a different filter."
        )
        client.create_payload_index("c", "meta.access", field_schema="keyword")
        assert client.count("c", count_filter=public).count == 2
        client.create_payload_index("c", "meta.n", field_schema="keyword")  # a range needs integer/float
        with pytest.raises(UnexpectedResponse):
            client.delete(
                "c",
                models.FilterSelector(
                    filter=models.Filter(
                        must=[models.FieldCondition(key="meta.n", range=models.Range(gte=1))]
                    )
                ),
            )
        client.close()
