"""MunicipalFileConverter on real small files: Markdown with front matter, OParl, cp1252, PDFs, junk."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from haystack.core.serialization import component_from_dict, component_to_dict

from pipelines.components.file_converter import MunicipalFileConverter, split_front_matter

CORPUS = Path(__file__).resolve().parents[2] / "examples" / "corpus"


def _run(*paths: Path, **init: Any) -> dict[str, Any]:
    return MunicipalFileConverter(**init).run(sources=list(paths), meta=[{"source": p.name} for p in paths])


class TestMunicipalFileConverter:
    def test_markdown_front_matter_becomes_meta(self, tmp_path: Path) -> None:
        path = Path(shutil.copy(CORPUS / "konstanz" / "KON_Satzung_Hundesteuer.md", tmp_path))
        result = _run(path)
        assert result["failed"] == []
        [doc] = result["documents"]
        assert doc.meta["title"] == "II 01 Satzung über die Erhebung der Hundesteuer in der Stadt Konstanz"
        assert doc.meta["doc_type"] == "Satzung"
        assert doc.meta["municipality"] == "Konstanz"
        assert doc.meta["valid_from"] == "2022-01-01"
        assert doc.meta["source"] == "KON_Satzung_Hundesteuer.md"
        assert doc.meta["file_name"] == "KON_Satzung_Hundesteuer.md"
        assert (doc.content or "").startswith("## Inhaltsverzeichnis")  # front matter removed, headings kept
        assert "### § 5 Steuersatz" in (doc.content or "")

    def test_federal_law_front_matter_with_capitalised_keys_names_the_law(self, tmp_path: Path) -> None:
        # the shape of the gesetze-im-internet Markdown exports (bundestag/gesetze): "Title:", "jurabk:"
        path = tmp_path / "index.md"
        path.write_text(
            "---\nTitle: Paßgesetz\njurabk: PaßG 1986\nslug: passg_1986\n---\n\n# Paßgesetz (PaßG 1986)\n\n"
            "## § 5 Gültigkeitsdauer\n\n(1) Der Paß ist zehn Jahre gültig.\n",
            encoding="utf-8",
        )
        [doc] = _run(path)["documents"]
        assert doc.meta["title"] == "Paßgesetz (PaßG 1986)"  # not the file name "index"

    def test_a_district_statute_belongs_to_the_district_not_to_a_town_of_its_name(
        self, tmp_path: Path
    ) -> None:
        # ragsource front matter: a Landkreis' own statute or a Zweckverband's has "kreis" and no "gemeinde"
        path = tmp_path / "Lkr_GP_Hauptsatzung.md"
        path.write_text(
            "---\ntitel: Hauptsatzung des Landkreises\nebene: kreis\nkreis: Göppingen\n---\n§ 1 Name\nText."
        )
        [doc] = _run(path)["documents"]
        assert doc.meta["municipality"] == "Landkreis Göppingen"
        path.write_text(
            "---\ntitel: Hundesteuersatzung\nkreis: Göppingen\ngemeinde: Aichelberg\n---\n§ 1 Text."
        )
        [doc] = _run(path)["documents"]
        assert doc.meta["municipality"] == "Aichelberg"

    def test_oparl_json(self, tmp_path: Path) -> None:
        path = Path(shutil.copy(CORPUS / "karlsruhe-oparl" / "papers" / "52386.json", tmp_path))
        [doc] = _run(path)["documents"]
        assert doc.meta["doc_type"] == "Beschlussvorlage"
        assert doc.meta["municipality"] == "Karlsruhe"  # guessed from "der Stadt Karlsruhe"
        assert doc.meta["source"] == "52386.json"

    def test_cp1252_text(self, tmp_path: Path) -> None:
        path = tmp_path / "alt.txt"
        path.write_bytes(
            "Gebührensatzung der Gemeinde Müllheim\nÄnderung für Straßenreinigung".encode("cp1252")
        )
        [doc] = _run(path)["documents"]
        assert doc.content == "Gebührensatzung der Gemeinde Müllheim\nÄnderung für Straßenreinigung"
        assert doc.meta["title"] == "Gebührensatzung der Gemeinde Müllheim"
        assert doc.meta["doc_type"] == "Satzung"
        assert doc.meta["municipality"] == "Müllheim"

    def test_bad_files_fail_with_a_reason(self, tmp_path: Path) -> None:
        junk = tmp_path / "x.pdf"
        junk.write_bytes(os.urandom(4096).replace(b"%PDF", b"xxxx"))
        empty = tmp_path / "empty.txt"
        empty.write_text("")
        odd = tmp_path / "notes.xyz"
        odd.write_text("some text")
        result = _run(junk, empty, odd, tmp_path / "missing.md")
        assert result["documents"] == []
        reasons = {f["source"]: f["reason"] for f in result["failed"]}
        assert set(reasons) == {"x.pdf", "empty.txt", "notes.xyz", "missing.md"}
        assert "not a PDF" in reasons["x.pdf"]
        assert "no text" in reasons["empty.txt"]
        assert "unsupported" in reasons["notes.xyz"] and ".xyz" in reasons["notes.xyz"]
        assert "not found" in reasons["missing.md"]

    def test_truncated_pdf_fails_without_raising(self, tmp_path: Path) -> None:
        broken = tmp_path / "broken.pdf"
        broken.write_bytes(b"%PDF-1.7\n" + os.urandom(2048))
        result = _run(broken)
        assert result["documents"] == []
        assert result["failed"][0]["source"] == "broken.pdf" and result["failed"][0]["reason"]

    def test_born_digital_pdf_has_page_breaks(self, tmp_path: Path) -> None:
        name = "2025-10-15_Niederschrift_Niederschrift_3_Sitzung_Buechenbach.pdf"
        path = Path(shutil.copy(CORPUS / "erlangen" / name, tmp_path))
        result = _run(path, ocr=False)
        assert result["failed"] == []
        [doc] = result["documents"]
        pages = (doc.content or "").split("\f")
        assert len(pages) == doc.meta["pages"] == 3
        assert all(page.strip() for page in pages)
        assert "Stadtteilbeirat Büchenbach" in pages[0]
        assert doc.meta["doc_type"] == "Niederschrift"

    def test_serialisation_round_trip(self) -> None:
        converter = MunicipalFileConverter(
            ocr_languages="deu+eng", ocr=False, max_seconds=60, max_ocr_pages=5
        )
        data = component_to_dict(converter, "converter")
        assert data["init_parameters"] == {
            "ocr_languages": "deu+eng",
            "ocr": False,
            "max_seconds": 60,
            "max_memory_mb": 2048,
            "max_ocr_pages": 5,
            "max_unpacked_mb": 500,
            "max_xml_elements": 2_000_000,
        }
        restored = component_from_dict(MunicipalFileConverter, data, "converter")
        assert (restored.ocr_languages, restored.ocr, restored.max_seconds, restored.max_ocr_pages) == (
            "deu+eng",
            False,
            60,
            5,
        )


def test_split_front_matter_ignores_broken_yaml() -> None:
    text = "---\ntitel: [kaputt\n---\nInhalt"
    assert split_front_matter(text) == ({}, text)
    assert split_front_matter("---\ntitel: Satzung\n---\nInhalt") == ({"titel": "Satzung"}, "Inhalt")
