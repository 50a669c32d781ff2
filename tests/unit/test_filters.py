"""pipelines.filters.build_filters: the user's choices as one Haystack filter for the Qdrant query."""

from __future__ import annotations

from haystack_integrations.document_stores.qdrant.filters import convert_filters_to_qdrant

from pipelines.filters import build_filters


def test_no_choice_means_no_filter() -> None:
    assert build_filters() is None


def test_choices_are_combined_with_and() -> None:
    f = build_filters("Satzung", "Konstanz", "Gemeinderat", "2020-01-01", "2024-12-31", public_only=True)
    assert f is not None and f["operator"] == "AND"
    assert f["conditions"] == [
        {"field": "meta.doc_type", "operator": "==", "value": "Satzung"},
        {"field": "meta.municipality", "operator": "==", "value": "Konstanz"},
        {"field": "meta.body", "operator": "==", "value": "Gemeinderat"},
        {"field": "meta.date", "operator": ">=", "value": "2020-01-01"},
        {"field": "meta.date", "operator": "<=", "value": "2024-12-31"},
        {"field": "meta.public", "operator": "!=", "value": False},
    ]


def test_public_only_excludes_only_what_is_marked_non_public() -> None:
    """Qdrant gets ``must_not public == false``: chunks without the field (public by default) stay."""
    qdrant = convert_filters_to_qdrant(build_filters(public_only=True))
    text = str(qdrant)
    assert "must_not" in text and "meta.public" in text and "value=False" in text
