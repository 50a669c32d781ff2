"""The Streamlit page driven headless with AppTest, on the real index and the real models."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pipelines.evaluation import load_cases
from pipelines.filters import build_filters
from pipelines.models import SHIPPED_GGUF_LABEL
from tests.conftest import CORPUS, REPO
from ui.users import User

pytestmark = pytest.mark.ui

APP = REPO / "ui" / "streamlit_app.py"
QUESTION = "Wie viel Verpackungssteuer verlangt Konstanz für ein Einwegbesteck?"


@pytest.fixture(autouse=True)
def fresh_service_cache() -> Iterator[None]:
    """The page caches its QueryService with st.cache_resource, which outlives one AppTest."""
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


ADMIN = User("admin", "admin")
STAFF = User("m.mueller", "staff")


def run_app(user: User = STAFF) -> AppTest:
    """The page as ``user`` after the sign-in form (access.sign_in: local, the default; tests/ui/test_sign_in.py
    drives the form itself)."""
    at = AppTest.from_file(APP, default_timeout=600)
    at.session_state["user"] = user
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def own_copy(index: Path, target: Path) -> Path:
    """A private copy of the session's Konstanz index for tests that write (feedback, reports)."""
    shutil.copytree(
        index, target, ignore=shutil.ignore_patterns("readers", "writer.lock", "feedback", "reports")
    )
    return target


def last_answer(at: AppTest) -> dict:
    return dict(at.session_state["messages"][-1])


FUTURE = datetime.date(2090, 1, 1)  # no document is dated after this: every search comes back empty


def test_page_shows_title_index_size_and_ai_notice(
    konstanz_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(konstanz_index))
    at = run_app()
    assert at.title[0].value == "Auskunft"
    metrics = {m.label: m.value for m in at.sidebar.metric}
    assert metrics["Dokumente im Index"] == "14"
    assert int(metrics["Textabschnitte"]) > 14
    assert SHIPPED_GGUF_LABEL in at.sidebar.info[0].value


@pytest.mark.slow
def test_question_gets_amount_and_cited_statute(
    konstanz_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(konstanz_index))
    at = run_app()
    at.chat_input[0].set_value(QUESTION).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]

    assistant = next(m for m in at.chat_message if m.name == "assistant")
    assert "0,20" in " ".join(md.value for md in assistant.markdown)
    cited = [e for e in assistant.expander if "Verpackungssteuersatzung" in e.label]
    assert cited, [e.label for e in assistant.expander]
    quote = cited[0].markdown[0].value
    assert quote.startswith("> ") and len(quote) > 10

    # opening the citation: facts about the document, the passage marked in its chunk, the original file
    citation = cited[0]
    assert "§ 4" in citation.label
    facts = citation.markdown[1].value
    assert "**Dokumenttyp:** Satzung" in facts and "**Gemeinde:** Konstanz" in facts
    assert "**Datum:** 03.06.2024" in facts and "**Paragraf:** § 4" in facts
    passage = citation.get("html")[0].value
    marked = passage.split("<mark", 1)[1].split(">", 1)[1].split("</mark>", 1)[0]
    assert "0,20" in marked and len(marked) > 10
    assert passage.count("<mark") == 1 and "<br>" in passage  # the whole chunk, one passage marked
    download = citation.get("download_button")[0]
    assert "KON_Satzung_Verpackungssteuer.md" in download.proto.label
    assert any(
        "KI-generierte Antwort" in c.value and SHIPPED_GGUF_LABEL in c.value for c in assistant.caption
    )
    # Sachbearbeitung without filters: what the staff role may see (public and internal)
    assert last_answer(at)["filters"] == build_filters(role="staff")


def test_question_without_index_shows_one_line_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(tmp_path / "empty"))
    at = run_app()
    assert {m.label: m.value for m in at.sidebar.metric}["Dokumente im Index"] == "0"
    at.chat_input[0].set_value(QUESTION).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1
    message = at.error[0].value
    assert "auskunft ingest" in message and "\n" not in message


