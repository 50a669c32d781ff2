"""Bad input in one folder: each bad file is reported with its reason, everything else is indexed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pypdf
import pytest

from config.settings import load_settings
from ingest.runner import ingest
from pipelines.query import QueryService
from tests.conftest import CORPUS

pytestmark = pytest.mark.integration


def test_each_bad_file_is_reported_and_the_rest_indexed(tmp_path: Path) -> None:
    folder = tmp_path / "eingang"
    folder.mkdir()
    shutil.copy(CORPUS / "konstanz" / "KON_Satzung_Grillplaetze.md", folder / "grill.md")
    shutil.copy(CORPUS / "konstanz" / "KON_Satzung_Grillplaetze.md", folder / "grill-kopie.md")  # duplicate
    (folder / "kaputt.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(3000))  # corrupt
    (folder / "zufall.pdf").write_bytes(os.urandom(3000))  # not a PDF at all
    (folder / "leer.txt").write_text("   \n\n", encoding="utf-8")  # zero text
    (folder / "alt.txt").write_bytes(
        "Gebührenordnung für die Straßenreinigung: Gehwege räumen bis 7 Uhr.".encode("cp1252")
    )
    shutil.copy(
        CORPUS / "linsengericht" / "hundesteuersatzung-2017-03-21-original.pdf", folder / "gross.pdf"
    )  # 2.6 MB
    writer = pypdf.PdfWriter(
        clone_from=CORPUS / "linsengericht" / "strassenreinigungssatzung-inkl-1aenderung.pdf"
    )
    writer.encrypt(user_password="geheim", owner_password="geheim")
    with (folder / "geschuetzt.pdf").open("wb") as f:
        writer.write(f)

    settings = load_settings("test", indexing={"max_file_mb": 2})
    report = ingest(settings, [str(folder)])

    reasons = {Path(item["source"]).name: item["reason"] for item in report.failed}
    # files are taken in name order: the copy comes first, so the original is the duplicate
    assert set(reasons) == {"grill.md", "kaputt.pdf", "zufall.pdf", "leer.txt", "gross.pdf", "geschuetzt.pdf"}
    assert "duplicate of" in reasons["grill.md"] and "grill-kopie.md" in reasons["grill.md"]
    assert "PDF" in reasons["zufall.pdf"]
    assert "no text" in reasons["leer.txt"]
    assert "max_file_mb" in reasons["gross.pdf"]
    assert "encrypted" in reasons["geschuetzt.pdf"]
    assert sorted(Path(s).name for s in report.added) == ["alt.txt", "grill-kopie.md"]

    service = QueryService(settings)
    try:
        hit = service.search("Bis wann müssen Gehwege geräumt werden?", top_k=1)[0]
        assert hit.meta["source"].endswith("alt.txt") and "Straßenreinigung" in (hit.content or "")
    finally:
        service.close()
