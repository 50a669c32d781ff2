"""Move an index between the embedded Edge store and a Qdrant collection (a server, or qdrant-client's local
mode of older Auskunft versions) unchanged: the same point ids, vectors and payload on both sides.

>>> copy_points(QdrantClient(url="http://qdrant:6333"), "auskunft", edge_store)   # server -> embedded
>>> export_points(edge_store, QdrantClient(url="http://qdrant:6333"), "auskunft")  # embedded -> server
"""

from __future__ import annotations

from typing import Any

from pipelines.edge.document_store import EdgeDocumentStore

BATCH = 512


def copy_points(client: Any, collection: str, store: EdgeDocumentStore) -> int:
    """Every point of ``collection`` (qdrant-client) into ``store``; returns how many."""
    import qdrant_edge as edge
    from qdrant_client import models

    count, offset = 0, None
    while True:
        records, offset = client.scroll(
            collection, limit=BATCH, offset=offset, with_payload=True, with_vectors=True
        )
        points = []
        for record in records:
            vector = record.vector
            if isinstance(vector, dict):
                vector = {
                    name: edge.SparseVector(list(v.indices), list(v.values))
                    if isinstance(v, models.SparseVector)
                    else list(v)
                    for name, v in vector.items()
                }
            points.append(edge.Point(str(record.id), vector if vector is not None else {}, record.payload))
        if points:
            store.shard.update(edge.UpdateOperation.upsert_points(points))
            count += len(points)
        if offset is None:
            return count


def export_points(store: EdgeDocumentStore, client: Any, collection: str) -> int:
    """Every point of ``store`` into ``collection`` (created with the store's vectors if missing); returns how many."""
    import qdrant_edge as edge
    from qdrant_client import models

    from pipelines.edge.document_store import DENSE_VECTORS_NAME, SPARSE_VECTORS_NAME

    if not client.collection_exists(collection):
        distance = {
            "cosine": models.Distance.COSINE,
            "dot_product": models.Distance.DOT,
            "l2": models.Distance.EUCLID,
        }
        dense = models.VectorParams(size=store.embedding_dim, distance=distance[store.similarity])
        if store.use_sparse_embeddings:
            modifier = models.Modifier.IDF if store.sparse_idf else None
            client.create_collection(
                collection,
                vectors_config={DENSE_VECTORS_NAME: dense},
                sparse_vectors_config={SPARSE_VECTORS_NAME: models.SparseVectorParams(modifier=modifier)},
            )
        else:
            client.create_collection(collection, vectors_config=dense)
        for index in store.payload_fields_to_index or []:
            client.create_payload_index(collection, index["field_name"], field_schema=index["field_schema"])
    count, offset = 0, None
    while True:
        records, offset = store.shard.scroll(
            edge.ScrollRequest(offset=offset, limit=BATCH, with_payload=True, with_vector=True)
        )
        points = []
        for record in records:
            vector = record.vector
            if isinstance(vector, dict):
                vector = {
                    name: models.SparseVector(indices=list(v.indices), values=list(v.values))
                    if isinstance(v, edge.SparseVector)
                    else list(v)
                    for name, v in vector.items()
                }
            points.append(models.PointStruct(id=str(record.id), vector=vector or {}, payload=record.payload))
        if points:
            client.upsert(collection, points=points)
            count += len(points)
        if offset is None:
            return count
