"""Haystack metadata filters from the user's choices (document type, municipality, body, date range) and role."""

from __future__ import annotations

from typing import Any

from pipelines.access import DEFAULT_LEVEL, NOT_MARKED_NON_PUBLIC, role_filter

# kept for callers of the first Bürgerbüro filter: ``public_only=True`` now means ``role="desk"``
PUBLIC_ONLY = NOT_MARKED_NON_PUBLIC


def build_filters(
    doc_type: str | None = None,
    municipality: str | None = None,
    body: str | None = None,
    since: str | None = None,
    until: str | None = None,
    public_only: bool = False,
    role: str | None = None,
    default_level: str = DEFAULT_LEVEL,
) -> dict[str, Any] | None:
    """A filter for QueryService.search/answer, applied inside the Qdrant query; ``None`` = everything.

    ``role`` (desk, staff, admin) limits the access levels (see :mod:`pipelines.access`);
    ``default_level`` is the level of chunks indexed before levels existed (``settings.access.default``).
    ``public_only=True`` is the desk role.

    >>> build_filters(doc_type="Satzung", since="2024-01-01")["conditions"][0]
    {'field': 'meta.doc_type', 'operator': '==', 'value': 'Satzung'}
    >>> build_filters(role="staff")["conditions"]
    [{'field': 'meta.access', 'operator': 'not in', 'value': ['confidential']}, \
{'field': 'meta.public', 'operator': '!=', 'value': False}]
    """
    conditions: list[dict[str, Any]] = []
    for field, value in (("doc_type", doc_type), ("municipality", municipality), ("body", body)):
        if value:
            conditions.append({"field": f"meta.{field}", "operator": "==", "value": value})
    if since:
        conditions.append({"field": "meta.date", "operator": ">=", "value": since})
    if until:
        conditions.append({"field": "meta.date", "operator": "<=", "value": until})
    if public_only:
        role = "desk"
    if role is not None and (limit := role_filter(role, default_level)) is not None:
        conditions.extend(limit["conditions"])
    if not conditions:
        return None
    return {"operator": "AND", "conditions": conditions}
