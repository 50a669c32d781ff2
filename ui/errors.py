"""Turn the exceptions a user can meet into one sentence that says what to do."""

from __future__ import annotations

import sys
from typing import Any


def friendly_error(exc: BaseException, settings: object | None = None) -> str | None:
    """A one-line message for known failures, ``None`` for real bugs (which keep their traceback)."""
    from config.settings import SettingsError
    from pipelines.access import AccessError
    from pipelines.components.llamacpp_chat_generator import GeneratorError
    from pipelines.models import ModelError
    from pipelines.stores import StoreError
    from ui.users import SignInError

    if isinstance(exc, SettingsError | StoreError | ModelError | GeneratorError | AccessError | SignInError):
        return str(exc)
    text = f"{exc.__class__.__name__}: {exc}"
    gen = getattr(settings, "generator", None)
    store = getattr(settings, "store", None)
    if store is not None and getattr(store, "url", None):
        qdrant = _qdrant_refusal(exc, store)
        if qdrant:
            return qdrant
    if gen is not None and getattr(gen, "backend", "") == "openai":
        message = _openai_error(exc, gen)
        if message:
            return message
    if "already accessed by another instance" in text:
        return "The index folder is in use by another process; stop it or use a different AUSKUNFT_DATA_DIR."
    connection = isinstance(exc, ConnectionError) or any(
        word in text
        for word in (
            "ConnectError",
            "Connection refused",
            "ConnectTimeout",
            "Failed to connect",
            "ResponseHandlingException",
        )
    )
    if connection:
        if (
            store is not None
            and getattr(store, "url", None)
            and ("6333" in text or "qdrant" in text.lower() or "ResponseHandling" in text)
        ):
            return f"Cannot reach the Qdrant server at {store.url}; start it (docker compose up -d qdrant) or unset AUSKUNFT_STORE__URL to use the embedded index."
        if gen is not None and getattr(gen, "backend", "") == "ollama":
            return f"Cannot reach Ollama at {gen.url}; start it (docker compose up -d ollama) or set AUSKUNFT_GENERATOR__BACKEND=llamacpp."
        if gen is not None and getattr(gen, "backend", "") == "openai":
            return _openai_unreachable(gen)
        return f"A server could not be reached ({text[:160]}); check the URLs in your settings."
    if (
        "model" in text.lower()
        and "not found" in text.lower()
        and gen is not None
        and getattr(gen, "backend", "") == "ollama"
    ):
        return f"Ollama has no model '{gen.model}'; create or pull it on the Ollama server (see docs/operations.md) or set AUSKUNFT_GENERATOR__MODEL."
    return None


def _openai_unreachable(gen: Any) -> str:
    return (
        f"Cannot reach the OpenAI-compatible server at {gen.openai_url}; start it or set "
        "AUSKUNFT_GENERATOR__OPENAI_URL to its /v1 URL (or AUSKUNFT_GENERATOR__BACKEND=llamacpp)."
    )


def _server_said(exc: Any) -> str:
    """The server's own error text (OpenAI's ``{"error": {"message": ...}}``, vLLM's, FastAPI's ``detail``)."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        text = (inner.get("message") or inner.get("detail")) if isinstance(inner, dict) else inner
        if text:
            return " ".join(str(text).split())[:160]
    return " ".join(str(getattr(exc, "message", exc)).split())[:160]


def _openai_error(exc: BaseException, gen: Any) -> str | None:
    """One line for the OpenAI client's errors (generator.backend openai), found anywhere in the chain."""
    if "openai" not in sys.modules:  # no request was made, so no error of the client can be here
        return None
    import openai

    url = gen.openai_url
    for cause in _causes(exc):
        if isinstance(cause, openai.APITimeoutError):
            return (
                f"The OpenAI-compatible server at {url} did not answer within {gen.timeout} s; check its load "
                "or raise AUSKUNFT_GENERATOR__TIMEOUT."
            )
        if isinstance(cause, openai.APIConnectionError):
            return _openai_unreachable(gen)
        if isinstance(cause, openai.AuthenticationError | openai.PermissionDeniedError):
            return (
                f"The OpenAI-compatible server at {url} refused the API key (HTTP {cause.status_code}); "
                "set AUSKUNFT_GENERATOR__API_KEY to a key it accepts."
            )
        if isinstance(cause, openai.NotFoundError):
            return (
                f"The OpenAI-compatible server at {url} has no model '{gen.openai_model}' (HTTP 404: "
                f"{_server_said(cause)}); set AUSKUNFT_GENERATOR__OPENAI_MODEL to one it serves "
                f"({url.rstrip('/')}/models lists them) and check that the URL ends in /v1."
            )
        if isinstance(cause, openai.APIStatusError):
            return (
                f"The OpenAI-compatible server at {url} answered HTTP {cause.status_code} "
                f"({_server_said(cause)}); see the server's log."
            )
    return None


def one_line(exc: BaseException, settings: object | None = None, doing: str = "Auskunft") -> str:
    """Always one line for the page: the known message, else what failed and the exception's first line."""
    known = friendly_error(exc, settings)
    if known:
        return known.splitlines()[0]
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    return f"{doing} failed ({exc.__class__.__name__}{': ' + first if first else ''}); see the server log."


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what caused it (Haystack pipelines and document stores wrap the client's error)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _qdrant_refusal(exc: BaseException, store: object) -> str | None:
    """A Qdrant server that answered but refused: the API key (401; older Qdrant versions answer 403), or a filter
    on a field without payload index in strict mode (400)."""
    url = getattr(store, "url", "")
    for cause in _causes(exc):
        status = getattr(cause, "status_code", None)
        if cause.__class__.__name__ != "UnexpectedResponse" or status is None:
            continue
        if status in (401, 403):
            return (
                f"The Qdrant server at {url} refused the API key; set AUSKUNFT_STORE__API_KEY "
                "(QDRANT_API_KEY in .env) to the server's key."
            )
        if status == 400 and "Index required but not found" in str(cause):
            return (
                f"The Qdrant server at {url} requires payload indexes (strict mode) that the collection lacks; "
                "run `auskunft reindex` to create them."
            )
    return None
