"""The in-process llama.cpp generator with the shipped 1.5B GGUF."""

from __future__ import annotations

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
