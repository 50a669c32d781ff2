"""ui.errors.friendly_error: one actionable line for known failures, None for bugs."""

from __future__ import annotations

from typing import Any

import pytest

from config.settings import SettingsError, load_settings
from ui.errors import friendly_error


def test_ollama_unreachable_names_the_url_and_the_way_out() -> None:
    settings = load_settings("test", generator={"backend": "ollama", "url": "http://gpu-box:11434"})
    message = friendly_error(ConnectionError("[Errno 111] Connection refused"), settings)
    assert message is not None and "\n" not in message
    assert "http://gpu-box:11434" in message
    assert "AUSKUNFT_GENERATOR__BACKEND=llamacpp" in message


def test_qdrant_unreachable() -> None:
    settings = load_settings("docker")
    message = friendly_error(ConnectionError("Connection refused: qdrant:6333"), settings)
    assert message is not None and "http://qdrant:6333" in message and "AUSKUNFT_STORE__URL" in message


def test_connection_error_by_name_without_backend_hint() -> None:
    class ConnectError(Exception):  # httpx raises its own class, not the builtin
        pass

    message = friendly_error(ConnectError("boom"), load_settings("test"))
    assert message is not None and "could not be reached" in message


def test_missing_ollama_model() -> None:
    settings = load_settings("test", generator={"backend": "ollama", "model": "qwen-x"})
    message = friendly_error(RuntimeError("model 'qwen-x' not found"), settings)
    assert message is not None and "'qwen-x'" in message


def test_known_errors_keep_their_message() -> None:
    assert friendly_error(SettingsError("Unknown settings profile 'x'.")) == "Unknown settings profile 'x'."


def test_generic_bug_is_not_hidden() -> None:
    assert friendly_error(KeyError("entries"), load_settings("test")) is None
    assert friendly_error(ValueError("boom")) is None


# -- generator.backend openai: the OpenAI client's errors, as Haystack's pipeline raises them -------------


def _openai_settings() -> Any:
    return load_settings(
        "test",
        generator={"backend": "openai", "openai_url": "http://vllm:8000/v1", "openai_model": "qwen-x"},
    )


def _in_pipeline(error: Exception) -> Exception:
    """The error as QueryService meets it: wrapped by Haystack's pipeline, the original as its cause."""
    from haystack.core.errors import PipelineRuntimeError

    try:
        try:
            raise error
        except Exception as inner:
            raise PipelineRuntimeError.from_exception("llm", object, inner) from inner
    except PipelineRuntimeError as wrapped:
        return wrapped


def _status_error(status: int, body: dict[str, Any]) -> Exception:
    import httpx2
    import openai

    request = httpx2.Request("POST", "http://vllm:8000/v1/chat/completions")
    classes = {401: openai.AuthenticationError, 404: openai.NotFoundError, 400: openai.BadRequestError}
    return classes[status](
        f"Error code: {status} - {body}", response=httpx2.Response(status, request=request), body=body
    )


def test_openai_server_unreachable_names_the_url_and_the_way_out() -> None:
    import httpx2
    import openai

    error = openai.APIConnectionError(request=httpx2.Request("POST", "http://vllm:8000/v1/chat/completions"))
    message = friendly_error(_in_pipeline(error), _openai_settings())
    assert message == (
        "Cannot reach the OpenAI-compatible server at http://vllm:8000/v1; start it or set "
        "AUSKUNFT_GENERATOR__OPENAI_URL to its /v1 URL (or AUSKUNFT_GENERATOR__BACKEND=llamacpp)."
    )


def test_openai_builtin_connection_error_gets_the_same_line() -> None:
    message = friendly_error(ConnectionError("[Errno 111] Connection refused"), _openai_settings())
    assert message is not None and message.startswith(
        "Cannot reach the OpenAI-compatible server at http://vllm"
    )


def test_openai_timeout_says_which_setting_waits() -> None:
    import httpx2
    import openai

    error = openai.APITimeoutError(request=httpx2.Request("POST", "http://vllm:8000/v1/chat/completions"))
    message = friendly_error(_in_pipeline(error), _openai_settings())
    assert message is not None and "did not answer within 120 s" in message
    assert "AUSKUNFT_GENERATOR__TIMEOUT" in message


def test_openai_unknown_model_404_names_the_model_and_where_to_look() -> None:
    # what vLLM answers for a model it does not serve
    body = {"object": "error", "message": "The model `qwen-x` does not exist.", "type": "NotFoundError"}
    message = friendly_error(_in_pipeline(_status_error(404, body)), _openai_settings())
    assert message is not None and "\n" not in message
    assert "'qwen-x'" in message and "HTTP 404: The model `qwen-x` does not exist." in message
    assert "AUSKUNFT_GENERATOR__OPENAI_MODEL" in message and "http://vllm:8000/v1/models" in message


def test_openai_bad_api_key_401() -> None:
    # what llama-server answers for a wrong key
    body = {"error": {"message": "Invalid API Key", "type": "authentication_error", "code": 401}}
    message = friendly_error(_in_pipeline(_status_error(401, body)), _openai_settings())
    assert message == (
        "The OpenAI-compatible server at http://vllm:8000/v1 refused the API key (HTTP 401); "
        "set AUSKUNFT_GENERATOR__API_KEY to a key it accepts."
    )


def test_openai_other_refusal_quotes_the_server_in_one_line() -> None:
    body = {"message": "This model's maximum context length is 4096 tokens.\nPlease reduce the length."}
    message = friendly_error(_in_pipeline(_status_error(400, body)), _openai_settings())
    assert message is not None and "\n" not in message
    assert "answered HTTP 400 (This model's maximum context length is 4096 tokens. Please" in message


def test_openai_errors_only_speak_for_the_openai_backend() -> None:
    body = {"error": {"message": "Invalid API Key"}}
    assert friendly_error(_in_pipeline(_status_error(401, body)), load_settings("test")) is None
    assert friendly_error(KeyError("choices"), _openai_settings()) is None


def _qdrant_answer(status: int, reason: str, content: bytes) -> Exception:
    from httpx import Headers
    from qdrant_client.http.exceptions import UnexpectedResponse

    return UnexpectedResponse(status, reason, content, Headers())


@pytest.mark.parametrize("status", [401, 403])
def test_qdrant_refusing_the_api_key_says_which_setting(status: int) -> None:
    """Qdrant answers 401 to a missing or wrong key (older versions 403); wrapped as pipelines wrap it."""
    settings = load_settings("docker")
    refused = _qdrant_answer(status, "Unauthorized", b"Invalid API key or JWT")
    try:
        try:
            raise refused
        except Exception as inner:
            raise RuntimeError("Error during hybrid search") from inner
    except RuntimeError as wrapped:
        message = friendly_error(wrapped, settings)
    assert message == (
        "The Qdrant server at http://qdrant:6333 refused the API key; set AUSKUNFT_STORE__API_KEY "
        "(QDRANT_API_KEY in .env) to the server's key."
    )


def test_qdrant_strict_mode_missing_index_says_to_reindex() -> None:
    body = b'{"status":{"error":"Bad request: Index required but not found for \\"meta.public\\" ..."}}'
    message = friendly_error(_qdrant_answer(400, "Bad Request", body), load_settings("docker"))
    assert message is not None and "auskunft reindex" in message and "\n" not in message


def test_other_qdrant_answers_are_not_hidden() -> None:
    assert friendly_error(_qdrant_answer(400, "Bad Request", b"{}"), load_settings("docker")) is None
    assert friendly_error(_qdrant_answer(401, "Unauthorized", b""), load_settings("test")) is None  # embedded
