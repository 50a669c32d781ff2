"""The OParl source's metadata rules (the mirroring itself is tested against a stand-in server)."""

from __future__ import annotations

import pytest

from ingest.sources.oparl import (
    _extension,
    _newer,
    _with_query,
    file_doc_type,
    meeting_is_public,
    municipality_from_body,
    paper_doc_type,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Stadt Karlsruhe", "Karlsruhe"),
        ("Stadt Köln, kreisfreie Stadt", "Köln"),
        ("Gemeinde Linsengericht", "Linsengericht"),
        ("Konstanz", "Konstanz"),
        (None, None),
    ],
)
def test_municipality_from_body(name: str | None, expected: str | None) -> None:
    assert municipality_from_body(name) == expected


@pytest.mark.parametrize(
    ("paper_type", "expected"),
    [
        ("Beschlussvorlage", "Beschlussvorlage"),
        ("Antrag", "Antrag"),
        ("Anfrage", "Antrag"),
        ("Mitteilung", "Sonstiges"),
    ],
)
def test_paper_doc_type(paper_type: str, expected: str) -> None:
    assert paper_doc_type({"paperType": paper_type}) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Protokoll GR 21.10.2025 TOP 7", "Niederschrift"),
        ("Niederschrift 14. ORatSitzung öffentlich 14.01.2026", "Niederschrift"),
        ("Anwesenheit (Protokoll)", "Niederschrift"),
        ("Tagesordnung (öffentlich)", "Einladung"),
        ("Stellplatzsatzung_Beschlussvorlage", "Beschlussvorlage"),
        ("Änderung_Hundesteuersatzung_2025", "Satzung"),
        ("Anlage 2 Synopse", None),
    ],
)
def test_file_doc_type(name: str, expected: str | None) -> None:
    assert file_doc_type(name) == expected


def test_meeting_is_public() -> None:
    assert meeting_is_public({"name": "Gemeinderat (öffentlich/nicht öffentlich)"})
    assert not meeting_is_public({"name": "Haupt- und Finanzausschuss (nicht öffentlich)"})
    assert not meeting_is_public({"name": "Gemeinderat", "public": False})


def test_extension_from_mime_type_file_name_or_url() -> None:
    assert _extension({"mimeType": "application/pdf"}, "https://x/1") == ".pdf"
    assert _extension({"fileName": "plan.DOCX"}, "https://x/1") == ".docx"
    assert _extension({}, "https://x/files/7.html") == ".html"
    assert _extension({}, "https://x/files/7", "text/plain; charset=utf-8") == ".txt"


def test_modified_since_and_newer() -> None:
    assert _with_query("https://x/papers?body=1", modified_since="2026-01-01T00:00:00+00:00") == (
        "https://x/papers?body=1&modified_since=2026-01-01T00%3A00%3A00%2B00%3A00"
    )
    assert not _newer("2025-11-04T11:01:29+01:00", "2025-11-04T10:01:29+00:00")  # same instant
    assert _newer("2025-11-05T00:00:00+01:00", "2025-11-04T11:01:29+01:00")
    assert _newer("2025-11-04", None)
