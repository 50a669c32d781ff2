"""The in-process llama.cpp generator with the shipped 1.5B GGUF."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from haystack.components.generators.utils import print_streaming_chunk
from haystack.core.serialization import component_from_dict, component_to_dict
from haystack.dataclasses import ChatMessage, StreamingChunk

from config.settings import load_settings
from pipelines.components.llamacpp_chat_generator import LlamaCppChatGenerator
from pipelines.generators import build_generator
from pipelines.models import ModelError, resolve_gguf
from tests.conftest import MODELS_DIR

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_serialization_round_trip() -> None:
    llm = LlamaCppChatGenerator(
        model_path="/models/x.gguf",
        n_ctx=2048,
        threads=2,
        generation_kwargs={"max_tokens": 50},
        streaming_callback=print_streaming_chunk,
    )
    data = component_to_dict(llm, "llm")
    assert (
        data["init_parameters"]["streaming_callback"]
        == "haystack.components.generators.utils.print_streaming_chunk"
    )
    restored = component_from_dict(LlamaCppChatGenerator, data, "llm")
    assert restored.streaming_callback is print_streaming_chunk
    assert (restored.model_path, restored.n_ctx, restored.threads) == ("/models/x.gguf", 2048, 2)
    assert component_to_dict(restored, "llm") == data


def test_answers_a_german_question_streaming() -> None:
    llm = LlamaCppChatGenerator(
        model_path=str(resolve_gguf(None, MODELS_DIR)),
        generation_kwargs={"max_tokens": 40, "temperature": 0.0},
    )
    chunks: list[StreamingChunk] = []
    reply = llm.run(
        [ChatMessage.from_user("Was ist die Hauptstadt von Deutschland? Antworte in einem Satz.")],
        streaming_callback=chunks.append,
    )["replies"][0]
    assert reply.text and reply.text.strip()
    assert len(chunks) > 3
    assert "".join(c.content for c in chunks) == reply.text
    assert "Berlin" in reply.text


def test_llama_cpp_http_listener_refuses_other_local_callers() -> None:
    """xllamacpp's Server also listens on loopback; without the in-process key nobody may use it."""
    llm = LlamaCppChatGenerator(model_path=str(resolve_gguf(None, MODELS_DIR)))
    llm.warm_up()
    address = llm._server.listening_address
    assert address.startswith("http://127.0.0.1:")
    request = {"messages": [{"role": "user", "content": "Hallo"}], "max_tokens": 1}
    assert httpx.post(f"{address}/v1/chat/completions", json=request, timeout=60).status_code == 401
    guessed = {"Authorization": "Bearer sk-no-key-required"}
    refused = httpx.post(f"{address}/v1/chat/completions", json=request, headers=guessed, timeout=60)
    assert refused.status_code == 401


def test_missing_gguf_file_is_a_one_line_model_error() -> None:
    settings = load_settings("test", generator={"gguf_path": "/nonexistent.gguf"})
    with pytest.raises(ModelError) as error:
        build_generator(settings)
    assert "/nonexistent.gguf" in str(error.value) and "\n" not in str(error.value)


