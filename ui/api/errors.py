"""Every failure of the API as one line of JSON, ``{"detail": "... what to do"}``, with a fitting status.

Known failures (a missing index, an unreachable Qdrant or Ollama server, a model file that is not there,
a second writer) keep the message the CLI prints; anything else is logged with its traceback on the server
and answered with one line that names what failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("ui.api")
T = TypeVar("T")


class ApiError(Exception):
    """A failure with its status and a one-line message for the caller."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers


def status_and_detail(exc: BaseException, settings: Any, doing: str = "The request") -> tuple[int, str]:
    """The HTTP status and one-line message for ``exc``."""
    from config.settings import SettingsError
    from ingest.forget import ForgetError
    from ingest.runner import IndexBusyError
    from pipelines.access import AccessError
    from pipelines.components.llamacpp_chat_generator import GeneratorError
    from pipelines.models import ModelError
    from pipelines.stores import StoreError
    from ui.errors import friendly_error, one_line
    from ui.users import SignInError

    if isinstance(exc, ApiError):
        return exc.status, exc.detail
    if isinstance(exc, ForgetError):
        status = 404
    elif isinstance(exc, IndexBusyError):
        status = 409
    elif isinstance(exc, AccessError):
        status = 400
    elif isinstance(exc, StoreError | ModelError | GeneratorError):
        status = 503
    elif isinstance(exc, SettingsError | SignInError):
        logger.error("%s failed: %s", doing, exc)  # a 500 always leaves its reason in the server log
        status = 500
    elif friendly_error(exc, settings) is not None:
        status = 503  # a server that cannot be reached, an index folder held by another process
    else:
        logger.error("%s failed", doing, exc_info=exc)
        return 500, one_line(exc, settings, doing)
    return status, one_line(exc, settings, doing)


def guarded(settings: Any, doing: str, action: Callable[[], T]) -> T:
    """Run ``action``; any failure becomes an :class:`ApiError` with its status and one-line message."""
    try:
        return action()
    except ApiError:
        raise
    except Exception as exc:
        status, detail = status_and_detail(exc, settings, doing)
        raise ApiError(status, detail) from exc


def error_response(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": " ".join(detail.split())}, status_code=status, headers=headers)


def validation_detail(exc: RequestValidationError) -> str:
    """``Invalid request: body.question: Field required; ...`` in one line."""
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return f"Invalid request ({'; '.join(parts)}); see /openapi.json for the expected input."


def install_handlers(app: Any, settings: Any) -> None:
    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        status, detail = status_and_detail(exc, settings)
        return error_response(status, detail, getattr(exc, "headers", None))

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return error_response(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(422, validation_detail(exc))

    async def anything(request: Request, exc: Exception) -> JSONResponse:
        status, detail = status_and_detail(exc, settings, f"{request.method} {request.url.path}")
        return error_response(status, detail)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(Exception, anything)
