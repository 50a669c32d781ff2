"""The OpenAI-compatible endpoint as chat front ends use it: the official ``openai`` client against
`auskunft api` in a subprocess (real HTTP, real models, the Konstanz statutes), signed in with API keys."""

from __future__ import annotations

from pathlib import Path

import httpx
import openai
import pytest

from tests.api.conftest import as_user
from ui.audit import AuditLog
from ui.users import UserStore

pytestmark = pytest.mark.api

QUESTION = "Wie viel Verpackungssteuer verlangt Konstanz für ein Einwegbesteck?"
NOT_IN_DOCUMENTS = "Wie viele Einwohner hat Timbuktu?"


@pytest.fixture(scope="module")
def keys(api_data: Path) -> dict[str, str]:
    store = UserStore(api_data / "users.json")
    return {name: store.add_key(name, "test") for name in ("m.mueller", "k.schmidt")}


def client(api: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{api}/v1", api_key=key, timeout=600, max_retries=0)


def statute_chunks(api: str) -> list[str]:
    response = httpx.post(
        f"{api}/search", json={"question": QUESTION, "top_k": 10}, auth=as_user("m.mueller"), timeout=600
    )
    return [
        " ".join(h["text"].split()) for h in response.json() if h["source"].endswith("Verpackungssteuer.md")
    ]


def check_citations(api: str, auskunft: dict) -> None:
    """Structured citations: the statute, its § and a quote that stands verbatim in one of its chunks."""
    assert auskunft["refused"] is False and auskunft["citations"], auskunft
    statute = [c for c in auskunft["citations"] if c["source"].endswith("KON_Satzung_Verpackungssteuer.md")]
    assert statute, auskunft["citations"]
    for citation in statute:
        assert set(citation) == {"number", "source", "title", "section", "page", "quote"}
        assert "Verpackungssteuer" in citation["title"]
        quote = " ".join(citation["quote"].split())
        assert quote and any(quote in chunk for chunk in statute_chunks(api)), citation
    assert any(c["section"] == "§ 4" for c in statute), statute


def test_models_are_the_answer_styles(api: str, keys: dict[str, str]) -> None:
    ids = [m.id for m in client(api, keys["m.mueller"]).models.list()]
    assert ids == ["auskunft", "auskunft-buergerbuero"]


def test_a_wrong_or_missing_key_is_refused_with_one_line(api: str) -> None:
    with pytest.raises(openai.AuthenticationError) as wrong:
        client(api, "ak-falsch").chat.completions.create(
            model="auskunft", messages=[{"role": "user", "content": QUESTION}]
        )
    assert "auskunft user key" in wrong.value.response.json()["detail"]
    missing = httpx.get(f"{api}/v1/models")
    assert missing.status_code == 401 and "Bearer" in missing.json()["detail"]


def test_unknown_model_and_missing_question_are_one_line_errors(api: str, keys: dict[str, str]) -> None:
    with pytest.raises(openai.NotFoundError) as unknown:
        client(api, keys["m.mueller"]).chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": QUESTION}]
        )
    assert "GET /v1/models" in unknown.value.response.json()["detail"]
    with pytest.raises(openai.UnprocessableEntityError) as empty:
        client(api, keys["m.mueller"]).chat.completions.create(
            model="auskunft", messages=[{"role": "system", "content": "Du bist hilfreich."}]
        )
    assert "role 'user'" in empty.value.response.json()["detail"]


def test_refusal_with_the_desk_key_json_and_stream_and_audited(
    api: str, api_data: Path, keys: dict[str, str]
) -> None:
    """No evidence for the question: refused before the language model (fast), the same as /ask."""
    desk = client(api, keys["k.schmidt"])
    messages = [
        {"role": "system", "content": "Antworte kurz."},
        {"role": "user", "content": "Wie hoch ist die Hundesteuer?"},
        {"role": "assistant", "content": "…"},
        {"role": "user", "content": [{"type": "text", "text": NOT_IN_DOCUMENTS}]},
    ]
    completion = desk.chat.completions.create(model="auskunft", messages=messages)
    content = completion.choices[0].message.content
    assert (
        content
        == httpx.post(
            f"{api}/ask", json={"question": NOT_IN_DOCUMENTS}, auth=as_user("k.schmidt"), timeout=600
        ).json()["answer"]
    )
    assert completion.model_extra["auskunft"] == {
        "citations": [],
        "refused": True,
        "unverified": False,
        "generated": False,
    }
    chunks = list(desk.chat.completions.create(model="auskunft", messages=messages, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == content
    assert chunks[-1].choices[0].finish_reason == "stop" and chunks[-1].model_extra["auskunft"]["refused"]
    records = [r for r in AuditLog(api_data / "audit").records() if r["question"] == NOT_IN_DOCUMENTS]
    desk_name = AuditLog(api_data / "audit").pseudonym("k.schmidt")
    assert [(r["channel"], r["action"], r["role"], r["user"]) for r in records if r["user"] == desk_name] == [
        ("api", "ask", "desk", desk_name)
    ] * 3  # the chat twice, and /ask once for comparison


@pytest.mark.slow
def test_the_openai_client_gets_the_cited_answer(api: str, api_data: Path, keys: dict[str, str]) -> None:
    completion = client(api, keys["m.mueller"]).chat.completions.create(
        model="auskunft", messages=[{"role": "user", "content": QUESTION}]
    )
    content = completion.choices[0].message.content
    assert completion.object == "chat.completion" and completion.choices[0].finish_reason == "stop"
    answer, _, sources = content.partition("\n\n**Quelle")
    assert "0,20" in answer and "[1]" in answer, content
    assert "[1] " in sources and "Verpackungssteuer" in sources and "§ 4" in sources, content
    check_citations(api, completion.model_extra["auskunft"])
    asked = [r for r in AuditLog(api_data / "audit").records() if r["question"] == QUESTION]
    record = [r for r in asked if r["action"] == "ask"][-1]  # (check_citations searched after it)
    assert (record["channel"], record["action"], record["role"]) == ("api", "ask", "staff")
    assert record["user"] == AuditLog(api_data / "audit").pseudonym("m.mueller")


@pytest.mark.slow
def test_the_openai_client_streams_the_cited_answer(api: str, keys: dict[str, str]) -> None:
    """The model's draft streams live as reasoning_content; the checked answer with its sources is the content."""
    stream = client(api, keys["m.mueller"]).chat.completions.create(
        model="auskunft", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    draft = [(c.choices[0].delta.model_extra or {}).get("reasoning_content") for c in chunks]
    assert sum(bool(d) for d in draft) >= 5, "the draft must arrive in pieces while the model writes"
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    answer, _, sources = content.partition("\n\n**Quelle")
    assert "0,20" in answer and "[1]" in answer, content
    assert "Verpackungssteuer" in sources and "§ 4" in sources, content
    assert chunks[-1].choices[0].finish_reason == "stop"
    check_citations(api, chunks[-1].model_extra["auskunft"])
