"""Request and response bodies of the API (they make up /openapi.json)."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Question = Field(min_length=1, max_length=4000, description="A question in plain German.")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not silently ignored


class Filters(_Body):
    """Narrow the documents searched; the caller's role limits them further (inside the Qdrant query)."""

    doc_type: str | None = Field(None, description="e.g. Satzung, Niederschrift")
    municipality: str | None = Field(None, description="e.g. Konstanz")
    body: str | None = Field(None, description="e.g. Gemeinderat")
    since: datetime.date | None = Field(None, description="documents dated on or after (YYYY-MM-DD)")
    until: datetime.date | None = Field(None, description="documents dated on or before (YYYY-MM-DD)")

    def choices(self) -> dict[str, Any]:
        return {
            "doc_type": self.doc_type,
            "municipality": self.municipality,
            "body": self.body,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }


class _Asked(_Body):
    question: str = Question
    filters: Filters | None = None

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        return value.strip()


class AskRequest(_Asked):
    style: Literal["staff", "desk"] | None = Field(
        None,
        description="staff: detailed (Sachbearbeitung); desk: 2-3 plain sentences from public documents only "
        "(Bürgerbüro). Default: desk for the role desk, else staff.",
    )


class SearchRequest(_Asked):
    top_k: int = Field(5, ge=1, le=100, description="How many passages to return.")


class IngestRequest(_Body):
    paths: list[str] = Field(
        default_factory=list, description="Absolute paths of files or folders on the server, or OParl URLs."
    )
    access: Literal["public", "internal", "confidential"] | None = Field(
        None, description="Access level of these documents (remembered, as `auskunft ingest --access`)."
    )


class ReindexRequest(_Body):
    """No fields: send ``{}`` (as JSON, like every POST)."""


INGEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "additionalProperties": False,
                "required": ["paths"],
                "properties": {
                    "paths": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string", "pattern": "^(/|https?://)"},
                        "description": "Absolute paths of files or folders below ingest.allowed_roots, or URLs of "
                        "configured OParl servers.",
                    },
                    "access": {"type": "string", "enum": ["public", "internal", "confidential"]},
                },
            }
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "files": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string", "format": "binary"},
                    },
                    "paths": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string", "pattern": "^(/|https?://)"},
                    },
                    "access": {"type": "string", "enum": ["public", "internal", "confidential"]},
                },
                "anyOf": [{"required": ["files"]}, {"required": ["paths"]}],
            },
        },
    },
}


class AnswerOut(BaseModel):
    """The same JSON as `auskunft ask --json`."""

    answer: str
    citations: list[dict[str, Any]]
    refused: bool
    unverified: bool
    generated: bool = Field(
        description="Written by the language model (false: the fixed refusal or a verbatim quote of the documents)."
    )


class Hit(BaseModel):
    """One passage, as `auskunft search --json` prints it."""

    source: str
    title: str
    page: int | None = None
    score: float | None = None
    similarity: float | None = None
    text: str
    section: str | None = None
    doc_type: str | None = None
    municipality: str | None = None


class DocumentOut(BaseModel):
    id: str = Field(description="Short id for DELETE /documents/{id}.")
    source: str
    access: str
    chunks: int
    doc_type: str | None = None
    date: str | None = None


class Health(BaseModel):
    ok: bool
    detail: str | None = None
    generation: str | None = None
    documents: int
    chunks: int
    store: str
    generator: dict[str, str]
    sign_in: str


class ErrorOut(BaseModel):
    """Every failure: one line saying what happened and what to do."""

    detail: str


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error responses of a route for /openapi.json (all of them ``{"detail": "..."}``)."""
    meaning = {
        400: "Bad request (unknown host name, nothing to index, a path not allowed)",
        401: "Not signed in or wrong credentials",
        403: "Not allowed (role, cross-site request, form without X-Requested-With)",
        404: "Not found",
        409: "Another ingest or re-index is running",
        413: "Request larger than api.max_request_mb",
        415: "Body not JSON",
        422: "Invalid request body or parameters",
        500: "Unexpected failure (details in the server log)",
        503: "Index missing or a server (Qdrant, Ollama) unreachable",
    }
    return {status: {"model": ErrorOut, "description": meaning[status]} for status in statuses}
