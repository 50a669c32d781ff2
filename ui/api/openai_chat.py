"""An OpenAI-compatible chat endpoint, so chat front ends (Open WebUI, LibreChat, F13, MUCGPT) and the
``openai`` client can ask Auskunft: ``GET /v1/models`` and ``POST /v1/chat/completions`` (JSON, or server-sent
events with ``stream: true``).

The last user message is the question; it is answered exactly as ``POST /ask`` answers it (same sign-in,
role, filters, refusal and audit record), not by a free chat: earlier turns are not read. The message's
``content`` is the cited answer with its numbered sources as text ("Quellen: [1] ..."), so any chat window
shows them; the response's ``auskunft`` field carries them structured (source, title, section, page, quote)
with ``refused``, ``unverified`` and ``generated``.

Streaming sends the model's words as they come, as ``reasoning_content`` (the draft: chat windows such as Open
WebUI show it as the model's reasoning while it is written); the answer is checked when it is complete (its
citations against the documents, a claim they do not support replaced by their own words or refused), and the
checked answer with its sources follows as the message ``content``. So a chat window never shows an unchecked
text as the answer.

Models: ``auskunft`` (Sachbearbeitung, detailed; the desk role gets desk answers) and ``auskunft-buergerbuero``
(2-3 plain sentences from public documents only), as the page's two modes.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from pipelines.query import Answer
from ui.api.auth import Caller
from ui.api.deps import ApiState, audit, get_caller, get_state
from ui.api.errors import ApiError, status_and_detail
from ui.api.questions import Event, role_filters, start_answer, style_and_role
from ui.api.schemas import errors
from ui.citations import source_line

router = APIRouter(prefix="/v1", tags=["openai-compatible"])
SSE = "text/event-stream"
# model -> answer style: None = the role's default (staff answers, desk answers for the role desk)
MODELS: dict[str, str | None] = {"auskunft": None, "auskunft-buergerbuero": "desk"}


_TEXT = {"type": "string", "pattern": "\\S", "maxLength": 4000}
# the message the question is taken from, in /openapi.json: a user message with text
QUESTION_MESSAGE: dict[str, Any] = {
    "type": "object",
    "required": ["role", "content"],
    "properties": {
        "role": {"const": "user"},
        "content": {
            "anyOf": [
                _TEXT,
                {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["type", "text"],
                        "properties": {"type": {"const": "text"}, "text": _TEXT},
                    },
                },
            ]
        },
    },
}


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_calls ... of other clients are ignored

    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # [{"type": "text", "text": "..."}, {"type": "image_url", ...}]
            return " ".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """What OpenAI's ``/v1/chat/completions`` takes; sampling options (temperature, max_tokens ...) are
    accepted and ignored: Auskunft answers with its own settings, so one question gets one answer."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(
        "auskunft", description="auskunft (Sachbearbeitung) or auskunft-buergerbuero (Bürgerbüro)."
    )
    messages: list[ChatMessage] = Field(
        min_length=1,
        description="The conversation; the last user message with text is the question (at most 4000 characters).",
        json_schema_extra={"contains": QUESTION_MESSAGE},
    )
    stream: bool = False


class ModelOut(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]


def question_of(body: ChatRequest) -> str:
    """The last user message with text, or a 422 that says what is missing."""
    for message in reversed(body.messages):
        # whitespace as JSON Schema's \\S sees it (Python's split() also drops control characters)
        if message.role == "user" and (question := re.sub(r"[ \t\n\r\f\v]+", " ", message.text()).strip(" ")):
            if len(question) > 4000:
                raise ApiError(422, "The question is longer than 4000 characters; ask a shorter one.")
            return question
    raise ApiError(422, "No question: a message with role 'user' must hold the question as text.")


def style_of(model: str) -> str | None:
    if model not in MODELS:
        raise ApiError(404, f"Unknown model '{model}'; GET /v1/models lists them: {', '.join(MODELS)}.")
    return MODELS[model]


