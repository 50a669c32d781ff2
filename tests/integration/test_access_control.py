"""Access levels and roles on a real index: the desk never retrieves a confidential file, admin does.

Real models and the embedded Qdrant; the role filter is part of the Qdrant query (tests/unit/test_access.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from config.settings import load_settings
from ingest.runner import ingest, reindex
from pipelines.filters import build_filters
from pipelines.query import QueryService
from tests.conftest import CORPUS, MODELS_DIR
from tests.ui.test_cli import auskunft

pytestmark = pytest.mark.integration

SECRET = (
    "Vertrauliche Personalangelegenheit der Stadt Konstanz, Aktenzeichen P-4711.\n\n"
    "Der Hauptausschuss beschließt in nichtöffentlicher Sitzung die fristlose Kündigung des "
    "Hausmeisters der Grundschule Allmannsdorf wegen wiederholter Unterschlagung von Kassengeld "
    "in Höhe von 3.480 Euro.\n"
)
QUESTION = "Warum wird dem Hausmeister der Grundschule Allmannsdorf fristlos gekündigt?"


def public_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "oeffentlich"
    folder.mkdir()
    for name in ("KON_Satzung_Grillplaetze.md", "KON_Satzung_Hundesteuer.md"):
        shutil.copy(CORPUS / "konstanz" / name, folder)
    return folder


def sources(service: QueryService, role: str, question: str = QUESTION) -> list[str]:
    settings = service.settings
    filters = build_filters(role=role, default_level=settings.access.default)
    return [d.meta["source"] for d in service.search(question, top_k=10, filters=filters)]


@pytest.mark.ui
def test_desk_never_retrieves_the_confidential_file_admin_does(tmp_path: Path) -> None:
    """The issue's check, as a user runs it: public folder + one confidential file, `search --role`."""
    folder = public_folder(tmp_path)
    secret = tmp_path / "personal" / "2025-05-12_Personalsache_P-4711.txt"
    secret.parent.mkdir()
    secret.write_text(SECRET, encoding="utf-8")
    first = auskunft("ingest", str(folder), "--access", "public", "--json")
    assert first.returncode == 0, first.stderr
    second = auskunft("ingest", str(secret), "--access", "confidential", "--json")
    assert second.returncode == 0 and json.loads(second.stdout)["added"] == [str(secret)], second.stderr

    def search(role: str, question: str = SECRET.split("\n\n")[1]) -> list[dict]:
        result = auskunft("search", question, "--role", role, "--top-k", "10", "--json")
        assert result.returncode == 0, result.stderr
        return list(json.loads(result.stdout))

    # the desk asks verbatim for the confidential content and gets nothing of it
    desk = search("desk")
    assert desk and all(h["source"] != str(secret) for h in desk)
    assert all("P-4711" not in h["text"] for h in desk)
    assert all(h["source"] != str(secret) for h in search("staff"))
    assert search("admin")[0]["source"] == str(secret)
    assert search("admin", QUESTION)[0]["source"] == str(secret)

    status = json.loads(auskunft("status", "--json").stdout)
    assert status["access"] == {"public": 2, "confidential": 1}

    wrong = auskunft("search", "Hundesteuer", "--role", "buerger")
    assert wrong.returncode == 1 and wrong.stderr.strip() == (
        "Error: Unknown role 'buerger'; use one of: desk, staff, admin."
    )
    wrong = auskunft("ingest", str(folder), "--access", "geheim")
    assert wrong.returncode == 1 and "Unknown access level 'geheim'" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_levels_from_default_rules_sidecar_and_a_changed_access(tmp_path: Path) -> None:
    """Default internal; a rule beats --access; a changed --access relabels without re-embedding; reindex keeps it."""
    folder = public_folder(tmp_path)
    hidden = folder / "nichtoeffentlich"
    hidden.mkdir()
    (hidden / "2025-05-12_Personalsache_P-4711.txt").write_text(SECRET, encoding="utf-8")
    marked = folder / "2025-06-01_Vorlage_Grundstueck.txt"
    marked.write_text("Beschlussvorlage: Verkauf des Grundstücks Seestraße 12 für 1.250.000 Euro.\n", "utf-8")
    (folder / (marked.name + ".meta.json")).write_text(json.dumps({"access": "internal"}), "utf-8")
    settings = load_settings(
        "test",
        data_dir=tmp_path / "data",
        models_dir=MODELS_DIR,
        access={"rules": [{"pattern": "**/nichtoeffentlich/**", "level": "confidential"}]},
    )
    hund = "Wie hoch ist die Hundesteuer für den ersten Hund in Konstanz?"

    first = ingest(settings, [str(folder)])  # nothing said: internal (privacy-first)
    assert len(first.added) == 4 and not first.failed
    service = QueryService(settings)
    try:
        assert sources(service, "desk", hund) == []
        assert str(folder / "KON_Satzung_Hundesteuer.md") in sources(service, "staff", hund)

        second = ingest(settings, [str(folder)], access="public")
        assert second.chunks_written == 0 and not second.added and not second.updated
        assert sorted(Path(s).name for s in second.relabeled) == [
            "KON_Satzung_Grillplaetze.md",
            "KON_Satzung_Hundesteuer.md",
        ]  # the rule keeps the personnel file confidential, the sidecar keeps the Vorlage internal
        assert sources(service, "desk", hund)[0] == str(folder / "KON_Satzung_Hundesteuer.md")
        desk = sources(service, "desk")
        assert all("nichtoeffentlich" not in s and s != str(marked) for s in desk)
        assert sources(service, "staff")[0] != str(hidden / "2025-05-12_Personalsache_P-4711.txt")
        assert sources(service, "admin")[0] == str(hidden / "2025-05-12_Personalsache_P-4711.txt")

        again = reindex(settings)  # the remembered level stays
        assert not again.relabeled and not again.failed and len(again.unchanged) == 4
        assert sources(service, "desk", hund)[0] == str(folder / "KON_Satzung_Hundesteuer.md")
    finally:
        service.close()
