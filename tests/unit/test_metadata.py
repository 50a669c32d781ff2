"""pipelines.metadata: document type, municipality and title guessed from title, path and text."""

from __future__ import annotations

import pytest

from pipelines.metadata import DOC_TYPES, guess_dates, guess_doc_type, guess_municipality, title_from_text


@pytest.mark.parametrize(
    ("title", "path", "text", "expected"),
    [
        ("Satzung über die Erhebung der Hundesteuer", "", "", "Satzung"),
        ("Friedhofsordnung", "", "", "Satzung"),
        ("Polizeiverordnung über das Offenhalten", "", "", "Verordnung"),  # Verordnung before *ordnung
        ("Niederschrift der 3. Sitzung", "", "", "Niederschrift"),
        ("Tagesordnung Gemeinderat", "", "", "Einladung"),
        ("Baugesetzbuch (BauGB)", "", "", "Gesetz"),
        ("scan_0001", "ablage/KON_Verordnung_Sperrzeit.pdf", "", "Verordnung"),
        ("scan_0001", "ablage/scan_0001.pdf", "Protokoll über die Sitzung des Ortsbeirats", "Niederschrift"),
        ("Notiz", "notiz.txt", "Nichts Besonderes.", "Sonstiges"),
    ],
)
def test_guess_doc_type(title: str, path: str, text: str, expected: str) -> None:
    assert guess_doc_type(title, path, text) == expected
    assert expected in DOC_TYPES


def test_gesetz_only_from_the_title() -> None:
    # an uppercase "...G" abbreviation in a file name or text must not make everything a law
    assert guess_doc_type("Notiz", "KAG.txt", "nach dem BauGB") == "Sonstiges"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Satzung der Stadt Konstanz über die Hundesteuer", "Konstanz"),
        ("hat der Gemeinderat der Gemeinde Bad Boll am 7.12.2023 beschlossen", "Bad Boll"),
        ("Die Stadt Frankfurt am Main erlässt", "Frankfurt am Main"),
        ("Die Verwaltung der Stadt Satzung, gez. Stadt Erlangen", "Erlangen"),  # skips non-places
        ("Kein Ort genannt.", None),
        (
            "Korridorthema: Grüne Stadt \nAbstimmung mit städtischen Gesellschaften",
            None,
        ),  # no name over a line end
    ],
)
def test_guess_municipality(text: str, expected: str | None) -> None:
    assert guess_municipality(text) == expected


def test_title_from_text() -> None:
    text = "03.11.2025\n## Satzung über die Benutzung der Stadtbibliothek\nText"
    assert title_from_text(text, "fallback") == "Satzung über die Benutzung der Stadtbibliothek"
    assert title_from_text("Kurz\nnichts Passendes hier", "fallback") == "fallback"


def test_the_end_of_a_sentence_is_no_title() -> None:
    # karlsruhe-oparl/file-contents/665070.txt (shared corpus) has no title line; its § 1 wraps as
    # "… als örtliche Aufwandssteuer nach den" / "Vorschriften dieser Satzung." (was taken as the title)
    text = (
        "Stadt Karlsruhe\nöffentlichen Sitzung am 25. März 2025 folgende Satzung beschlossen:\n\n§ 1 Steuererhebung\n"
        "Die Stadt Karlsruhe erhebt eine Übernachtungsteuer als örtliche Aufwandssteuer nach den\n"
        "Vorschriften dieser Satzung.\n"
    )
    assert title_from_text(text, "665070") == "665070"


def test_title_over_several_lines_and_not_a_hyphenated_word() -> None:
    # the opening of linsengericht-satzungen/ocr/taxiverordnung.pdf (shared corpus), as its text layer reads
    text = (
        "Verordnung\nüber die Beförderungsentgelte und Beförderungsbedingungen für den\n"
        "Verkehr mit Taxen in der. Gemeinde Linsengericht (Main-Kinzig-Kreis)\n"
        "Aufgrund des § 51, Abs. 1 des Personenbeförderungsgesetzes (PBefG) in der\n"
        "Gemeindevorstandes Linsengericht vom 30.11.1992 folgende Rechtsver-\nordnung erlassen: .\n§1"
    )
    assert title_from_text(text, "taxiverordnung") == (
        "Verordnung über die Beförderungsentgelte und Beförderungsbedingungen für den "
        "Verkehr mit Taxen in der. Gemeinde Linsengericht (Main-Kinzig-Kreis)"
    )
    assert (
        title_from_text("Text der Rechtsver-\nordnung erlassen: .\n§ 1", "taxiverordnung") == "taxiverordnung"
    )


def test_in_force_from_the_statute_text_or_the_header_of_a_consolidated_version() -> None:
    assert guess_dates("§ 9 Diese Satzung tritt am 1. Januar 2025 in Kraft.")["valid_from"] == "2025-01-01"
    # Erlangen's consolidated statute: the header names the date, § 8 only "am Tage nach ihrer Bekanntmachung"
    header = (
        "Inkrafttreten: 01.05.2026\nSatzung der Stadt Erlangen über Orts- und Stadtteilbeiräte vom 20.02.2020 "
        "i. d. F. vom 26.02.2026 / In Kraft getreten am 01.05.2026\n§ 8 Inkrafttreten\nDiese Satzung tritt am "
        "Tage nach ihrer Bekanntmachung in Kraft."
    )
    assert guess_dates(header)["valid_from"] == "2026-05-01"
    assert guess_dates("§ 8 Diese Satzung tritt am Tage nach ihrer Bekanntmachung in Kraft. In Kraft getreten "
                       "am 06.03.2020")["valid_from"] == "2020-03-06"  # fmt: skip
    # a table of contents line is no date in force
    assert "valid_from" not in guess_dates("§ 8 Inkrafttreten ........ 3")