def structured_citations(citations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Source, title, §, page and quote of each citation (numbered as in the text)."""
    return [
        {
            "number": i,
            "source": c.get("source", ""),
            "title": c.get("title") or "",
            "section": c.get("section") or None,
            "page": c.get("page"),
            "quote": c.get("quote") or "",
        }
        for i, c in enumerate(citations, 1)
    ]


def sources_text(citations: list[dict[str, Any]]) -> str:
    """``Quellen:`` and one line per citation: ``[1] Title, § 4, S. 2: „quote“`` (what the chat window shows)."""
    if not citations:
        return ""
    lines = ["**Quelle:**" if len(citations) == 1 else "**Quellen:**"]
    for i, citation in enumerate(citations, 1):
        quote = " ".join(str(citation.get("quote") or "").split())
        lines.append(f"[{i}] {source_line(citation)}" + (f": „{quote}“" if quote else ""))
    return "\n\n" + "  \n".join(lines)


def auskunft_field(answer: Answer) -> dict[str, Any]:
    return {
        "citations": structured_citations(answer.citations),
        "refused": answer.refused,
        "unverified": answer.unverified,
        "generated": answer.generated,
    }


def _usage(question: str, content: str) -> dict[str, int]:
    """Rough word counts (the OpenAI clients expect the field; Auskunft bills nothing)."""
    prompt, completion = len(question.split()), len(content.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


async def _answer(state: ApiState, caller: Caller, body: ChatRequest) -> tuple[str, str, Any]:
    """Check the request and start the answer; returns (question, role, events queue)."""
    style, role = style_and_role(state, caller, style_of(body.model))
    question = question_of(body)
    filters = role_filters(state, role, None)
    return question, role, start_answer(state, question, filters, style)


async def _next(state: ApiState, events: Any) -> Event:
    event: Event = await events.get()
    if event[0] == "error":
        status, detail = status_and_detail(event[1], state.settings, "Answering")
        raise ApiError(status, detail)
    return event


@router.get("/models", response_model=ModelList, responses=errors(400, 401, 500))
def models(caller: Annotated[Caller, Depends(get_caller)]) -> Any:
    """The answer styles, as models: ``auskunft`` (Sachbearbeitung) and ``auskunft-buergerbuero``."""
    created = 1_767_225_600  # 2026-01-01: a fixed date, the "models" are Auskunft's answer styles
    return {
        "object": "list",
        "data": [{"id": m, "object": "model", "created": created, "owned_by": "auskunft"} for m in MODELS],
    }


@router.post(
    "/chat/completions",
    responses={
        200: {
            "description": "A chat.completion (JSON), or chat.completion.chunk events (text/event-stream) "
            "with stream: true, ending with data: [DONE].",
            # one server-sent event (as Schemathesis reads a text/event-stream): data holds a chunk's JSON or [DONE]
            "content": {
                SSE: {
                    "schema": {
                        "type": "object",
                        "required": ["data"],
                        "properties": {"data": {"type": "string"}, "event": {"type": "string"}},
                    }
                }
            },
        },
        **errors(400, 401, 403, 404, 413, 415, 422, 500, 503),
    },
)
async def chat_completions(
    body: ChatRequest,
    caller: Annotated[Caller, Depends(get_caller)],
    state: Annotated[ApiState, Depends(get_state)],
) -> Any:
    """Answer the last user message from the documents the caller's role may see, with numbered sources."""
    question, role, events = await _answer(state, caller, body)
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    first = await _next(state, events)  # before the first byte: a failure is a proper status
    if body.stream:
        stream = _sse(state, caller, role, question, body.model, completion_id, created, first, events)
        return StreamingResponse(stream, media_type=SSE, headers={"Cache-Control": "no-cache"})
    event = first
    while event[0] == "token":
        event = await _next(state, events)
    answer: Answer = event[1]
    await run_in_threadpool(
        audit, state, caller, role, "ask", question, [c["source"] for c in answer.citations], answer.refused
    )
    content = answer.answer + sources_text(answer.citations)
    return JSONResponse(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": body.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": _usage(question, content),
            "auskunft": auskunft_field(answer),
        }
    )


async def _sse(
    state: ApiState,
    caller: Caller,
    role: str,
    question: str,
    model: str,
    completion_id: str,
    created: int,
    first: Event,
    events: Any,
) -> AsyncIterator[bytes]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        data = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            **extra,
        }
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()

    yield chunk({"role": "assistant", "content": ""})
    streamed = 0
    event = first
    while event[0] == "token":  # the model's draft, live: chat windows show it as the model's reasoning
        streamed += 1
        yield chunk({"reasoning_content": event[1]})
        event = await events.get()
    if event[0] == "error":  # the status is sent already: the failure becomes the message
        _, detail = status_and_detail(event[1], state.settings, "Answering")
        yield chunk({"content": f"Fehler: {detail}"}, "stop")
        yield b"data: [DONE]\n\n"
        return
    answer: Answer = event[1]
    await run_in_threadpool(
        audit, state, caller, role, "ask", question, [c["source"] for c in answer.citations], answer.refused
    )
    content = answer.answer + sources_text(answer.citations)
    yield chunk({"content": content})
    yield chunk({}, "stop", auskunft=auskunft_field(answer), usage=_usage(question, content))
    yield b"data: [DONE]\n\n"
