"""pipelines.local_qdrant: the embedded store's faster keyword scoring and filter paths equal qdrant-client's own."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from qdrant_client.http.models import SparseVector
from qdrant_client.local import local_collection, payload_value_extractor
from qdrant_client.local.sparse_distances import calculate_distance_sparse as qdrant_sparse_scores

from config.settings import load_settings
from pipelines.local_qdrant import sparse_scores
from pipelines.stores import close_document_store, create_document_store


def _vector(rng: random.Random, vocabulary: int, terms: int) -> SparseVector:
    indices = sorted(rng.sample(range(vocabulary), terms))
    return SparseVector(indices=indices, values=[rng.uniform(0.01, 3.0) for _ in indices])


@pytest.mark.parametrize("empty_is_zero", [False, True])
def test_keyword_scores_equal_qdrant_clients(empty_is_zero: bool) -> None:
    rng = random.Random(7)
    vectors = [_vector(rng, 400, rng.randint(0, 60)) for _ in range(300)]  # some empty, many without overlap
    for _ in range(20):
        query = _vector(rng, 400, rng.randint(1, 12))
        query = SparseVector(indices=query.indices[::-1], values=query.values[::-1])  # order must not matter
        ours = sparse_scores(query, vectors, empty_is_zero)
        theirs = qdrant_sparse_scores(
            SparseVector(indices=query.indices[::-1], values=query.values[::-1]), vectors, empty_is_zero
        )
        assert ours.dtype == np.float32 and ours.shape == theirs.shape
        assert np.array_equal(np.isinf(ours), np.isinf(theirs))
        assert np.allclose(ours[~np.isinf(ours)], theirs[~np.isinf(theirs)], rtol=1e-6)


def test_a_changed_vector_is_scored_anew() -> None:
    """Scores are not served from an old set of vectors once a chunk's vector was replaced."""
    vectors = [SparseVector(indices=[1, 2], values=[1.0, 1.0]), SparseVector(indices=[3], values=[2.0])]
    query = SparseVector(indices=[3], values=[1.0])
    assert sparse_scores(query, vectors).tolist() == [float("-inf"), 2.0]
    vectors[1] = SparseVector(indices=[3], values=[5.0])
    vectors[0] = SparseVector(indices=[3], values=[0.5])
    assert sparse_scores(query, vectors).tolist() == [0.5, 5.0]
    assert sparse_scores(query, vectors[:1]).tolist() == [0.5]


def test_an_embedded_store_uses_them(tmp_path: Path) -> None:
    store = create_document_store(load_settings("test", data_dir=tmp_path), path=tmp_path / "index")
    close_document_store(store)
    assert local_collection.calculate_distance_sparse is sparse_scores
    parse = payload_value_extractor.parse_json_path
    assert parse("meta.access") is parse("meta.access")  # parsed once
    payload = {"meta": {"access": "internal", "tags": ["a", "b"]}}
    assert payload_value_extractor.value_by_key(payload, "meta.access") == ["internal"]
    assert payload_value_extractor.value_by_key(payload, "meta.tags") == ["a", "b"]
    assert payload_value_extractor.value_by_key(payload, "meta.public") is None
