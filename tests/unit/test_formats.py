"""Office and web formats (pipelines.formats) on real documents: the Konstanz statutes converted by pandoc and
LibreOffice (tests/data/office/make.py), read through MunicipalFileConverter as ingest reads them."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from pipelines.components.file_converter import MunicipalFileConverter
from pipelines.formats.html import html_markdown_text
from pipelines.formats.tables import markdown_table

OFFICE = Path(__file__).resolve().parents[1] / "data" / "office"


def convert(name: str, folder: Path = OFFICE) -> tuple[str, dict]:
    result = MunicipalFileConverter().run(sources=[folder / name], meta=[{"source": name}])
    assert result["failed"] == [], result["failed"]
    [doc] = result["documents"]
    return doc.content, doc.meta


def table_rows(text: str) -> list[list[str]]:
    return [
        [c.strip() for c in line.strip("|").split("|")] for line in text.splitlines() if line.startswith("| ")
    ]


class TestTables:
    def test_every_block_of_a_long_table_starts_with_the_header(self) -> None:
        rows = [["Leistung", "Gebühr"]] + [
            [f"Leistung Nummer {i} mit Zusatz", f"{i},00 €"] for i in range(60)
        ]
        text = markdown_table(rows)
        blocks = text.split("\n\n")
        assert len(blocks) > 3
        for block in blocks:
            lines = block.splitlines()
            assert lines[:2] == ["| Leistung | Gebühr |", "|---|---|"] and len(lines) > 2
            assert len(block.split()) <= 110
        assert sum(len(b.splitlines()) - 2 for b in blocks) == 60

    def test_title_rows_above_the_header_empty_rows_and_columns_and_pipes(self) -> None:
        rows = [
            ["Gebührenverzeichnis 2025", "", ""],
            ["", "", ""],
            ["Leistung", "", "Betrag"],
            ["Ausweis | Pass", "", "37,00 €"],
        ]
        assert markdown_table(rows) == (
            "Gebührenverzeichnis 2025\n\n| Leistung | Betrag |\n|---|---|\n| Ausweis / Pass | 37,00 € |"
        )


class TestFormats:
    def test_docx_headings_and_title(self) -> None:
        text, meta = convert("Hundesteuer.docx")
        assert meta["title"] == "II 01 Satzung über die Erhebung der Hundesteuer in der Stadt Konstanz"
        assert "\n### § 5 Steuersatz\n" in text and meta["municipality"] == "Konstanz"
        assert "für den ersten Hund 900,00 Euro" in text

    def test_odt_pages_from_libreoffice_layout_and_sections(self) -> None:
        text, meta = convert("Verpackungssteuer.odt")
        assert meta["pages"] >= 2 and text.count("\f") == meta["pages"] - 1
        assert "### § 4 Steuersatz und Bemessungsgrundlage" in text
        assert "0,20 €" in text and meta["doc_type"] == "Satzung"

    def test_rtf_text_with_paragraph_numbers(self) -> None:
        text, meta = convert("Zweitwohnungssteuer.rtf")
        assert meta["title"].startswith("II 02 Satzung über die Erhebung einer Zweitwohnungssteuer")
        assert "\n§ 4 Steuersatz\n" in text and "(1) Die Stadt Konstanz erhebt eine Steuer" in text

    def test_pptx_one_page_per_slide(self) -> None:
        text, meta = convert("Sperrzeit.pptx")
        assert meta["pages"] == text.count("\f") + 1 >= 5
        assert any(page.startswith("## § 8 Inkrafttreten") for page in text.split("\f"))

    def test_xlsx_fee_table_keeps_each_row_with_its_headers(self) -> None:
        text, meta = convert("Grabnutzungsgebuehren.xlsx")
        assert meta["sheets"] == 1 and text.startswith("## ")
        assert "Grabnutzungsgebühren nach § 6 Nr. 4 der Bestattungsgebührenordnung" in text
        blocks = [b for b in text.split("\n\n") if b.startswith("|")]
        assert len(blocks) >= 2 and all(b.startswith("| Gebührenart | Betrag |\n|---|---|\n") for b in blocks)
        assert ["Urnenwahlgrab (20 Jahre Ruhezeit)", "2.265,00 €"] in table_rows(text)

    def test_ods_three_columns(self) -> None:
        text, _ = convert("Parkgebuehren.ods")
        rows = table_rows(text)
        assert rows[0] == ["Parkzeit", "Döbele", "Schänzle"]
        assert ["bis 3 Stunden", "10,00 €", "4,50 €"] in rows

    def test_html_main_content_without_navigation(self) -> None:
        text, meta = convert("Grillplaetze.html")
        assert (
            meta["title"]
            == "III 07 Satzung über die Benutzung der öffentlichen Grillplätze auf Konstanzer Gemarkung"
        )
        assert "### § 3 Benutzungszeiten" in text
        for boilerplate in ("Bürgerservice", "Startseite", "Impressum", "Untere Laube 24, Telefon", "Suche"):
            assert boilerplate not in text

    def test_eml_text_and_attachment(self) -> None:
        text, meta = convert("Feuerwerksverbot.eml")
        assert meta["title"] == "Feuerwerksverbot in der Altstadt: Polizeiverordnung zur Kenntnis"
        assert meta["date"] == "2025-12-29" and meta["attachments"] == [
            "Polizeiverordnung_Feuerwerksverbot.odt"
        ]
        assert "anbei die Polizeiverordnung" in text
        assert "## Anhang: Polizeiverordnung_Feuerwerksverbot.odt" in text
        assert "### Ziffer 1 Abbrennverbot im Geltungsbereich" in text

    def test_html_without_main_drops_navigation_by_class(self) -> None:
        page = (
            "<body><div class='navigation'><a>Rathaus</a></div><div id='cookie-banner'>Cookies?</div>"
            "<h1>Sperrzeit</h1><p>Die Sperrzeit beginnt um 3 Uhr.</p><table><tr><th>Tag</th><th>Beginn</th></tr>"
            "<tr><td>Samstag</td><td>5 Uhr</td></tr></table></body>"
        )
        assert html_markdown_text(page) == (
            "# Sperrzeit\n\nDie Sperrzeit beginnt um 3 Uhr.\n\n| Tag | Beginn |\n|---|---|\n| Samstag | 5 Uhr |"
        )


class TestHostileAndBroken:
    def test_renamed_and_broken_files_fail_with_a_reason(self, tmp_path: Path) -> None:
        (tmp_path / "kaputt.odt").write_bytes(b"PK\x03\x04" + b"\0" * 100)
        (tmp_path / "text.xlsx").write_text("kein Excel", encoding="utf-8")
        (tmp_path / "leer.rtf").write_text("kein RTF", encoding="utf-8")
        names = ["kaputt.odt", "text.xlsx", "leer.rtf"]
        result = MunicipalFileConverter().run(
            sources=[tmp_path / n for n in names], meta=[{"source": n} for n in names]
        )
        reasons = {f["source"]: f["reason"] for f in result["failed"]}
        assert set(reasons) == set(names) and result["documents"] == []
        assert "broken zip" in reasons["kaputt.odt"]
        assert "RTF" in reasons["leer.rtf"]
        assert all("\n" not in r for r in reasons.values())

    def test_a_sheet_repeating_a_filled_cell_a_million_times_is_refused(self, tmp_path: Path) -> None:
        ns = (
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
        )
        content = (
            f"<office:document-content {ns}><office:body><office:spreadsheet><table:table table:name='A'>"
            "<table:table-row table:number-rows-repeated='1000000'>"
            "<table:table-cell table:number-columns-repeated='1000'><text:p>x</text:p></table:table-cell>"
            "</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as package:
            package.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
            package.writestr("content.xml", content)
        (tmp_path / "bombe.ods").write_bytes(buffer.getvalue())
        result = MunicipalFileConverter(max_seconds=60).run(sources=[tmp_path / "bombe.ods"])
        [failed] = result["failed"]
        assert "filled cells" in failed["reason"]


@pytest.mark.parametrize("name", sorted(p.name for p in OFFICE.iterdir() if p.suffix != ".py"))
def test_every_test_document_converts_with_a_title_and_the_town(name: str) -> None:
    text, meta = convert(name)
    assert len(text) > 500 and meta["title"] and meta["municipality"] == "Konstanz"
