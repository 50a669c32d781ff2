"""``create_app(settings)``: the FastAPI application behind ``auskunft api``.

>>> from config.settings import load_settings
>>> app = create_app(load_settings())
>>> "/ask" in app.openapi()["paths"]
True
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config.settings import Settings
from pipelines.query import QueryService
from ui.api import index, openai_chat, questions
from ui.api.deps import ApiState
from ui.api.errors import error_response, install_handlers
from ui.api.metrics import MetricsMiddleware
from ui.guard import host_refusal, origin_refusal

DESCRIPTION = """Questions about municipal statutes, decisions and minutes, answered from the local index with
citations; nothing leaves the machine. Sign-in and roles as in the page (`access.sign_in`): HTTP Basic for
local users (`auskunft user add`; the default) or their API keys (`auskunft user key NAME`, sent as
`Authorization: Bearer KEY`), headers from a trusted reverse proxy, or none (read-only desk role). Chat front
ends and the `openai` client use the OpenAI-compatible `/v1/chat/completions` and `/v1/models`. POST bodies are JSON (`Content-Type: application/json`); an upload to /ingest as a multipart form needs
the header `X-Requested-With` (any value). Requests from other sites and to other host names than
`access.allowed_hosts` are refused. Errors are one line: `{"detail": "..."}`."""

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
FORM_HEADER = "x-requested-with"


class RequestGuard:
    """Before anything else: the Host must be one of ``access.allowed_hosts`` (DNS rebinding), and a request
    that changes something must not come from another site (``Origin``, ``Sec-Fetch-Site``) and must send
    JSON, or a multipart form with ``X-Requested-With``, which a cross-site page cannot send (CSRF)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self.refusal(scope["method"], headers)
        if refusal is not None:
            await error_response(*refusal)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def refusal(self, method: str, headers: dict[str, str]) -> tuple[int, str] | None:
        host = headers.get("host")
        if reason := host_refusal(self.settings, host):
            return 400, reason
        if method not in UNSAFE:
            return None
        if reason := origin_refusal(headers.get("origin"), host, headers.get("sec-fetch-site")):
            return 403, reason
        if method != "POST":
            return None
        kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind == "application/json":
            return None
        if kind == "multipart/form-data":
            if headers.get(FORM_HEADER, "").strip():
                return None
            return 403, (
                "A form upload needs the header X-Requested-With (any value, which a cross-site page cannot "
                "send), e.g. curl -H 'X-Requested-With: curl' -F files=@FILE."
            )
        return 415, (
            f"Send the body as JSON with Content-Type: application/json (not {kind or 'no content type'}); "
            "uploads to /ingest as multipart/form-data."
        )


class BodyLimit:
    """Refuses request bodies over ``api.max_request_mb`` (413) before they are read into memory or disk."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = (
            f"The request is larger than api.max_request_mb ({self.max_bytes // (1024 * 1024)} MB); "
            "send fewer or smaller files."
        )
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await error_response(413, detail)(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise HTTPException(413, detail)  # also while FastAPI reads a JSON body
            return message

        await self.app(scope, counting_receive, send)


def create_app(settings: Settings, service: QueryService | None = None) -> FastAPI:
    """The API on ``settings``; one :class:`QueryService` (opened on the first question) serves all requests."""
    state = ApiState(settings, service or QueryService(settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.generator.warm_up_at_start:
            state.service.warm_up_in_background()  # the first /ask need not wait for the models to load
        yield
        state.service.close()  # removes its private snapshot of the index

    app = FastAPI(
        title="Auskunft",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # the interactive docs would load their scripts from a CDN: nothing leaves the machine, so only
        # the spec is served (/openapi.json)
        docs_url=None,
        redoc_url=None,
    )
    app.state.api = state
    install_handlers(app, settings)
    app.include_router(questions.router)
    app.include_router(index.router)
    app.include_router(openai_chat.router)
    app.add_middleware(BodyLimit, max_bytes=settings.api.max_request_mb * 1024 * 1024)
    app.add_middleware(RequestGuard, settings=settings)  # runs before the body limit and the routes
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)
    return app
