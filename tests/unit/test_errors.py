"""ui.errors.friendly_error: one actionable line for known failures, None for bugs."""

from __future__ import annotations

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
