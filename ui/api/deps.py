"""What every request shares: settings, one QueryService, the generator lock, the metrics; and the caller."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from fastapi import Request

from config.settings import Settings
from pipelines.query import QueryService
from ui.api.auth import Caller, authenticate
from ui.api.errors import guarded
from ui.api.metrics import Metrics

logger = logging.getLogger("ui.api")


@dataclass
class ApiState:
    """Built once by ``create_app``. ``generate_lock`` lets one answer be generated at a time (the in-process
    llama.cpp serves one request at a time; an Ollama server queues them anyway); retrieval does not take
    it, so searches go on while an answer is written."""

    settings: Settings
    service: QueryService
    generate_lock: threading.Lock = field(default_factory=threading.Lock)
    metrics: Metrics = field(default_factory=Metrics)


def get_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


def get_caller(request: Request) -> Caller:
    """FastAPI dependency (runs in the thread pool: checking a scrypt hash takes a moment)."""
    settings = get_state(request).settings
    client = request.client.host if request.client else None
    return guarded(
        settings,
        "Signing in",
        lambda: authenticate(settings, request.headers.get("authorization"), request.headers, client),
    )


def audit(
    state: ApiState,
    caller: Caller,
    role: str,
    action: str,
    question: str,
    documents: list[str],
    refused: bool | None = None,
) -> None:
    """One audit record (ui.audit), channel "api"; a failure to write it is logged, the answer still goes out."""
    from ui.audit import AuditLog

    try:
        AuditLog.for_settings(state.settings).record(
            caller.audit_name, role, "api", action, question, documents, refused
        )
    except OSError as exc:
        logger.warning("the audit log could not be written (%s)", exc.strerror or exc)
