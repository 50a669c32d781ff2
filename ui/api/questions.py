"""``POST /ask`` (an answer with citations, streamed as NDJSON on request) and ``POST /search`` (passages)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from pipelines.filters import build_filters
from pipelines.query import Answer, hit_of
from ui.api.auth import Caller
from ui.api.deps import ApiState, audit, get_caller, get_state
from ui.api.errors import ApiError, guarded, status_and_detail
from ui.api.schemas import AnswerOut, AskRequest, Filters, Hit, SearchRequest, errors
from ui.services import mode_role

router = APIRouter(tags=["questions"])
NDJSON = "application/x-ndjson"
Event = tuple[str, Any]  # ("token", str) | ("answer", Answer) | ("error", exception)


def style_and_role(state: ApiState, caller: Caller, style: str | None) -> tuple[str, str]:
    """As in the page: the role desk has the desk style only; the desk style searches as the desk role."""
    if caller.role == "desk":
        if style == "staff":
            raise ApiError(
                403, 'The role desk gets desk answers only (as in the page); send style "desk" or none.'
            )
        return "desk", "desk"
    style = style or "staff"
    return style, mode_role(state.settings, style, caller.role)


def role_filters(state: ApiState, role: str, filters: Filters | None) -> dict[str, Any] | None:
    settings = state.settings
    choices = filters.choices() if filters else {}
    return guarded(
        settings,
        "Reading the filters",
        lambda: build_filters(**choices, role=role, default_level=settings.access.default),
    )


def start_answer(state: ApiState, question: str, filters: Any, style: str) -> asyncio.Queue[Event]:
    """Generate in a thread (one at a time: ``generate_lock``); tokens, then the answer or the error, arrive
    in the returned queue. The request awaits them on the event loop: a request waiting for the generator
    holds none of the threads that searches, /health and the other requests run in."""
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[Event] = asyncio.Queue()

    def put(event: Event) -> None:
        with contextlib.suppress(RuntimeError):  # the server shut down while the answer was written
            loop.call_soon_threadsafe(events.put_nowait, event)

    def on_token(chunk: Any) -> None:
        if chunk.content:
            put(("token", chunk.content))

    def work() -> None:
        try:
            with state.generate_lock:
                answer = state.service.answer(
                    question,
                    streaming_callback=on_token,
                    filters=filters,
                    style=style,
                )
            put(("answer", answer))
        except Exception as exc:  # handed to the request, which answers with one line
            put(("error", exc))

    threading.Thread(target=work, name="auskunft-answer", daemon=True).start()
    return events


async def ndjson_lines(
    state: ApiState, caller: Caller, role: str, question: str, first: Event, events: asyncio.Queue[Event]
) -> AsyncIterator[bytes]:
    """``{"token": ...}`` lines, then the answer JSON (or ``{"detail": ...}`` if generation failed midway)."""
    event = first
    while True:
        kind, value = event
        if kind == "token":
            yield (json.dumps({"token": value}, ensure_ascii=False) + "\n").encode()
        elif kind == "answer":
            sources = [c["source"] for c in value.citations]
            await run_in_threadpool(audit, state, caller, role, "ask", question, sources, value.refused)
            yield (json.dumps(value.to_json(), ensure_ascii=False) + "\n").encode()
            return
        else:
            _, detail = status_and_detail(value, state.settings, "Answering")
            yield (json.dumps({"detail": detail}, ensure_ascii=False) + "\n").encode()
            return
        event = await events.get()


@router.post(
    "/ask",
    response_model=AnswerOut,
    responses={
        200: {
            "content": {
                NDJSON: {
                    "schema": {"type": "string"},
                    "example": '{"token": "Die"}\n{"token": " Steuer"}\n'
                    '{"answer": "...", "citations": [], "refused": false, "unverified": false, "generated": true}\n',
                }
            },
            "description": "The answer; streamed as NDJSON (one token per line, then the answer) with "
            "?stream=true or Accept: application/x-ndjson.",
        },
        **errors(400, 401, 403, 413, 415, 422, 500, 503),
    },
)
async def ask(
    body: AskRequest,
    request: Request,
    caller: Annotated[Caller, Depends(get_caller)],
    state: Annotated[ApiState, Depends(get_state)],
    stream: Annotated[bool | None, Query(description="Stream tokens as NDJSON lines.")] = None,
) -> Any:
    """Answer a question from the documents the caller's role may see, with numbered citations."""
    style, role = style_and_role(state, caller, body.style)
    filters = role_filters(state, role, body.filters)
    streaming = stream if stream is not None else NDJSON in request.headers.get("accept", "")
    events = start_answer(state, body.question, filters, style)
    first = await events.get()
    if first[0] == "error":  # nothing sent yet: a proper status (e.g. 503 for a missing index)
        status, detail = status_and_detail(first[1], state.settings, "Answering")
        raise ApiError(status, detail)
    if streaming:
        return StreamingResponse(
            ndjson_lines(state, caller, role, body.question, first, events), media_type=NDJSON
        )
    while first[0] == "token":
        first = await events.get()
    if first[0] == "error":
        status, detail = status_and_detail(first[1], state.settings, "Answering")
        raise ApiError(status, detail)
    answer: Answer = first[1]
    sources = [c["source"] for c in answer.citations]
    await run_in_threadpool(audit, state, caller, role, "ask", body.question, sources, answer.refused)
    return JSONResponse(answer.to_json())


@router.post("/search", response_model=list[Hit], responses=errors(400, 401, 403, 413, 415, 422, 500, 503))
def search(
    body: SearchRequest,
    caller: Annotated[Caller, Depends(get_caller)],
    state: Annotated[ApiState, Depends(get_state)],
) -> Any:
    """The passages that best match the question (retrieval only, no language model; runs while an answer
    is being generated)."""
    filters = role_filters(state, caller.role, body.filters)
    documents = guarded(
        state.settings,
        "Searching",
        lambda: state.service.search(body.question, top_k=body.top_k, filters=filters),
    )
    hits = [hit_of(d) for d in documents]
    audit(state, caller, caller.role, "search", body.question, [h["source"] for h in hits])
    return JSONResponse(hits)
