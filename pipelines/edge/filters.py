"""Haystack filters -> Qdrant Edge filters, through qdrant-haystack's own conversion.

qdrant-haystack turns a Haystack filter into a ``qdrant_client`` ``models.Filter``; this module rebuilds that
filter with ``qdrant_edge``'s classes, so the embedded store and a Qdrant server read every filter alike
(same operators, same errors: ``None`` values and unknown operators raise ``FilterError``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from haystack.utils.filters import FilterError


def to_edge_filter(filters: dict[str, Any] | Any | None) -> Any | None:
    """A ``qdrant_edge.Filter`` for a Haystack filter dict (or a ``qdrant_client`` Filter), ``None`` for none."""
    from haystack_integrations.document_stores.qdrant.filters import convert_filters_to_qdrant
    from qdrant_client.http import models

    if filters is not None and not isinstance(filters, (dict, models.Filter)):
        raise ValueError("Filter must be a dictionary or an instance of `qdrant_client.http.models.Filter`")
    if isinstance(filters, dict) and filters and "operator" not in filters:
        raise ValueError(
            "Invalid filter syntax. See https://docs.haystack.deepset.ai/docs/metadata-filtering for details."
        )
    qdrant_filter = convert_filters_to_qdrant(filters)
    return None if qdrant_filter is None else _filter(qdrant_filter)


def _filter(f: Any) -> Any:
    import qdrant_edge as edge

    def conditions(items: Any) -> list[Any] | None:
        if items is None:
            return None
        items = items if isinstance(items, list) else [items]
        return [_condition(c) for c in items]

    min_should = None
    if f.min_should is not None:
        min_should = edge.MinShould(conditions(f.min_should.conditions) or [], f.min_should.min_count)
    return edge.Filter(
        must=conditions(f.must),
        should=conditions(f.should),
        must_not=conditions(f.must_not),
        min_should=min_should,
    )


def _condition(c: Any) -> Any:
    import qdrant_edge as edge
    from qdrant_client.http import models

    if isinstance(c, models.Filter):
        return _filter(c)
    if isinstance(c, models.FieldCondition):
        if c.match is not None:
            return edge.FieldCondition(c.key, match=_match(c.match))
        if isinstance(c.range, models.DatetimeRange):
            bounds = {k: _iso(getattr(c.range, k)) for k in ("gt", "gte", "lt", "lte")}
            return edge.FieldCondition(c.key, range=edge.RangeDateTime(**bounds))
        if isinstance(c.range, models.Range):
            return edge.FieldCondition(
                c.key, range=edge.RangeFloat(gt=c.range.gt, gte=c.range.gte, lt=c.range.lt, lte=c.range.lte)
            )
        if c.is_empty is not None or c.is_null is not None:
            return edge.FieldCondition(c.key, is_empty=c.is_empty, is_null=c.is_null)
    if isinstance(c, models.IsEmptyCondition):
        return edge.IsEmptyCondition(c.is_empty.key)
    if isinstance(c, models.IsNullCondition):
        return edge.IsNullCondition(c.is_null.key)
    if isinstance(c, models.HasIdCondition):
        return edge.HasIdCondition(set(map(str, c.has_id)))
    raise FilterError(f"The embedded store cannot evaluate the filter condition {c!r}")


def _match(m: Any) -> Any:
    import qdrant_edge as edge
    from qdrant_client.http import models

    if isinstance(m, models.MatchValue):
        return edge.MatchValue(_value(m.value))
    if isinstance(m, models.MatchAny):
        return edge.MatchAny(list(m.any))  # type: ignore[arg-type]
    if isinstance(m, models.MatchExcept):
        return edge.MatchExcept(list(m.except_))  # type: ignore[arg-type]
    if isinstance(m, models.MatchText):
        return edge.MatchText(m.text)
    raise FilterError(f"The embedded store cannot evaluate the match {m!r}")


def _value(value: Any) -> Any:
    # qdrant-edge-py 0.9.0 reads a Python bool as an integer (MatchValue(True).value == 1, which matches no
    # stored true/false); numpy's bool reaches the engine as a bool (tests/unit/test_edge_store.py)
    if isinstance(value, bool):
        return np.bool_(value)
    return value


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
