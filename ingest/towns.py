"""Which town a file belongs to when its text does not say (``indexing.municipality_rules``)."""

from __future__ import annotations

from config.settings import Settings
from ingest.sources.folder import SourceFile


def rule_municipality(settings: Settings, file: SourceFile) -> str | None:
    """The town of the first ``indexing.municipality_rules`` entry whose pattern matches ``file``."""
    return next(
        (rule.municipality for rule in settings.indexing.municipality_rules if file.matches(rule.pattern)),
        None,
    )
