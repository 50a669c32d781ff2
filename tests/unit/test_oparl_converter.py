"""OParlConverter: OParl Meeting / Paper / File objects from real Karlsruhe JSON as readable documents."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from haystack.core.serialization import component_from_dict, component_to_dict

from pipelines.components.oparl_converter import OParlConverter, oparl_object_to_document

OPARL = Path(__file__).resolve().parents[2] / "examples" / "corpus" / "karlsruhe-oparl"
MEETING = "https://schema.oparl.org/1.1/Meeting"


def _convert(path: Path) -> list:  # type: ignore[type-arg]
    return OParlConverter().run(sources=[path])["documents"]


class TestOParlConverter:
    def test_meeting(self, tmp_path: Path) -> None:
        source = shutil.copy(OPARL / "meetings" / "10054.json", tmp_path / "meeting.json")
        [doc] = _convert(Path(source))
        lines = (doc.content or "").split("\n")
        assert lines[:3] == [
            "Sitzung: Gemeinderat (öffentlich/nicht öffentlich)",
            "Beginn: 2025-10-21 15:30",
            "Ort: Bürgersaal, Rathaus am Marktplatz",
        ]
        assert "- TOP 1: Wahl einer*eines Beigeordneten für das Dezernat 2 – Ergebnis: gewählt" in lines
        assert "- ANTRÄGE" in lines  # unnumbered agenda items are group headings, not "TOP :"
        assert not any(line.startswith("- TOP :") for line in lines)
        assert doc.meta["doc_type"] == "Niederschrift"  # it has a results protocol
        assert doc.meta["date"] == "2025-10-21"
        assert doc.meta["body"] == "Gemeinderat"
        assert doc.meta["oparl_type"] == "Meeting"
        assert doc.meta["oparl_id"].endswith("/meetings/10054")
        assert doc.meta["source"] == str(source)
        assert doc.meta["municipality"] == "Karlsruhe"  # from the body's address, web1.karlsruhe.de

    def test_paper(self, tmp_path: Path) -> None:
        [doc] = _convert(Path(shutil.copy(OPARL / "papers" / "52386.json", tmp_path / "paper.json")))
        assert (doc.content or "").startswith(
            "Beschlussvorlage 2025/0890: Satzung zur Änderung der Satzung der Stadt Karlsruhe"
        )
        assert "Änderung_Hundesteuersatzung_2025" in (doc.content or "")
        assert doc.meta["doc_type"] == "Beschlussvorlage"
        assert doc.meta["reference"] == "2025/0890"
        assert doc.meta["date"] == "2025-09-22"
        assert doc.meta["municipality"] == "Karlsruhe"

    def test_non_public_items_are_marked_and_counted(self) -> None:
        meeting = {
            "type": MEETING,
            "name": "Hauptausschuss",
            "agendaItem": [
                {"number": "1", "name": "Haushalt"},
                {"number": "2", "name": "Grundstück", "public": False},
            ],
        }
        doc = oparl_object_to_document(meeting, "m.json")
        assert doc is not None
        assert "- TOP 2: Grundstück (nichtöffentlich)" in (doc.content or "")
        assert doc.meta["non_public_items"] == 1
        assert doc.meta["doc_type"] == "Einladung"  # no protocol yet
        assert "date" not in doc.meta  # empty values are dropped
        assert "municipality" not in doc.meta  # no address, no town

    def test_deleted_objects_are_skipped_and_pages_combined(self, tmp_path: Path) -> None:
        page = {
            "data": [
                {"type": MEETING, "name": "Bauausschuss"},
                {"type": MEETING, "name": "Alt", "deleted": True},
                {
                    "type": "https://schema.oparl.org/1.1/File",
                    "name": "Anlage",
                    "text": "Volltext der Anlage",
                },
            ]
        }
        path = tmp_path / "page.json"
        path.write_text(json.dumps(page), encoding="utf-8")
        [doc] = _convert(path)
        assert doc.content == "Sitzung: Bauausschuss\n\nVolltext der Anlage"
        assert doc.meta["oparl_type"] == "list"
        assert doc.meta["title"] == "page"

    def test_only_deleted_objects_give_no_document(self, tmp_path: Path) -> None:
        path = tmp_path / "gone.json"
        path.write_text(json.dumps({"type": MEETING, "deleted": True}), encoding="utf-8")
        assert _convert(path) == []

    def test_serialisation_round_trip(self) -> None:
        data = component_to_dict(OParlConverter(), "oparl")
        assert data["type"] == "pipelines.components.oparl_converter.OParlConverter"
        assert isinstance(component_from_dict(OParlConverter, data, "oparl"), OParlConverter)
