"""Bürgerbüro: non-public material never comes back from the index (the filter is part of the Qdrant query)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from config.settings import load_settings
from ingest.runner import ingest
from pipelines.filters import build_filters
from pipelines.query import QueryService
from tests.conftest import CORPUS, MODELS_DIR

pytestmark = pytest.mark.integration

SECRET = (
    "Niederschrift über die nichtöffentliche Sitzung des Gemeinderats der Stadt Konstanz.\n\n"
    "TOP 3 Grundstücksangelegenheiten: Der Gemeinderat beschließt den Verkauf des städtischen "
    "Grundstücks Seestraße 12 an die Beispiel Bau GmbH zum Preis von 1.250.000 Euro.\n"
)


def test_non_public_documents_are_not_retrieved_with_public_only(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(CORPUS / "konstanz" / "KON_Satzung_Grillplaetze.md", folder)
    secret = folder / "2025-03-04_Niederschrift_Gemeinderat_nichtoeffentlich.txt"
    secret.write_text(SECRET, encoding="utf-8")
    (folder / (secret.name + ".meta.json")).write_text(json.dumps({"public": False}), encoding="utf-8")
    settings = load_settings("test", data_dir=tmp_path / "data", models_dir=MODELS_DIR)
    report = ingest(settings, [str(folder)], access="public")  # the sidecar's public: false still wins
    assert not report.failed and len(report.added) == 2

    question = "Zu welchem Preis wird das Grundstück Seestraße 12 verkauft?"
    service = QueryService(settings)
    try:
        everything = service.search(question, top_k=10)
        public = service.search(question, top_k=10, filters=build_filters(public_only=True))
        desk_staff_filter = service.search(
            question, top_k=10, filters=build_filters(municipality="Konstanz", public_only=True)
        )
    finally:
        service.close()
    assert everything[0].meta["source"] == str(secret)  # found when not restricted ...
    assert everything[0].meta["public"] is False and everything[0].meta["access"] == "confidential"
    assert public and all(d.meta["source"] != str(secret) for d in public)  # ... and never at the desk
    assert all(d.meta.get("public", True) is not False for d in public + desk_staff_filter)
