"""The Streamlit page driven headless with AppTest, on the real index and the real models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pipelines.models import SHIPPED_GGUF_LABEL
from tests.conftest import REPO

pytestmark = pytest.mark.ui

APP = REPO / "ui" / "streamlit_app.py"
QUESTION = "Wie viel Verpackungssteuer verlangt Konstanz für ein Einwegbesteck?"


@pytest.fixture(autouse=True)
def fresh_service_cache() -> Iterator[None]:
    """The page caches its QueryService with st.cache_resource, which outlives one AppTest."""
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


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


def test_question_without_index_shows_one_line_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(tmp_path / "empty"))
    at = run_app()
    assert {m.label: m.value for m in at.sidebar.metric}["Dokumente im Index"] == "0"
    at.chat_input[0].set_value(QUESTION).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1
    message = at.error[0].value
    assert "auskunft ingest" in message and "\n" not in message
