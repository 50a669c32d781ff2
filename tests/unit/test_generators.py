"""pipelines.generators.build_generator: the backend the settings choose, configured as documented.

Only construction is tested here (no request is sent); tests/integration/test_openai_backend.py talks to a
real llama.cpp server over HTTP.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from config.settings import Settings, SettingsError, load_settings
from pipelines.generators import NO_API_KEY, build_generator, direct_http_client_kwargs, generator_label


def openai_settings(**generator: object) -> Settings:
    return load_settings(
        "test",
        generator={
            "backend": "openai",
            "openai_url": "http://vllm:8000/v1",
            "openai_model": "qwen",
            **generator,
        },
    )


def test_openai_backend_is_haystacks_openai_chat_generator_at_the_configured_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from haystack.components.generators.chat import OpenAIChatGenerator

    monkeypatch.setenv("OPENAI_API_KEY", "sk-a-real-openai-key")  # must not be sent to a local server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    settings = openai_settings()
    llm = build_generator(settings)

    assert isinstance(llm, OpenAIChatGenerator)
    assert llm.api_base_url == "http://vllm:8000/v1"
    assert llm.model == "qwen"
    assert llm.api_key.resolve_value() == NO_API_KEY
    assert llm.timeout == 120.0 and llm.max_retries == 0
    assert llm.generation_kwargs == {
        "max_tokens": 200,  # the test profile's
        "temperature": 0.0,
        "extra_body": {"cache_prompt": False},
    }
    assert llm.http_client_kwargs == {"trust_env": False}


def test_openai_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUSKUNFT_GENERATOR__BACKEND", "openai")
    monkeypatch.setenv("AUSKUNFT_GENERATOR__OPENAI_URL", "http://llama-box:8080/v1")
    monkeypatch.setenv("AUSKUNFT_GENERATOR__OPENAI_MODEL", "qwen2.5-7b-instruct")
    monkeypatch.setenv("AUSKUNFT_GENERATOR__API_KEY", "s3cret")
    monkeypatch.setenv("AUSKUNFT_GENERATOR__TIMEOUT", "30")
    settings = load_settings("test")

    llm = build_generator(settings)

    assert (llm.api_base_url, llm.model, llm.timeout) == (
        "http://llama-box:8080/v1",
        "qwen2.5-7b-instruct",
        30.0,
    )
    assert llm.api_key.resolve_value() == "s3cret"
    # the Ollama settings keep their meaning next to the new ones
    assert (settings.generator.url, settings.generator.model) == (
        "http://localhost:11434",
        "qwen2.5:1.5b-instruct",
    )


def test_openai_without_model_name_is_a_one_line_settings_error() -> None:
    settings = load_settings("test", generator={"backend": "openai"})
    with pytest.raises(SettingsError) as error:
        build_generator(settings)
    assert "AUSKUNFT_GENERATOR__OPENAI_MODEL" in str(error.value) and "\n" not in str(error.value)


def test_openai_backend_always_reads_the_whole_prompt() -> None:
    # cache_prompt is the embedded model's priming; over HTTP a reused prefix would change the answers
    for cache_prompt in (True, False):
        llm = build_generator(openai_settings(cache_prompt=cache_prompt))
        assert llm.generation_kwargs["extra_body"] == {"cache_prompt": False}


def test_llamacpp_gets_the_same_prompt_cache_setting(tmp_path: Path) -> None:
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")  # only the path is checked when the generator is built; nothing is loaded
    llm = build_generator(load_settings("test", generator={"gguf_path": str(gguf)}))
    assert llm.generation_kwargs["cache_prompt"] is True  # the default: the instructions are primed once
    llm = build_generator(load_settings("test", generator={"gguf_path": str(gguf), "cache_prompt": False}))
    assert llm.generation_kwargs["cache_prompt"] is False


def test_direct_http_client_honours_an_internal_ca_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    import certifi

    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    kwargs = direct_http_client_kwargs()
    assert kwargs["trust_env"] is False
    assert isinstance(kwargs["verify"], ssl.SSLContext)


def test_label_for_the_ai_notice() -> None:
    assert generator_label(openai_settings()) == "qwen (OpenAI-compatible server, http://vllm:8000/v1)"
    assert generator_label(load_settings("docker")) == "auskunft-qwen2.5-1.5b (Ollama, http://ollama:11434)"
