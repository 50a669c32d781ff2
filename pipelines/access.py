"""Access levels of documents and what each role may see, as a filter inside the Qdrant query.

Levels: ``public`` < ``internal`` < ``confidential``. Roles: ``desk`` (Bürgerbüro) sees public
documents, ``staff`` public and internal ones, ``admin`` everything. The filter never hides results
after retrieval: it is part of the query, so a role cannot even rank what it may not see.

Chunks written before access levels existed have no ``meta.access``; they count as the configured
default level (``access.default``), and chunks marked ``public: False`` (non-public OParl material)
count as confidential. The next ``auskunft reindex`` writes the level into every chunk.

>>> role_filter("desk")
{'operator': 'AND', 'conditions': [{'field': 'meta.access', 'operator': 'in', 'value': ['public']}, \
{'field': 'meta.public', 'operator': '!=', 'value': False}]}
>>> role_filter("admin") is None
True
"""

from __future__ import annotations

from typing import Any

LEVELS = ("public", "internal", "confidential")
ROLES: dict[str, tuple[str, ...]] = {
    "desk": ("public",),
    "staff": ("public", "internal"),
    "admin": LEVELS,
}
DEFAULT_LEVEL = "internal"

# non-public OParl material (``public: False``) is confidential even in chunks without ``meta.access``
NOT_MARKED_NON_PUBLIC = {"field": "meta.public", "operator": "!=", "value": False}


class AccessError(ValueError):
    """An unknown level or role, with a one-line message for the user."""


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise AccessError(f"Unknown access level '{level}'; use one of: {', '.join(LEVELS)}.")
    return level


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccessError(f"Unknown role '{role}'; use one of: {', '.join(ROLES)}.")
    return role


def allowed_levels(role: str) -> tuple[str, ...]:
    return ROLES[check_role(role)]


def may_see(role: str, level: str) -> bool:
    return check_level(level) in allowed_levels(role)


def role_filter(role: str, default_level: str = DEFAULT_LEVEL) -> dict[str, Any] | None:
    """The Haystack filter (converted to Qdrant's by the document store) that limits ``role``; ``None`` = all.

    If chunks without a level (older indexes) count as a level the role may see, the filter excludes the
    levels it may not see (``must_not``: a missing field passes); otherwise it requires an allowed level
    (``must``: a missing field fails).
    """
    allowed = allowed_levels(role)
    check_level(default_level)
    if allowed == LEVELS:
        return None
    if default_level in allowed:
        denied = [level for level in LEVELS if level not in allowed]
        level_condition = {"field": "meta.access", "operator": "not in", "value": denied}
    else:
        level_condition = {"field": "meta.access", "operator": "in", "value": list(allowed)}
    return {"operator": "AND", "conditions": [level_condition, dict(NOT_MARKED_NON_PUBLIC)]}
