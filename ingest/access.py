"""Which access level a file gets at ingest (public, internal, confidential); see ``access:`` in default.yaml.

First that applies:

1. material marked non-public (sidecar ``"public": false``, e.g. a non-public OParl meeting): confidential;
2. the sidecar's ``"access"`` field;
3. the first rule in ``access.rules`` whose pattern matches the file's absolute path (or source URL);
4. the level given with ``auskunft ingest PATH --access LEVEL`` for the file or the nearest folder above it
   (remembered in the manifest, so ``reindex`` keeps it);
5. material marked public (sidecar ``"public": true``, e.g. a public OParl meeting): public;
6. ``access.default`` (internal unless configured otherwise).
"""

from __future__ import annotations

from config.settings import Settings
from ingest.sources.folder import SourceFile
from pipelines.access import check_level


def remembered_level(source_id: str, remembered: dict[str, str]) -> str | None:
    """The level given with ``--access`` for ``source_id`` itself or the nearest folder above it."""
    best: tuple[int, str] | None = None
    for root, level in remembered.items():
        inside = source_id == root or source_id.startswith(root.rstrip("/") + "/")
        if inside and (best is None or len(root) > best[0]):
            best = (len(root), level)
    return best[1] if best else None


def rule_level(settings: Settings, file: SourceFile) -> str | None:
    return next((rule.level for rule in settings.access.rules if file.matches(rule.pattern)), None)


def resolve_level(settings: Settings, file: SourceFile, remembered: dict[str, str]) -> str:
    """The access level of ``file`` (see the module docstring for the order)."""
    if file.meta.get("public") is False:
        return "confidential"
    if isinstance(file.meta.get("access"), str):
        return check_level(file.meta["access"])
    level = rule_level(settings, file) or remembered_level(file.source_id, remembered)
    if level:
        return level
    if file.meta.get("public") is True:
        return "public"
    return settings.access.default
