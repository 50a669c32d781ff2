"""A static OParl export indexed as a folder: its files get the metadata its Paper and Meeting JSON give."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.settings import load_settings
from ingest.access import resolve_level
from ingest.sources.folder import list_files

BASE = "https://ris.example-stadt.de/oparl/bodies/0001"
PAPER = {
    "id": f"{BASE}/papers/51570",
    "type": "https://schema.oparl.org/1.1/Paper",
    "name": "Satzung über die Erhebung einer Übernachtungsteuer",
    "reference": "2025/0147",
    "date": "2025-02-20",
    "paperType": "Beschlussvorlage",
    "mainFile": {
        "id": f"{BASE}/files/665068",
        "type": "https://schema.oparl.org/1.1/File",
        "name": "Vorlage",
        "fileName": "00665068.pdf",
        "date": "2025-02-20",
    },
    "auxiliaryFile": [
        {
            "id": f"{BASE}/files/665070",
            "type": "https://schema.oparl.org/1.1/File",
            "name": "Anlage 1 - Übernachtungsteuersatzung",
            "fileName": "00665070.pdf",
            "date": "2025-02-21",
        },
        {
            "id": f"{BASE}/files/665071",
            "type": "https://schema.oparl.org/1.1/File",
            "name": "Anlage 2",
            "fileName": "Anlage_2_Lageplan.pdf",
        },
    ],
    "consultation": [{"organization": [f"{BASE}/organizations/gr"], "authoritative": True}],
}
MEETING = {
    "id": f"{BASE}/meetings/10046",
    "type": "https://schema.oparl.org/1.1/Meeting",
    "name": "Ältestenrat",
    "start": "2025-03-18T16:00:00+01:00",
    "public": False,
    "agendaItem": [
        {
            "number": "3",
            "name": "Personalangelegenheit",
            "auxiliaryFile": [{"id": f"{BASE}/files/700001", "name": "Vermerk", "date": "2025-04-02"}],
        }
    ],
}
PAPER_WITH_PROTOCOL = {
    "id": f"{BASE}/papers/52415",
    "type": "https://schema.oparl.org/1.1/Paper",
    "body": "https://web1.karlsruhe.de/oparl/bodies/0001",
    "name": "Stellplatzsatzung; Satzungsbeschluss gemäß § 74 Abs. 2 LBO, § 4 GemO",
    "date": "2025-09-25",
    "auxiliaryFile": [
        {
            "id": f"{BASE}/files/676721",
            "type": "https://schema.oparl.org/1.1/File",
            "name": "Protokoll GR 27.01.2026 TOP 4",
            "date": "2026-02-20",
        }
    ],
}
ORGANIZATIONS = [
    {
        "id": f"{BASE}/organizations/gr",
        "type": "https://schema.oparl.org/1.1/Organization",
        "name": "Gemeinderat",
    }
]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def export(tmp_path: Path) -> Path:
    root = tmp_path / "ris-export"
    _write(root / "papers" / "51570.json", json.dumps(PAPER))
    _write(root / "meetings" / "10046.json", json.dumps(MEETING))
    _write(root / "papers" / "52415.json", json.dumps(PAPER_WITH_PROTOCOL))
    _write(root / "organizations.json", json.dumps(ORGANIZATIONS))
    _write(root / "papers" / "broken.json", "{not json")
    for name in ("665068.txt", "665070.txt", "700001.txt", "676721.txt", "12345.txt"):
        _write(root / "file-contents" / name, f"Text of {name}")
    _write(root / "downloads" / "Anlage_2_Lageplan.pdf", "%PDF-1.4 Anlage 2")
    return root


def _by_name(folder: Path) -> dict[str, dict]:
    indexing = load_settings("test").indexing
    return {f.path.name: f.meta for f in list_files(str(folder), indexing.include, indexing.exclude)}


def test_a_file_named_by_its_file_id_gets_the_papers_metadata(export: Path) -> None:
    meta = _by_name(export)["665070.txt"]
    assert meta == {
        "title": "Anlage 1 - Übernachtungsteuersatzung – Satzung über die Erhebung einer Übernachtungsteuer",
        "doc_type": "Satzung",  # from the file's name, not the paper's type
        "reference": "2025/0147",
        "date": "2025-02-21",
        "body": "Gemeinderat",  # the consultation's organization, named in organizations.json
        "public": True,
        "oparl_id": f"{BASE}/files/665070",
        "oparl_type": "File",
    }


def test_the_main_file_is_the_paper_an_attachment_of_unknown_kind_is_left_to_the_text(export: Path) -> None:
    files = _by_name(export)
    assert files["665068.txt"]["doc_type"] == "Beschlussvorlage"
    assert files["665068.txt"]["title"] == "Vorlage – Satzung über die Erhebung einer Übernachtungsteuer"
    attachment = files["Anlage_2_Lageplan.pdf"]  # found by the File's fileName
    assert "doc_type" not in attachment and attachment["title"].startswith("Anlage 2 – ")


def test_a_file_of_a_non_public_meeting_becomes_confidential(export: Path) -> None:
    settings = load_settings("test")
    files = {
        f.path.name: f for f in list_files(str(export), settings.indexing.include, settings.indexing.exclude)
    }
    memo = files["700001.txt"]
    assert (memo.meta["public"], memo.meta["agenda_item"], memo.meta["title"]) == (
        False,
        "TOP 3",
        "Vermerk – Personalangelegenheit",
    )
    assert memo.meta["date"] == "2025-03-18"  # a meeting's file: the meeting's date, not its own
    assert resolve_level(settings, memo, {}) == "confidential"
    assert resolve_level(settings, files["665070.txt"], {}) == "public"


def test_a_protocol_is_dated_by_the_meeting_its_name_states_and_titled_by_the_papers_subject(
    export: Path,
) -> None:
    protocol = _by_name(export)["676721.txt"]
    assert protocol["date"] == "2026-01-27"  # not the day the protocol file was made (2026-02-20)
    assert protocol["doc_type"] == "Niederschrift"
    assert protocol["title"] == "Protokoll GR 27.01.2026 TOP 4 – Stellplatzsatzung"  # without the procedure
    assert protocol["municipality"] == "Karlsruhe"  # the body's web address names the town


def test_files_no_object_names_and_the_json_itself_get_nothing(export: Path) -> None:
    files = _by_name(export)
    assert files["12345.txt"] == {}
    assert files["51570.json"] == {} and files["10046.json"] == {} and files["52415.json"] == {}


def test_a_sidecar_beats_the_export(export: Path) -> None:
    _write(export / "file-contents" / "665070.txt.meta.json", json.dumps({"title": "Eigener Titel"}))
    assert _by_name(export)["665070.txt"] == {"title": "Eigener Titel"}


def test_the_export_folder_alone_counts_not_json_elsewhere(tmp_path: Path, export: Path) -> None:
    other = tmp_path / "other" / "texts" / "665070.txt"  # same name, but not in the export folder
    _write(other, "Unrelated")
    assert _by_name(tmp_path / "other")["665070.txt"] == {}
    # the export's file given alone still finds its folder's JSON
    indexing = load_settings("test").indexing
    [single] = list_files(str(export / "file-contents" / "665070.txt"), indexing.include, indexing.exclude)
    assert single.meta["reference"] == "2025/0147"