def test_filters_offer_the_index_values_and_restrict_the_search(
    konstanz_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A date range no document falls into: the search finds nothing and the answer is the refusal
    (no language model involved); a short follow-up is searched together with the previous question."""
    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(konstanz_index))
    at = run_app()
    assert at.sidebar.selectbox(key="filter_municipality").options == ["Konstanz"]
    assert at.sidebar.selectbox(key="filter_doc_type").options == ["Satzung", "Verordnung"]
    at.sidebar.selectbox(key="filter_municipality").set_value("Konstanz")
    ok(at.sidebar.date_input(key="filter_since").set_value(FUTURE).run())

    ok(at.chat_input[0].set_value("Wie hoch ist die Hundesteuer in Konstanz?").run())
    answer = last_answer(at)
    assert answer["filters"] == build_filters(municipality="Konstanz", since="2090-01-01", role="staff")
    assert answer["refused"] and answer["citations"] == []
    assistant = [m for m in at.chat_message if m.name == "assistant"][-1]
    assert assistant.markdown[0].value == "Dazu enthalten die Dokumente keine Angabe."
    assert not any("KI-generierte Antwort" in c.value for c in assistant.caption)  # no model wrote it
    assert not assistant.expander

    ok(at.chat_input[0].set_value("Und für den zweiten Hund?").run())
    follow_up = last_answer(at)
    assert follow_up["query"] == "Wie hoch ist die Hundesteuer in Konstanz? Und für den zweiten Hund?"
    assistant = [m for m in at.chat_message if m.name == "assistant"][-1]
    assert any("Als Nachfrage gesucht mit" in c.value for c in assistant.caption)

    ok(at.sidebar.button(key="new_conversation").click().run())
    assert not at.chat_message
    ok(at.chat_input[0].set_value("Und für den zweiten Hund?").run())
    assert last_answer(at)["query"] == "Und für den zweiten Hund?"  # a new conversation has no topic


def test_feedback_is_stored_and_exported_as_eval_cases(
    konstanz_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = own_copy(konstanz_index, tmp_path / "data")
    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(data_dir))
    at = run_app()
    ok(at.sidebar.date_input(key="filter_since").set_value(FUTURE).run())
    ok(at.chat_input[0].set_value("Wie hoch ist die Hundesteuer in Konstanz?").run())
    first = last_answer(at)["id"]
    at.text_input(key=f"fb-comment-{first}").set_value("Steht in § 5 der Hundesteuersatzung.")
    ok(at.button(key=f"fb-wrong-{first}").click().run())
    assistant = [m for m in at.chat_message if m.name == "assistant"][-1]
    assert any("Rückmeldung gespeichert: falsch" in c.value for c in assistant.caption)
    assert all(b.key != f"fb-wrong-{first}" for b in at.button)  # rated once

    ok(at.chat_input[0].set_value("Wann hat das Rathaus Konstanz am Samstag geöffnet?").run())
    ok(at.button(key=f"fb-helpful-{last_answer(at)['id']}").click().run())

    lines = (data_dir / "feedback" / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["rating"] for r in records] == ["wrong", "helpful"]
    assert records[0]["comment"] == "Steht in § 5 der Hundesteuersatzung."
    assert records[0]["filters"] == build_filters(since="2090-01-01", role="staff")
    assert {m.label: m.value for m in at.tabs[2].metric}["Rückmeldungen"] == "2"
    assert not at.tabs[2].get("download_button")[0].proto.disabled

    export = tmp_path / "cases.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "ui.cli", "feedback", "export", str(export)],
        capture_output=True,
        text=True,
        env={**os.environ, "AUSKUNFT_DATA_DIR": str(data_dir)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "2 evaluation cases" in result.stdout and "needs_review" in result.stdout
    cases = {c.question: c for c in load_cases(export)}
    wrong = cases["Wie hoch ist die Hundesteuer in Konstanz?"]
    assert wrong.answerable and wrong.category == "feedback-wrong"
    refusal_ok = cases["Wann hat das Rathaus Konstanz am Samstag geöffnet?"]
    assert not refusal_ok.answerable and refusal_ok.category == "feedback-helpful"
    raw = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    assert "§ 5 der Hundesteuersatzung" in raw[0]["note"] and raw[0]["needs_review"] is True


def test_language_switches_to_english(konstanz_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(konstanz_index))
    at = run_app()
    assert at.sidebar.radio(key="mode").label == "Modus"
    ok(at.sidebar.radio(key="mode").set_value("desk").run())
    ok(at.sidebar.selectbox(key="lang").set_value("en").run())
    assert at.title[0].value == "Auskunft"
    assert {m.label for m in at.sidebar.metric} == {"Documents in index", "Text chunks"}
    assert at.sidebar.radio(key="mode").label == "Mode"
    assert at.sidebar.radio(key="mode").value == "desk"  # the mode survives the switch
    assert at.sidebar.info[0].value.startswith("Answers are generated by an AI model")
    assert [tab.label for tab in at.tabs] == ["Ask", "Index", "Feedback"]
    assert at.chat_input[0].placeholder.startswith("The citizen's question")


def test_english_by_setting(konstanz_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(konstanz_index))
    monkeypatch.setenv("AUSKUNFT_UI__LANGUAGE", "en")
    at = run_app()
    assert at.sidebar.selectbox(key="lang").value == "en"
    assert at.sidebar.radio(key="mode").label == "Mode"


def test_desk_mode_hides_filters_and_searches_public_documents_only(
    konstanz_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(konstanz_index))
    at = run_app()
    assert at.sidebar.selectbox(key="filter_doc_type")
    ok(at.sidebar.radio(key="mode").set_value("desk").run())
    assert [s.key for s in at.sidebar.selectbox] == ["lang"]  # no filters at the desk
    assert not at.sidebar.date_input
    assert "nur öffentliche Dokumente" in " ".join(c.value for c in at.sidebar.caption)
    assert at.chat_input[0].placeholder.startswith("Frage der Bürgerin")


@pytest.mark.slow
def test_desk_answer_is_short_with_the_source_to_copy_and_print(
    konstanz_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(konstanz_index))
    at = run_app()
    ok(at.sidebar.radio(key="mode").set_value("desk").run())
    ok(at.chat_input[0].set_value(QUESTION).run())
    answer = last_answer(at)
    assert answer["mode"] == "desk" and answer["filters"] == build_filters(public_only=True)
    assert "0,20" in answer["content"] and not answer["refused"]
    assistant = [m for m in at.chat_message if m.name == "assistant"][-1]
    handout = assistant.code[0].value
    assert handout.startswith(f"Ihre Frage: {QUESTION}")
    assert "Quelle" in handout and "Verpackungssteuersatzung" in handout and "§ 4" in handout
    assert "KI-Modells" in handout and SHIPPED_GGUF_LABEL in handout
    assert [e.type for e in assistant.get("iframe")] == ["iframe"]  # the print button
    assert any("Verpackungssteuersatzung" in e.label for e in assistant.expander)


def test_admin_uploads_files_that_are_ingested_and_starts_a_reindex(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(data_dir))
    at = run_app(ADMIN)
    assert {m.label: m.value for m in at.sidebar.metric}["Dokumente im Index"] == "0"
    uploader = at.tabs[1].file_uploader[0]
    assert ".md" in uploader.allowed_type and ".pdf" in uploader.allowed_type
    grill = (CORPUS / "konstanz" / "KON_Satzung_Grillplaetze.md").read_bytes()
    ok(uploader.set_value(("KON_Satzung_Grillplaetze.md", grill, "text/markdown")).run())
    ok(at.button(key="ingest_uploads").click().run())

    assert (data_dir / "uploads" / "KON_Satzung_Grillplaetze.md").read_bytes() == grill
    assert {m.label: m.value for m in at.sidebar.metric}["Dokumente im Index"] == "1"
    result = " ".join(md.value for md in at.tabs[1].markdown)
    assert "Ergebnis: Hochladen:** 1 neu · 0 geändert · 0 unverändert · 0 gelöscht · 0 Fehler" in result
    assert json.loads((data_dir / "reports" / "latest-ingest.json").read_text())["added"]

    ok(at.button(key="reindex").click().run())
    result = " ".join(md.value for md in at.tabs[1].markdown)
    assert "0 neu · 0 geändert · 1 unverändert · 0 gelöscht · 0 Fehler" in result
    assert json.loads((data_dir / "reports" / "latest-reindex.json").read_text())["unchanged"]
    assert any(c.value.startswith("Letzter Re-Index") for c in at.sidebar.caption)


def test_admin_controls_follow_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AUSKUNFT_UI__ADMIN", "false")
    at = run_app(ADMIN)
    assert not at.tabs[1].file_uploader and all(b.key != "reindex" for b in at.button)
    assert any("abgeschaltet" in c.value for c in at.tabs[1].caption)


def test_pdf_citation_shows_the_cited_page_with_the_passage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A conversation in the session (as after an answer) with a citation of a PDF: no index or model needed."""
    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(tmp_path / "data"))
    pdf = CORPUS / "linsengericht" / "hundesteuersatzung-2017-03-21-original.pdf"
    quote = "Die Steuerpflicht entsteht mit dem 1. des Monats, in dem ein Hund in einen Haushalt aufgenommen wird."
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["user"] = STAFF
    at.session_state["messages"] = [
        {"role": "user", "content": "Wann entsteht die Hundesteuerpflicht?"},
        {
            "role": "assistant",
            "id": "pdf1",
            "content": "Mit dem 1. des Monats, in dem der Hund aufgenommen wird [1].",
            "citations": [
                {
                    "source": str(pdf),
                    "title": "Satzung über die Erhebung einer Hundesteuer",
                    "page": 2,
                    "section": "§ 3",
                    "quote": quote,
                    "doc_type": "Satzung",
                    "municipality": "Linsengericht",
                    "context": "§ 3 Entstehung und Ende der Steuerpflicht\n" + quote,
                }
            ],
            "question": "Wann entsteht die Hundesteuerpflicht?",
            "query": "Wann entsteht die Hundesteuerpflicht?",
            "topic": "Wann entsteht die Hundesteuerpflicht?",
            "mode": "staff",
            "filters": None,
            "refused": False,
            "unverified": False,
            "model": "Testmodell",
            "feedback": None,
        },
    ]
    ok(at.run())
    citation = at.expander[0]
    assert citation.label == "[1] Satzung über die Erhebung einer Hundesteuer — § 3 · Seite 2"
    assert "**Seite:** 2" in citation.markdown[1].value
    image = citation.get("image")[0]
    assert "Seite 2 des Originals" in image.captions[0]
    assert image.value[0]  # the rendered page, served by Streamlit
    assert "<mark" in citation.get("html")[0].value
    assert "hundesteuersatzung-2017-03-21-original.pdf" in citation.get("download_button")[0].proto.label
