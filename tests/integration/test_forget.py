"""`auskunft forget`: a document is removed everywhere, stays out of re-indexes, and the rest is intact.

Real models and the embedded Qdrant through the CLI; the OParl part uses the stand-in server (a real
OParl server cannot run here).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from config.settings import load_settings
from ingest.forget import ForgetReport, _remove_stored_copy
from ingest.manifest import Manifest
from ingest.sources.oparl import SIDECAR_SUFFIX, STATE_NAME, OParlSource, forget_in_mirror
from tests.conftest import CORPUS
from tests.integration.oparl_server import OParlStandIn
from tests.ui.test_cli import auskunft
from ui.feedback import FeedbackStore

pytestmark = pytest.mark.integration

MARKER = "P-4711"
SECRET = (
    f"Vertrauliche Personalangelegenheit der Stadt Konstanz, Aktenzeichen {MARKER}.\n\n"
    "Der Hauptausschuss beschließt die fristlose Kündigung des Hausmeisters der Grundschule "
    "Allmannsdorf wegen wiederholter Unterschlagung von Kassengeld in Höhe von 3.480 Euro.\n"
)


def files_mentioning(folder: Path, needle: str) -> list[str]:
    """Every file below ``folder`` whose raw bytes contain ``needle`` (index files included)."""
    return [str(p) for p in folder.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def run(*args: str) -> dict:
    result = auskunft(*args, "--json")
    assert result.returncode == 0, result.stderr
    return (
        dict(json.loads(result.stdout))
        if result.stdout.startswith("{")
        else {"hits": json.loads(result.stdout)}
    )


@pytest.mark.ui
def test_forget_removes_a_document_everywhere_and_reindex_keeps_it_out(
    tmp_path: Path, hermetic_env: Path
) -> None:
    data_dir = hermetic_env
    folder = tmp_path / "akten"
    folder.mkdir()
    for name in ("KON_Satzung_Grillplaetze.md", "KON_Satzung_Hundesteuer.md"):
        shutil.copy(CORPUS / "konstanz" / name, folder)
    secret = folder / "2025-05-12_Personalsache_Hausmeister.txt"
    secret.write_text(SECRET, encoding="utf-8")
    assert len(run("ingest", str(folder), "--access", "confidential")["added"]) == 3
    uploads = data_dir / "uploads"  # what the page's upload stores (ui.admin)
    uploads.mkdir(parents=True)
    upload = uploads / "Aushang_Sprechzeiten.txt"
    upload.write_text("Aushang: Das Bürgerbüro hat mittwochs bis 18 Uhr geöffnet.\n", encoding="utf-8")
    assert run("ingest", str(uploads))["added"] == [str(upload)]
    store = FeedbackStore(data_dir / "feedback")
    cites = {"question": "Kündigung?", "content": "Wegen Unterschlagung [1].", "refused": False}
    store.add({**cites, "citations": [{"source": str(secret), "quote": MARKER}]}, "helpful")
    store.add({**cites, "citations": [{"source": str(folder / "KON_Satzung_Hundesteuer.md")}]}, "helpful")
    assert files_mentioning(data_dir, MARKER)  # in the index and the feedback
    question = "Warum wird dem Hausmeister der Grundschule Allmannsdorf gekündigt?"
    shown = run("search", question, "--role", "admin", "--top-k", "3")["hits"]
    assert shown[0]["source"] == str(secret)  # now the audit log names it among the documents shown

    report = run("forget", str(secret))
    removed = report["removed"]
    assert removed["chunks"] >= 1 and removed["manifest_entries"] == [str(secret)]
    assert removed["feedback_records"] == 1 and removed["reports_redacted"] >= 1
    assert removed["audit_records_redacted"] == 1
    assert removed["files"] == []  # the original is the municipality's file, not Auskunft's copy
    assert report["kept_out"] == [str(secret)] and f"auskunft ingest {secret}" in report["note"]
    # nothing Auskunft keeps mentions it any more: not the index files (vacuumed), reports, feedback, audit
    assert files_mentioning(data_dir, MARKER) == []
    assert files_mentioning(data_dir, secret.name) == []
    assert len(store.records()) == 1

    hits = run("search", SECRET, "--role", "admin", "--top-k", "10")["hits"]
    assert hits and all(h["source"] != str(secret) and MARKER not in h["text"] for h in hits)
    again = run("reindex")
    assert again["forgotten"] == 1 and again["added"] == [] and again["failed"] == []
    assert len(again["unchanged"]) == 3
    hund = run("search", "Hundesteuer für einen Kampfhund", "--role", "admin")["hits"]
    assert hund[0]["source"] == str(folder / "KON_Satzung_Hundesteuer.md")
    status = run("status")
    assert status["documents"] == 3 and status["forgotten"] == 1

    # a stored copy (an upload) is deleted
    gone = run("forget", str(upload))
    assert gone["removed"]["files"] == [str(upload)] and not upload.exists() and gone["kept_out"] == []

    missing = auskunft("forget", str(upload))
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().startswith(f"Error: '{upload}' is not in the index")

    # naming the file itself indexes it again
    back = run("ingest", str(secret))
    assert back["added"] == [str(secret)]
    assert run("search", SECRET, "--role", "admin")["hits"][0]["source"] == str(secret)
    assert run("status")["forgotten"] == 0


def test_forgotten_oparl_documents_are_not_mirrored_again(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    with OParlStandIn(papers=["52386", "52387"], meetings=[]) as server:
        OParlSource(server.system_url, mirror).sync()
        state = json.loads((mirror / STATE_NAME).read_text(encoding="utf-8"))
        file_entry = next(e for e in state["files"].values() if e.get("path"))
        paper_id = server.paper_id("52386")
        paper_path = mirror / state["objects"][paper_id]["path"]
        mirrored_file = mirror / file_entry["path"]
        assert mirrored_file.exists() and paper_path.exists()

        settings = load_settings("test", data_dir=tmp_path)  # the mirror lives in the data dir
        manifest = Manifest(remote={str(mirror.resolve()): server.system_url})
        report = ForgetReport(source=str(mirrored_file))
        _remove_stored_copy(settings, manifest, mirrored_file, report)
        assert report.files == [str(mirrored_file), str(mirrored_file) + SIDECAR_SUFFIX]
        assert report.oparl_ids == [file_entry["file"]["id"]]
        assert forget_in_mirror(mirror, paper_path) == paper_id
        before = {p.name for p in mirror.rglob("*") if p.is_file()}

        # the server changes both: a full walk of the lists would mirror them again, if they were not forgotten
        server.modify(paper_id, name="Geänderter Titel")
        state = json.loads((mirror / STATE_NAME).read_text(encoding="utf-8"))
        state["lists"] = {}
        (mirror / STATE_NAME).write_text(json.dumps(state), encoding="utf-8")
        synced = OParlSource(server.system_url, mirror).sync()
    assert not synced.failed
    assert not mirrored_file.exists() and not paper_path.exists()
    assert {p.name for p in mirror.rglob("*") if p.is_file()} == before  # the rest stays mirrored
