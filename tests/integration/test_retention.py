"""Retention rules applied by reindex: old minutes are forgotten, everything else stays (real models)."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest

from config.settings import RetentionRule, load_settings
from ingest.retention import cutoff, rule_filter
from ingest.runner import ingest, reindex
from pipelines.query import QueryService
from tests.conftest import CORPUS, MODELS_DIR

pytestmark = pytest.mark.integration

MINUTES = (
    "Niederschrift über die öffentliche Sitzung des Gemeinderats der Stadt Konstanz am {date}.\n\n"
    "TOP 1: Der Gemeinderat beschließt die Sanierung des Hallenbads {pool} mit Kosten von {cost} Euro.\n"
)


def test_cutoff_and_filter() -> None:
    assert cutoff(datetime.date(2026, 5, 4), 10) == datetime.date(2016, 5, 4)
    assert cutoff(datetime.date(2024, 2, 29), 1) == datetime.date(2023, 2, 28)
    rule = RetentionRule(doc_type="Niederschrift", max_age_years=10, municipality="Konstanz")
    assert rule_filter(rule, datetime.date(2026, 1, 1))["conditions"] == [
        {"field": "meta.doc_type", "operator": "==", "value": "Niederschrift"},
        {"field": "meta.date", "operator": "<", "value": "2016-01-01"},
        {"field": "meta.municipality", "operator": "==", "value": "Konstanz"},
    ]


def test_reindex_forgets_minutes_older_than_the_rule(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(CORPUS / "konstanz" / "KON_Satzung_Grillplaetze.md", folder)
    old = folder / "2009-03-04_Niederschrift_Gemeinderat.txt"
    old.write_text(MINUTES.format(date="04.03.2009", pool="Jakob", cost="1.200.000"), encoding="utf-8")
    new = folder / "2024-05-06_Niederschrift_Gemeinderat.txt"
    new.write_text(MINUTES.format(date="06.05.2024", pool="Wollmatingen", cost="3.400.000"), encoding="utf-8")
    settings = load_settings(
        "test",
        data_dir=tmp_path / "data",
        models_dir=MODELS_DIR,
        retention=[{"doc_type": "Niederschrift", "max_age_years": 10}],
    )
    first = ingest(settings, [str(folder)], access="internal")  # ingest alone applies no retention
    assert len(first.added) == 3 and first.expired == 0

    nightly = reindex(settings)
    assert nightly.expired == 1 and not nightly.failed
    again = reindex(settings)  # the original stays in the folder, but does not come back
    assert again.expired == 0 and again.forgotten == 1 and again.added == []

    service = QueryService(settings)
    try:
        hits = service.search("Sanierung des Hallenbads Jakob", top_k=10)
        grill = service.search("Grillplätze in Konstanz", top_k=3)
    finally:
        service.close()
    sources = [d.meta["source"] for d in hits]
    assert str(old) not in sources and str(new) in sources
    assert grill[0].meta["source"] == str(folder / "KON_Satzung_Grillplaetze.md")
    assert old.exists()  # the municipality's original is not touched
