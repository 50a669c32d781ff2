"""pipelines.filters.build_filters: the user's choices and role as one Haystack filter for the Qdrant query."""

from __future__ import annotations

from haystack_integrations.document_stores.qdrant.filters import convert_filters_to_qdrant

from pipelines.filters import build_filters


def test_no_choice_means_no_filter() -> None:
    assert build_filters() is None
    assert build_filters(role="admin") is None  # admin sees every level


def test_choices_and_role_are_combined_with_and() -> None:
    f = build_filters("Satzung", "Konstanz", "Gemeinderat", "2020-01-01", "2024-12-31", role="desk")
    assert f is not None and f["operator"] == "AND"
    assert f["conditions"] == [
        {"field": "meta.doc_type", "operator": "==", "value": "Satzung"},
        {"field": "meta.municipality", "operator": "==", "value": "Konstanz"},
        {"field": "meta.body", "operator": "==", "value": "Gemeinderat"},
        {"field": "meta.date", "operator": ">=", "value": "2020-01-01"},
        {"field": "meta.date", "operator": "<=", "value": "2024-12-31"},
        {"field": "meta.access", "operator": "in", "value": ["public"]},
        {"field": "meta.public", "operator": "!=", "value": False},
    ]
    # the first Bürgerbüro filter, public_only, is the desk role
    assert f == build_filters(
        "Satzung", "Konstanz", "Gemeinderat", "2020-01-01", "2024-12-31", public_only=True
    )


def test_desk_filter_becomes_must_and_must_not_in_qdrant() -> None:
    """Desk: ``must access in [public]`` and ``must_not public == false`` (old non-public OParl chunks)."""
    text = str(convert_filters_to_qdrant(build_filters(public_only=True)))
    assert "must_not" in text and "meta.public" in text and "value=False" in text
    assert "must=[Filter(should=[FieldCondition(key='meta.access', match=MatchValue(value='public')" in text


def test_staff_filter_lets_chunks_without_a_level_through() -> None:
    """Staff with the default level internal: ``must_not access == confidential`` (a missing level passes)."""
    text = str(convert_filters_to_qdrant(build_filters(role="staff")))
    assert "must_not" in text and "value='confidential'" in text and "should=[" not in text
