"""Office and web files end to end: the Konstanz statutes as ODT, DOCX, RTF, PPTX, HTML, EML, XLSX and ODS
(made by pandoc and LibreOffice, tests/data/office/make.py) ingested with the real embedder into the
embedded store, found by their questions; fee-table questions answered by the real 1.5B model from the
right row."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.settings import load_settings
from ingest.runner import ingest
from pipelines.query import QueryService
from tests.conftest import MODELS_DIR

pytestmark = pytest.mark.integration

OFFICE = Path(__file__).resolve().parents[1] / "data" / "office"
QUESTIONS = {
    "Verpackungssteuer.odt": "Wie viel Verpackungssteuer verlangt Konstanz für ein Einwegbesteck?",
    "Hundesteuer.docx": "Wie hoch ist die Hundesteuer in Konstanz für einen Kampfhund?",
    "Zweitwohnungssteuer.rtf": "Wie hoch ist der Steuersatz der Zweitwohnungssteuer in Konstanz?",
    "Sperrzeit.pptx": "Wann beginnt die Sperrzeit für Gaststätten in der Konstanzer Altstadt?",
    "Grillplaetze.html": "Zu welchen Zeiten dürfen die öffentlichen Grillplätze in Konstanz benutzt werden?",
    "Feuerwerksverbot.eml": "Wo ist das Abbrennen von Feuerwerk an Silvester in Konstanz verboten?",
    "Grabnutzungsgebuehren.xlsx": "Wie hoch ist die Grabnutzungsgebühr für ein Urnenwahlgrab in Konstanz?",
    "Parkgebuehren.ods": "Was kostet das Parken bis 3 Stunden im Parkhaus Döbele in Konstanz?",
}


@pytest.fixture(scope="module")
def office_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, object]]:
    folder = tmp_path_factory.mktemp("office") / "rathaus"
    shutil.copytree(OFFICE, folder, ignore=shutil.ignore_patterns("*.py"))
    (folder / "Praesentation.odp").write_bytes(b"PK\x03\x04 an Impress file Auskunft does not read")
    (folder / "LIESMICH").write_text("Notizen ohne Endung", encoding="utf-8")
    data_dir = tmp_path_factory.mktemp("office-data")
    settings = load_settings("test", data_dir=data_dir, models_dir=MODELS_DIR)
    report = ingest(settings, [str(folder)], access="public")
    yield data_dir, report


@pytest.fixture(scope="module")
def service(office_index: tuple[Path, object]) -> Iterator[QueryService]:
    data_dir, _ = office_index
    service = QueryService(load_settings("test", data_dir=data_dir, models_dir=MODELS_DIR))
    yield service
    service.close()


def test_every_office_file_is_indexed_and_other_types_are_listed_as_skipped(
    office_index: tuple[Path, object],
) -> None:
    _, report = office_index
    assert report.failed == []  # type: ignore[attr-defined]
    assert sorted(Path(s).name for s in report.added) == sorted(QUESTIONS)  # type: ignore[attr-defined]
    skipped = {Path(s["source"]).name: s for s in report.skipped}  # type: ignore[attr-defined]
    assert set(skipped) == {"Praesentation.odp", "LIESMICH"}
    assert (
        skipped["Praesentation.odp"]["type"] == ".odp"
        and "not indexed" in skipped["Praesentation.odp"]["reason"]
    )
    assert skipped["LIESMICH"]["type"] == "(no extension)"
    assert report.to_json()["skipped"] == report.skipped  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_each_file_is_found_by_its_question(service: QueryService, name: str) -> None:
    hits = service.search(QUESTIONS[name], top_k=3)
    assert Path(hits[0].meta["source"]).name == name, [h.meta["source"] for h in hits]


@pytest.mark.parametrize(
    ("name", "row", "header"),
    [
        (
            "Grabnutzungsgebuehren.xlsx",
            "| Urnenwahlgrab (20 Jahre Ruhezeit) | 2.265,00 € |",
            "| Gebührenart | Betrag |",
        ),
        ("Parkgebuehren.ods", "| bis 3 Stunden | 10,00 € | 4,50 € |", "| Parkzeit | Döbele | Schänzle |"),
    ],
)
def test_the_fee_row_is_found_under_its_column_headers(
    service: QueryService, name: str, row: str, header: str
) -> None:
    [hit] = service.search(QUESTIONS[name], top_k=1)
    lines = (hit.content or "").splitlines()
    assert row in lines, lines
    above = lines[: lines.index(row)]
    assert header in above and all(line.startswith("|") for line in above[above.index(header) :])


@pytest.mark.slow
def test_a_fee_table_question_shows_the_model_the_right_row_first(service: QueryService) -> None:
    """The row the question names is the best-scored unit the model reads, and whatever
    figure the answer states is one of the rows shown, cited with the row that holds it (the answer checker's
    guarantee). Which of the shown rows the 1.5B model takes is not asserted: with the issue-28 answer path it
    takes the Urnenwahlrasengrab's 2.892,00 € for the Urnenwahlgrab's 2.265,00 € shown beside it (measured
    2026-12-06; reading is where answers are lost, docs/evaluation.md, counted by benchmarks/quality.py)."""
    name = "Grabnutzungsgebuehren.xlsx"
    answer = service.answer(QUESTIONS[name])
    assert not answer.refused, answer.answer
    best = max(
        (
            (score, unit)
            for p in answer.passages
            for unit, score in zip(p.meta["units"], p.meta["unit_scores"], strict=True)
        ),
        key=lambda x: x[0],
    )[1]
    # the row, read with its column headers after its table's caption line ("Grabnutzungsgebühren nach § 6 …")
    assert best.endswith(" Gebührenart: Urnenwahlgrab (20 Jahre Ruhezeit); Betrag: 2.265,00 €"), (
        answer.passages
    )
    assert best.startswith("Grabnutzungsgebühren"), best
    shown = [unit for p in answer.passages for unit in p.meta["units"]]
    stated = [f for f in ("2.265", "2.892", "2.325", "113,25", "1.867") if f in answer.answer]
    assert len(stated) == 1, answer.answer
    assert any(stated[0] in unit for unit in shown), (answer.answer, shown)
    assert any(Path(c["source"]).name == name and stated[0] in c["quote"] for c in answer.citations), (
        answer.citations
    )
