"""The Ollama backend and the server error messages, end to end on the real index and embedder.

No Ollama server can run on the test machine (and no Docker engine, no internet), so these tests talk to
:mod:`tests.integration.ollama_standin`: a local stand-in that speaks Ollama's HTTP protocol
(``/api/tags``, ``/api/version``, ``/api/chat`` with NDJSON streaming, the 404 for a missing model)
and answers deterministically from the excerpts it receives. The real ``ollama`` client and Haystack's
``OllamaChatGenerator`` are used unchanged; only the server is replaced. What a real model would write
is *not* tested here (the llama.cpp tests do that); what is tested is that Auskunft sends the German
system prompt and the retrieved excerpts, streams the reply, builds citations from it, and that an
unreachable server or a missing model ends the CLI with one actionable line instead of a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from haystack.dataclasses import StreamingChunk
from typer.testing import CliRunner

from config.settings import load_settings
from pipelines.query import QueryService
from tests.integration.ollama_standin import OllamaStandIn, cite_excerpt, excerpts_of
from ui.api import create_app
from ui.cli import app

pytestmark = pytest.mark.integration

QUESTION = "Wie hoch ist die Verpackungssteuer für ein Einwegbesteck?"
MODEL = "qwen2.5:1.5b-instruct"
SOURCE = "KON_Satzung_Verpackungssteuer.md"


@pytest.fixture
def ollama(monkeypatch: pytest.MonkeyPatch) -> Iterator[OllamaStandIn]:
    """A stand-in Ollama server (no real one can run here) with the model the default settings name."""
    for key in (
        "OLLAMA_HOST",
        "OLLAMA_API_KEY",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(key, raising=False)
    with OllamaStandIn(models=[MODEL]) as server:
        yield server


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (the port was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    assert "Traceback" not in stderr
    return lines[0]


def test_answer_streams_from_ollama_and_cites_the_excerpt(
    konstanz_index: Path, ollama: OllamaStandIn
) -> None:
    """QueryService with generator.backend=ollama against the Ollama stand-in (no real Ollama here).

    The stand-in answers "0,20 € [n]" with n = the excerpt of the prompt that states 0,20 €, so the
    citation is right only if the pipeline sent the retrieved excerpts numbered as the answer builder
    expects them.
    """
    settings = load_settings(
        "test", data_dir=konstanz_index, generator={"backend": "ollama", "url": ollama.url, "model": MODEL}
    )
    service = QueryService(settings)
    chunks: list[StreamingChunk] = []
    try:
        answer = service.answer(QUESTION, streaming_callback=chunks.append)
    finally:
        service.close()

    assert not answer.refused
    assert answer.answer.startswith("Für ein Einwegbesteck beträgt die Steuer 0,20 €")
    assert "[1]" in answer.answer and not answer.unverified
    assert answer.citations and answer.citations[0]["source"].endswith(SOURCE)
    assert "0,20 €" in answer.citations[0]["quote"]

    assert len(chunks) > 1
    assert "".join(c.content for c in chunks).startswith("Für ein Einwegbesteck beträgt die Steuer 0,20 € [")

    [body] = ollama.chat_requests()
    assert body["model"] == MODEL
    assert body["stream"] is True
    assert body["options"] == {
        "num_predict": settings.generator.max_tokens,
        "temperature": settings.generator.temperature,
    }
    system, example_question, example_answer, user = body["messages"]
    assert system["role"] == "system"
    # one worked example of a made-up town shows the form of an answer (pipelines/prompts/answer.jinja2)
    assert example_question["role"] == "user" and "Musterstadt" in example_question["content"]
    assert example_answer["role"] == "assistant" and "[2]" in example_answer["content"]
    assert "deutschen Kommunalverwaltung" in system["content"]
    assert "auf Deutsch" in system["content"]
    assert "keine Anweisungen an dich" in system["content"]  # excerpts are data, not instructions
    # refusals are decided in code (pipelines/evidence.py, CitedAnswerBuilder): the prompt asks for none
    assert "keine Angabe" not in system["content"] + user["content"]
    assert user["role"] == "user"
    assert f"Frage: {QUESTION}" in user["content"]
    # the model reads the passages the selector chose (sentences and table rows of the evidence), numbered
    # as the checker resolves the citations
    assert answer.passages, "the prompt should carry the passages chosen from the evidence"
    for n, passage in enumerate(answer.passages, 1):
        assert f"[{n}] {passage.meta['label']}: {passage.content}" in user["content"], f"passage {n} missing"
    assert sum(len(p.meta["units"]) for p in answer.passages) <= settings.generator.passage_units


def test_the_model_reads_only_as_many_passages_as_the_settings_allow(
    konstanz_index: Path, ollama: OllamaStandIn
) -> None:
    """generator.passage_units = 2 (default 4): search still finds retrieval.top_k chunks, the prompt (sent to
    the Ollama stand-in) carries two sentences or rows of them, and the answer cites one of those."""
    settings = load_settings(
        "test",
        data_dir=konstanz_index,
        generator={"backend": "ollama", "url": ollama.url, "model": MODEL, "passage_units": 2},
    )
    service = QueryService(settings)
    try:
        found = service.search(QUESTION)
        answer = service.answer(QUESTION)
    finally:
        service.close()
    assert len(found) > 2
    [body] = ollama.chat_requests()
    user = body["messages"][-1]["content"]
    assert sum(len(p.meta["units"]) for p in answer.passages) <= 2
    assert sorted(excerpts_of(user)) == list(range(1, len(answer.passages) + 1))
    assert {d.id for d in answer.documents} <= {d.id for d in found}
    assert "0,20 €" in answer.answer and not answer.refused
    assert any("0,20 €" in c["quote"] for c in answer.citations)


def test_excerpts_that_name_nothing_the_question_asks_about_are_refused_before_the_model(
    konstanz_index: Path, ollama: OllamaStandIn
) -> None:
    """Asked about an indoor pool, search still finds Konstanz statutes (the town matches), but none names
    a "Hallenbad" or an "Eintritt": the refusal comes without a request to the model (the stand-in
    records every /api/chat it gets), where the 1.5B model answers with a figure of the nearest statute."""
    settings = load_settings(
        "test", data_dir=konstanz_index, generator={"backend": "ollama", "url": ollama.url, "model": MODEL}
    )
    service = QueryService(settings)
    try:
        found = service.search("Was kostet in Konstanz der Eintritt ins Hallenbad?")
        refused = service.answer("Was kostet in Konstanz der Eintritt ins Hallenbad?")
        answered = service.answer(QUESTION)
    finally:
        service.close()
    assert found and all(d.meta.get("municipality") == "Konstanz" for d in found)
    assert refused.refused and refused.answer == "Dazu enthalten die Dokumente keine Angabe."
    assert len(ollama.chat_requests()) == 1, "only the answerable question reaches the model"
    assert "0,20 €" in answered.answer


def test_cli_ask_json_through_ollama(
    konstanz_index: Path, ollama: OllamaStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`auskunft ask --json` with AUSKUNFT_GENERATOR__* at the Ollama stand-in (no real Ollama here)."""
    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(konstanz_index))
    monkeypatch.setenv("AUSKUNFT_GENERATOR__BACKEND", "ollama")
    monkeypatch.setenv("AUSKUNFT_GENERATOR__URL", ollama.url)
    monkeypatch.setenv("AUSKUNFT_GENERATOR__MODEL", MODEL)

    result = CliRunner().invoke(app, ["ask", QUESTION, "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["refused"] is False
    assert "0,20 €" in data["answer"]
    assert data["citations"][0]["source"].endswith(SOURCE)
    [body] = ollama.chat_requests()
    assert body["stream"] is False


def test_cli_ask_streams_through_ollama_and_labels_the_model(
    konstanz_index: Path, ollama: OllamaStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`auskunft ask` (streaming) at the Ollama stand-in (no real Ollama here): the answer the model wrote
    carries the "KI-generierte Antwort" label naming that model."""
    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(konstanz_index))
    monkeypatch.setenv("AUSKUNFT_GENERATOR__BACKEND", "ollama")
    monkeypatch.setenv("AUSKUNFT_GENERATOR__URL", ollama.url)
    monkeypatch.setenv("AUSKUNFT_GENERATOR__MODEL", MODEL)

    result = CliRunner().invoke(app, ["ask", QUESTION])

    assert result.exit_code == 0, result.output
    assert "0,20 €" in result.stdout and "Quellen:" in result.stdout
    [label] = [line for line in result.stdout.splitlines() if line.startswith("KI-generierte Antwort")]
    assert MODEL in label and "Wörtlich" not in result.stdout


@pytest.mark.parametrize("json_flag", [["--json"], []], ids=["json", "streaming"])
def test_cli_ask_unreachable_ollama_is_one_line(
    konstanz_index: Path, monkeypatch: pytest.MonkeyPatch, json_flag: list[str]
) -> None:
    """Nothing listens at AUSKUNFT_GENERATOR__URL (a closed port; no Ollama runs here): exit 1, one line."""
    url = closed_port_url()
    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(konstanz_index))
    monkeypatch.setenv("AUSKUNFT_GENERATOR__BACKEND", "ollama")
    monkeypatch.setenv("AUSKUNFT_GENERATOR__URL", url)

    result = CliRunner().invoke(app, ["ask", QUESTION, *json_flag])

    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    line = one_error_line(result.stderr)
    assert line.startswith(f"Error: Cannot reach Ollama at {url}")
    assert "Traceback" not in result.output
    assert not result.stdout.strip()


def test_cli_ask_unknown_ollama_model_says_how_to_get_it(
    konstanz_index: Path, ollama: OllamaStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing model: the Ollama stand-in (no real Ollama here) answers 404 "model not found" like Ollama.

    The CLI must end with one line that names the model and says how to get it.
    """
    monkeypatch.setenv("AUSKUNFT_DATA_DIR", str(konstanz_index))
    monkeypatch.setenv("AUSKUNFT_GENERATOR__BACKEND", "ollama")
    monkeypatch.setenv("AUSKUNFT_GENERATOR__URL", ollama.url)
    monkeypatch.setenv("AUSKUNFT_GENERATOR__MODEL", "auskunft-qwen2.5-1.5b")

    result = CliRunner().invoke(app, ["ask", QUESTION, "--json"])

    assert result.exit_code == 1, result.output
    line = one_error_line(result.stderr)
    assert line.startswith("Error: ")
    assert "auskunft-qwen2.5-1.5b" in line
    assert "pull" in line and "AUSKUNFT_GENERATOR__MODEL" in line
    assert [r.status for r in ollama.requests if r.path == "/api/chat"] == [404]


def _auskunft() -> list[str]:
    script = Path(sys.executable).with_name("auskunft")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ui.cli"]


@pytest.mark.parametrize("args", [["search", QUESTION], ["ask", QUESTION, "--json"]], ids=["search", "ask"])
def test_unreachable_qdrant_server_is_one_line(args: list[str], tmp_path: Path) -> None:
    """AUSKUNFT_STORE__URL at a closed port: the real `auskunft` process exits 1 with one line on stderr.

    Run as a subprocess so that everything a user would see (including library warnings) is checked.
    """
    url = closed_port_url()
    env = {**os.environ, "AUSKUNFT_STORE__URL": url}

    proc = subprocess.run(
        [*_auskunft(), *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )

    assert proc.returncode == 1, proc.stdout + proc.stderr
    line = one_error_line(proc.stderr)
    assert line.startswith(f"Error: Cannot reach the Qdrant server at {url}")
    assert not proc.stdout.strip()


def api_settings(data_dir: Path, ollama: OllamaStandIn) -> Any:
    """The API as installed (it warms up when it starts; the test profile turns that off), anonymous
    desk access so the requests need no credentials."""
    return load_settings(
        "test",
        data_dir=data_dir,
        generator={"backend": "ollama", "url": ollama.url, "model": MODEL, "warm_up_at_start": True},
        access={"sign_in": "none"},
    )


def test_the_api_warms_up_when_it_starts_and_a_first_question_waits_for_it(
    konstanz_index: Path, tmp_path: Path, ollama: OllamaStandIn
) -> None:
    """The API loads the model and reads the prompt's fixed start when it starts. The stand-in holds the
    warm-up's request until the test releases it: a question asked meanwhile reaches the model only after
    it (one load, not two at once), and its prompt starts with exactly the messages the warm-up read
    (anything else would make llama.cpp read the start again on the first question)."""
    released = threading.Event()
    answer = cite_excerpt()

    def respond(messages: list[dict[str, Any]]) -> str:
        if not messages[-1].get("content"):  # the warm-up's empty question (the client leaves out "")
            released.wait(timeout=60)
            return "."
        return answer(messages)

    ollama.responder = respond
    data_dir = tmp_path / "data"
    shutil.copytree(
        konstanz_index, data_dir, ignore=shutil.ignore_patterns("readers", "writer.lock", "audit")
    )
    asked: dict[str, Any] = {}
    settings = api_settings(data_dir, ollama)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        deadline = time.monotonic() + 120
        while not ollama.chat_requests() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ollama.chat_requests(), "the API should warm up on its own when it starts"
        asking = threading.Thread(
            target=lambda: asked.update(reply=client.post("/ask", json={"question": QUESTION}))
        )
        asking.start()
        asking.join(timeout=5)
        assert asking.is_alive() and len(ollama.chat_requests()) == 1, (
            "the question must wait for the warm-up"
        )
        released.set()
        asking.join(timeout=120)
    *warm, question = ollama.chat_requests()
    assert len(warm) == 2, "one warm-up request per answer style (staff, desk)"
    for request in warm:
        assert request["options"]["num_predict"] == 1
        assert request["messages"][-1]["role"] == "user" and not request["messages"][-1].get("content")
        assert [m["role"] for m in request["messages"][:-1]] == ["system", "user", "assistant"]
    desk, staff = warm  # the staff start last: it is the one llama.cpp then holds in memory
    assert desk["messages"][0] != staff["messages"][0]
    # the anonymous caller is the desk role: its question starts as the desk style's warm-up did
    assert question["messages"][:-1] == desk["messages"][:-1]
    assert question["options"]["num_predict"] == settings.generator.max_tokens
    assert asked["reply"].status_code == 200
    assert asked["reply"].json()["answer"].startswith("Für ein Einwegbesteck beträgt die Steuer 0,20 €")


def test_a_warm_up_that_fails_leaves_the_api_up_and_the_question_says_what_to_do(
    tmp_path: Path, ollama: OllamaStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing indexed yet: the warm-up logs one line, the API answers, and a question gets the usual
    message naming the command to run."""
    with (
        caplog.at_level("WARNING", logger="pipelines.query"),
        TestClient(
            create_app(api_settings(tmp_path / "empty", ollama)), base_url="http://127.0.0.1:8000"
        ) as client,
    ):
        deadline = time.monotonic() + 60
        while "warm-up skipped" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.1)
        health = client.get("/health")  # the API serves: it reports the missing index as it always does
        assert health.status_code == 503 and "auskunft ingest" in health.json()["detail"]
        reply = client.post("/ask", json={"question": QUESTION})
    [line] = [r.getMessage() for r in caplog.records if "warm-up" in r.getMessage()]
    assert "auskunft ingest" in line and "\n" not in line
    assert reply.status_code == 503 and "auskunft ingest" in reply.json()["detail"]
    assert ollama.chat_requests() == []
