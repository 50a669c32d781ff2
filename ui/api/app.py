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
from ui.api import index, questions
from ui.api.deps import ApiState
from ui.api.errors import error_response, install_handlers
from ui.api.metrics import MetricsMiddleware

DESCRIPTION = """Questions about municipal statutes, decisions and minutes, answered from the local index with
citations; nothing leaves the machine. Sign-in and roles as in the page (`access.sign_in`): none, HTTP Basic
for local users (`auskunft user add`), or headers from a trusted reverse proxy. Errors are one line:
`{"detail": "..."}`."""


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
    app.add_middleware(BodyLimit, max_bytes=settings.api.max_request_mb * 1024 * 1024)
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)
    return app