def test_a_warm_up_without_the_model_file_logs_one_line_and_the_question_says_what_to_do(
    konstanz_index: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The page and the API warm up when they start; a missing model file does not stop them: the warm-up
    logs why in one line, and the first question reports the same error the CLI shows."""
    from pipelines.query import QueryService

    settings = load_settings("test", data_dir=konstanz_index, generator={"gguf_path": "/nonexistent.gguf"})
    service = QueryService(settings)
    try:
        with caplog.at_level("WARNING", logger="pipelines.query"):
            service.warm_up_in_background().join(timeout=300)
        [line] = [r.getMessage() for r in caplog.records if "warm-up" in r.getMessage()]
        assert "/nonexistent.gguf" in line and "\n" not in line
        with pytest.raises(ModelError, match="/nonexistent.gguf"):
            service.answer("Wie viel Verpackungssteuer verlangt Konstanz für ein Einwegbesteck?")
    finally:
        service.close()


def _conversation(question: str) -> list[ChatMessage]:
    """A fixed start (instructions, a worked example) and a question, as the answer prompt has them."""
    return [
        ChatMessage.from_system(
            "Du beantwortest Fragen nur mit den Belegen, in einem Satz, mit Belegnummer."
        ),
        ChatMessage.from_user(
            "Belege:\n[1] Freibadsatzung, § 4: Der Eintritt kostet 4,00 Euro.\n\nFrage: Was kostet das Freibad?"
        ),
        ChatMessage.from_assistant("Der Eintritt kostet 4,00 Euro [1]."),
        ChatMessage.from_user(question),
    ]


_FIRST = (
    "Belege:\n[1] Hundesteuersatzung Bad Boll, § 5: Die Steuer beträgt für den ersten Hund 108 Euro im Jahr.\n"
    "[2] Hundesteuersatzung Bad Boll, § 5: Für jeden weiteren Hund beträgt die Steuer 216 Euro.\n\n"
    "Frage: Wie viel Hundesteuer zahle ich in Bad Boll für meinen ersten Hund?"
)
_SECOND = (
    "Belege:\n[1] Friedhofssatzung Aichelberg, § 7: Särge aus Metall oder Hartholz dürfen nicht verwendet werden.\n"
    "[2] Friedhofssatzung Aichelberg, § 9: Die Ruhezeit beträgt 20 Jahre.\n\n"
    "Frage: Wie lange ist die Ruhezeit auf dem Friedhof in Aichelberg?"
)


_FRESH_PROCESS = """
import sys
from pathlib import Path
from tests.integration.test_llamacpp_generator import _FIRST, _conversation
from pipelines.components.llamacpp_chat_generator import LlamaCppChatGenerator
llm = LlamaCppChatGenerator(model_path=sys.argv[1], generation_kwargs={"max_tokens": 30, "cache_prompt": True, "temperature": 0.0})
print(llm.run(_conversation(_FIRST))["replies"][0].text)
"""


def test_a_cached_prompt_start_gives_the_same_answer_whatever_was_asked_before() -> None:
    """With generator.cache_prompt the fixed start of the prompt is evaluated once; a question's answer must
    not depend on what was asked before it (without priming, llama.cpp reused the previous question's
    first tokens too and the same question got another answer: "… für den ersten Hund in Bad Boll …"),
    nor on whether the process is new (a new process primes the same start the same way)."""
    model = str(resolve_gguf(None, MODELS_DIR))
    cached = LlamaCppChatGenerator(
        model_path=model, generation_kwargs={"max_tokens": 30, "cache_prompt": True, "temperature": 0.0}
    )
    first = cached.run(_conversation(_FIRST))["replies"][0].text
    second = cached.run(_conversation(_SECOND))["replies"][0].text
    again = cached.run(_conversation(_FIRST))["replies"][0].text
    twice = cached.run(_conversation(_FIRST))["replies"][0].text
    assert first == again == twice
    assert "108" in first and "20 Jahre" in second
    fresh = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS, model],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout.strip()
    assert fresh == first
    timings = cached.run(_conversation(_SECOND))["replies"][0].meta["timings"]
    # only the question's own message (and the few tokens after the primed start) were read
    assert timings["prompt_n"] < 120


_STATE_PROCESS = """
import json, sys
from tests.integration.test_llamacpp_generator import _FIRST, _conversation
from pipelines.components.llamacpp_chat_generator import LlamaCppChatGenerator
llm = LlamaCppChatGenerator(model_path=sys.argv[1], state_dir=sys.argv[2],
    generation_kwargs={"max_tokens": 30, "cache_prompt": True, "temperature": 0.0})
reply = llm.run(_conversation(_FIRST))["replies"][0]
print(json.dumps({"text": reply.text, "start": reply.meta["prompt_start"]}))
"""


def test_a_new_process_restores_the_primed_start_and_answers_the_same(tmp_path: Path) -> None:
    """generator state_dir: the first process reads the fixed start and keeps its evaluated state; the next
    restores it instead of reading it (seconds on two cores) and answers exactly as a process that read it;
    a damaged state file is read anew and replaced, with the same answer."""
    model = str(resolve_gguf(None, MODELS_DIR))
    repo = Path(__file__).resolve().parents[2]

    # a proxy in the environment must not be used for the process's own loopback listener
    proxied = {
        **os.environ,
        "http_proxy": "http://192.0.2.1:9",
        "HTTP_PROXY": "http://192.0.2.1:9",
        "no_proxy": "",
    }

    def new_process(*args: str) -> dict[str, str]:
        done = subprocess.run(
            [sys.executable, "-c", *args],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=repo,
            check=False,
            env=proxied,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    reading = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS, model], capture_output=True, text=True, check=True, cwd=repo
    ).stdout.strip()
    first = new_process(_STATE_PROCESS, model, str(tmp_path))
    states = list(tmp_path.glob("primed-*.bin"))
    assert first == {"text": reading, "start": "read"} and len(states) == 1
    second = new_process(_STATE_PROCESS, model, str(tmp_path))
    assert second == {"text": reading, "start": "restored"}
    states[0].write_bytes(b"not a llama.cpp state")
    damaged = new_process(_STATE_PROCESS, model, str(tmp_path))
    assert damaged == {"text": reading, "start": "read"}
    assert states[0].stat().st_size > 1_000_000 and list(tmp_path.glob("primed-*")) == states
