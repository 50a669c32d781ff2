"""generator.backend openai against a real llama.cpp HTTP server on loopback, with the shipped 1.5B GGUF.

The server is llama.cpp's own ``llama-server`` code, started in this process by xllamacpp
(``xllamacpp.Server`` with ``CommonParams().port``/``.hostnames``/``.api_keys``): the genuine
OpenAI-compatible ``/v1/chat/completions`` with SSE streaming and API-key checks, not a stand-in. Auskunft
talks to it with Haystack's ``OpenAIChatGenerator`` and the ``openai`` client over HTTP, exactly as it
would talk to a llama-server or vLLM in a data centre. Not covered here: vLLM itself (no GPU here) and the
404 for an unknown model, which llama-server never sends (one loaded model answers to any name); the
404 message is tested in tests/unit/test_errors.py with the body vLLM sends.
"""

from __future__ import annotations

import gc
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from haystack.dataclasses import ChatMessage, StreamingChunk

from config.settings import Settings, load_settings
from pipelines.generators import build_generator
from pipelines.models import resolve_gguf
from pipelines.query import QueryService
from tests.conftest import MODELS_DIR

pytestmark = pytest.mark.integration

QUESTION = "Wie viel Verpackungssteuer verlangt Konstanz für ein Einwegbesteck?"
SOURCE = "KON_Satzung_Verpackungssteuer.md"
API_KEY = "test-key-for-llama-server"
MODEL = "auskunft-test"


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    """llama.cpp's HTTP server on 127.0.0.1 and a free port, with an API key; yields its /v1 URL."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(resolve_gguf(None, MODELS_DIR))
    params.model_alias = {MODEL}
    params.n_ctx = 4096
    params.n_parallel = 1
    threads = os.cpu_count() or 2
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.verbosity = -1
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # the system picks a free port; listening_address tells which
    params.api_keys = [API_KEY]
    server = xllamacpp.Server(params)
    try:
        yield f"{server.listening_address}/v1"
    finally:
        del server
        gc.collect()  # the server stops listening when it is freed


def openai_settings(data_dir: Path, url: str, **overrides: object) -> Settings:
    generator = {"backend": "openai", "openai_url": url, "openai_model": MODEL, "api_key": API_KEY}
    # the server reads the prompt on the same two cores as the rest of the suite: wait as long as it takes
    return load_settings(
        "test", data_dir=data_dir, models_dir=MODELS_DIR, generator={**generator, "timeout": 900}, **overrides
    )


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (the port was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def ask_in_a_process(data_dir: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The real `auskunft ask` as a user runs it, so that everything on stderr (warnings too) is seen."""
    settings = {
        "AUSKUNFT_DATA_DIR": str(data_dir),
        "AUSKUNFT_GENERATOR__BACKEND": "openai",
        "AUSKUNFT_GENERATOR__OPENAI_MODEL": MODEL,
    }
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", "ask", QUESTION, "--json"],
        env={**os.environ, **settings, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.slow
def test_answer_streams_from_the_server_and_cites_the_statute(
    konstanz_index: Path, llama_server: str
) -> None:
    """The query pipeline's streaming callback receives the tokens as the server sends them (SSE).

    Three excerpts instead of five keep the prompt, and so the test, short.
    """
    service = QueryService(openai_settings(konstanz_index, llama_server, retrieval={"top_k": 3}))
    chunks: list[StreamingChunk] = []
    try:
        answer = service.answer(QUESTION, streaming_callback=chunks.append)
    finally:
        service.close()

    assert not answer.refused
    assert "0,20" in answer.answer
    assert re.search(r"\[\d+\]", answer.answer), "the answer cites its excerpts as [n]"
    assert not answer.unverified
    cited = {Path(c["source"]).name for c in answer.citations}
    assert SOURCE in cited
    statute = next(c for c in answer.citations if c["source"].endswith(SOURCE))
    assert any(statute["quote"] in (d.content or "") for d in answer.documents), "quote must be verbatim"
    streamed = [c.content for c in chunks if c.content]
    assert len(streamed) > 3, "the answer must arrive token by token"
    assert "0,20" in "".join(streamed)


@pytest.mark.slow
def test_one_question_gives_one_reply_whatever_came_before(tmp_path: Path, llama_server: str) -> None:
    """The server is told not to reuse its cached prompt prefix (generator.cache_prompt false).

    llama-server reuses the prefix by default, and a reused prefix changes the logits: with this model,
    "Was ist eine Satzung?" gave "Eine Satz" on a fresh prompt and "Eine Satzung" when the prompt came
    from the cache (measured while building this backend). So the second, identical request must read
    the whole prompt again (no cached tokens) and reply word for word as the first.
    """
    llm = build_generator(openai_settings(tmp_path, llama_server))
    messages = [
        ChatMessage.from_system("Du bist ein Assistent der deutschen Kommunalverwaltung. Antworte kurz."),
        ChatMessage.from_user("Was ist eine Satzung?"),
    ]
    first, second = (llm.run(messages, generation_kwargs={"max_tokens": 4})["replies"][0] for _ in range(2))

    assert second.meta["usage"]["prompt_tokens_details"]["cached_tokens"] == 0
    assert first.meta["usage"]["prompt_tokens"] == second.meta["usage"]["prompt_tokens"] > 20
    assert first.text and first.text == second.text


def test_cli_ask_at_a_closed_port_is_one_line(konstanz_index: Path, tmp_path: Path) -> None:
    """Nothing listens at AUSKUNFT_GENERATOR__OPENAI_URL: the `auskunft` process exits 1 with one line."""
    url = f"{closed_port_url()}/v1"

    proc = ask_in_a_process(konstanz_index, tmp_path, AUSKUNFT_GENERATOR__OPENAI_URL=url)

    assert proc.returncode == 1, proc.stdout + proc.stderr
    line = one_error_line(proc.stderr)
    assert line == (
        f"Error: Cannot reach the OpenAI-compatible server at {url}; start it or set "
        "AUSKUNFT_GENERATOR__OPENAI_URL to its /v1 URL (or AUSKUNFT_GENERATOR__BACKEND=llamacpp)."
    )
    assert not proc.stdout.strip()


@pytest.mark.slow
def test_cli_ask_with_a_wrong_api_key_is_one_line_and_goes_past_no_proxy(
    konstanz_index: Path, llama_server: str, tmp_path: Path
) -> None:
    """The server checks its key (401); proxy variables point at a closed port and must not be used.

    Were the request sent through the proxy, the answer would be "Cannot reach ..." instead of the 401:
    questions and excerpts go to generator.openai_url and nowhere else.
    """
    proxy = closed_port_url()
    proxies = {key: proxy for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy")}

    proc = ask_in_a_process(
        konstanz_index,
        tmp_path,
        AUSKUNFT_GENERATOR__OPENAI_URL=llama_server,
        AUSKUNFT_GENERATOR__API_KEY="wrong-key",
        NO_PROXY="",
        no_proxy="",
        **proxies,
    )

    assert proc.returncode == 1, proc.stdout + proc.stderr
    line = one_error_line(proc.stderr)
    assert line == (
        f"Error: The OpenAI-compatible server at {llama_server} refused the API key (HTTP 401); "
        "set AUSKUNFT_GENERATOR__API_KEY to a key it accepts."
    )
    assert not proc.stdout.strip()
