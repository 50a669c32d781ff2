"""ui.errors.friendly_error: one actionable line for known failures, None for bugs."""

from __future__ import annotations

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
