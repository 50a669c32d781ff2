"""An embedded (Qdrant Edge) index moves to a Qdrant server and back unchanged (pipelines/edge/transfer.py).

No Qdrant server can run here: the server is the stand-in of Qdrant's REST API
(``tests/integration/qdrant_standin.py``), driven by the real qdrant-client and QdrantDocumentStore. No models:
the documents carry made-up vectors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from haystack.utils import Secret
from haystack_integrations.components.retrievers.qdrant import QdrantHybridRetriever
from haystack_integrations.document_stores.qdrant import QdrantDocumentStore

from pipelines.edge import EdgeDocumentStore, EdgeHybridRetriever
from pipelines.edge.transfer import copy_points, export_points
from pipelines.stores import payload_indexes
from tests.integration.qdrant_standin import QdrantStandIn
from tests.unit.test_edge_store import _docs, _ties

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore:Api key is used with an insecure")]

ROLE = {"field": "meta.public", "operator": "!=", "value": False}


def _edge(path: Path) -> EdgeDocumentStore:
    return EdgeDocumentStore(
        path=str(path),
        embedding_dim=8,
        use_sparse_embeddings=True,
        sparse_idf=True,
        payload_fields_to_index=[
            i for i in payload_indexes() if i["field_name"] in {"meta.access", "meta.public"}
        ],
    )


def _points(records: list[Any]) -> dict[str, tuple[Any, Any, Any, Any]]:
    out = {}
    for r in records:
        sparse = r.vector["text-sparse"]
        out[str(r.id).replace("-", "")] = (
            r.payload,
            list(r.vector["text-dense"]),
            list(sparse.indices),
            list(sparse.values),
        )
    return out


def test_an_embedded_index_moves_to_a_server_and_back_unchanged(tmp_path: Path) -> None:
    docs = _docs(80)
    edge = _edge(tmp_path / "embedded")
    edge.write_documents(docs)
    with QdrantStandIn(api_key="k", strict_mode=True) as server:
        client = server.client()
        assert export_points(edge, client, "auskunft") == 80
        # the server holds the points QdrantDocumentStore itself would have written
        served = QdrantDocumentStore(
            url=server.url,
            api_key=Secret.from_token("k"),
            index="auskunft",
            embedding_dim=8,
            use_sparse_embeddings=True,
            sparse_idf=True,
            progress_bar=False,
        )
        assert {d.id for d in served.filter_documents()} == {d.id for d in docs}
        theirs = {d.id: d for d in served.filter_documents()}
        for doc in docs:
            assert theirs[doc.id].meta == doc.meta and theirs[doc.id].content == doc.content
            sparse = theirs[doc.id].sparse_embedding
            assert sparse is not None and doc.sparse_embedding is not None
            assert sparse.indices == doc.sparse_embedding.indices
            assert sparse.values == pytest.approx(doc.sparse_embedding.values, rel=1e-6)  # stored as float32
        assert server.indexes["auskunft"] == {"meta.access": "keyword", "meta.public": "bool"}
        # searching there gives what searching here gives (strict mode: the role filter is served by an index)
        query = _docs(1, seed=42)[0]
        inputs = {
            "query_embedding": query.embedding,
            "query_sparse_embedding": query.sparse_embedding,
            "filters": ROLE,
        }
        here = EdgeHybridRetriever(edge, top_k=10).run(**inputs)["documents"]
        there = QdrantHybridRetriever(served, top_k=10).run(**inputs)["documents"]
        assert [d.score for d in here] == pytest.approx([d.score for d in there], abs=1e-5)
        assert _ties(here)[:-1] == _ties(there)[:-1]

        back = _edge(tmp_path / "back")
        assert copy_points(client, "auskunft", back) == 80
        client.close()
    from qdrant_edge import ScrollRequest

    original = _points(edge.shard.scroll(ScrollRequest(limit=1000, with_payload=True, with_vector=True))[0])
    returned = _points(back.shard.scroll(ScrollRequest(limit=1000, with_payload=True, with_vector=True))[0])
    assert returned.keys() == original.keys()  # same ids
    for point_id, (payload, dense, indices, values) in original.items():
        assert returned[point_id][0] == payload and returned[point_id][2] == indices
        # float32 both sides; the server's copy went through JSON
        assert returned[point_id][1] == pytest.approx(dense, rel=1e-6)
        assert returned[point_id][3] == pytest.approx(values, rel=1e-6)
    served.close()
    edge.close()
    back.close()
