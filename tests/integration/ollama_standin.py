"""A local stand-in for an Ollama server, because no Ollama server can run on the test machine.

It speaks the part of Ollama's HTTP API that Auskunft uses, byte-compatible with a real server
(``ollama serve``), so the real ``ollama`` Python client and Haystack's ``OllamaChatGenerator``
talk to it exactly as they would to Ollama:

* ``GET /`` and ``HEAD /``: ``Ollama is running``
* ``GET /api/version``: ``{"version": "..."}``
* ``GET /api/tags``: the installed models with Ollama's fields (name, model, size, digest, details)
* ``POST /api/chat`` with ``{model, messages, stream, options, ...}``:

  - ``stream`` true (Ollama's default): ``application/x-ndjson`` over chunked transfer encoding, one
    JSON object per token ``{"model", "created_at", "message": {"role": "assistant", "content"},
    "done": false}`` and a final line with ``"done": true``, ``"done_reason"`` (``stop``, or ``length``
    when ``options.num_predict`` cut the reply), ``total_duration``, ``load_duration``,
    ``prompt_eval_count``, ``prompt_eval_duration``, ``eval_count``, ``eval_duration``;
  - ``stream`` false: one JSON object with the whole message and the same statistics;
  - a model that is not installed: HTTP 404 ``{"error": "model \\"x\\" not found, try pulling it first"}``;
  - no model: HTTP 400 ``{"error": "model is required"}``; a body that is not JSON: HTTP 400.

* any other path: HTTP 404 ``404 page not found`` (text/plain), like Ollama's router.

What it does *not* do is run a language model. Its reply is a pure function of the request
(``responder(messages) -> str``), so a test can check that the pipeline sent the retrieved excerpts
and that the citation handling works on the reply. The default responder, :func:`cite_excerpt`,
finds the numbered excerpt ``[n]`` in the prompt that contains ``0,20 €`` and answers
``Für ein Einwegbesteck beträgt die Steuer 0,20 € [n].``; without such an excerpt it answers with the
fixed refusal of the system prompt.

Every request is recorded (method, path, headers, parsed JSON body) in :attr:`OllamaStandIn.requests`.

Usage::

    with OllamaStandIn(models=["qwen2.5:1.5b-instruct"]) as ollama:
        settings = load_settings("test", generator={"backend": "ollama", "url": ollama.url})
        ...
        assert ollama.chat_requests()[0]["stream"] is True
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[list[dict[str, Any]]], str]

OLLAMA_VERSION = "0.32.6"
REFUSAL = "Dazu enthalten die Dokumente keine Angabe."
_EXCERPT_HEAD = re.compile(r"^\[(\d+)\] ", re.M)


def normalize_model(name: str) -> str:
    """Ollama's short form: a name without a tag means ``:latest``."""
    name = name.strip()
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def excerpts_of(prompt: str) -> dict[int, str]:
    """The numbered excerpts ``[n] title\\ncontent`` of Auskunft's answer prompt, by number."""
    body = prompt.split("\nFrage:", 1)[0]
    heads = list(_EXCERPT_HEAD.finditer(body))
    out: dict[int, str] = {}
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(body)
        out[int(head.group(1))] = body[head.end() : end]
    return out


def cite_excerpt(
    needle: str = "0,20 €", answer: str = "Für ein Einwegbesteck beträgt die Steuer 0,20 € [{n}]."
) -> Responder:
    """A responder that answers ``answer`` citing the first excerpt containing ``needle``, else refuses."""

    def respond(messages: list[dict[str, Any]]) -> str:
        user = next((m.get("content") or "" for m in reversed(messages) if m.get("role") == "user"), "")
        for n, text in sorted(excerpts_of(user).items()):
            if needle in text:
                return answer.format(n=n)
        return REFUSAL

    return respond


def tokens_of(text: str) -> list[str]:
    """Split a reply the way a tokenizer streams it: pieces that concatenate to exactly ``text``."""
    return re.findall(r"\s*\S+|\s+$", text) or [text]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any = None
    status: int = 0


@dataclass
class _Model:
    name: str
    size: int = 986_061_892
    family: str = "qwen2"
    parameter_size: str = "1.5B"
    quantization_level: str = "Q4_K_M"
    modified_at: str = field(default_factory=_now)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "model": self.name,
            "modified_at": self.modified_at,
            "size": self.size,
            "digest": hashlib.sha256(self.name.encode()).hexdigest(),
            "details": {
                "parent_model": "",
                "format": "gguf",
                "family": self.family,
                "families": [self.family],
                "parameter_size": self.parameter_size,
                "quantization_level": self.quantization_level,
            },
        }


class OllamaStandIn:
    """An Ollama-compatible HTTP server on 127.0.0.1 and a free port, served from a daemon thread."""

    def __init__(
        self,
        models: Iterable[str] = ("qwen2.5:1.5b-instruct",),
        responder: Responder | None = None,
        version: str = OLLAMA_VERSION,
    ) -> None:
        self.models = {normalize_model(m): _Model(normalize_model(m)) for m in models}
        self.responder = responder or cite_excerpt()
        self.version = version
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> OllamaStandIn:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="ollama-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> OllamaStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    # -- what it received ------------------------------------------------------------------------
    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def chat_requests(self) -> list[dict[str, Any]]:
        """The JSON bodies of all ``POST /api/chat`` requests, oldest first."""
        with self._lock:
            return [r.body for r in self.requests if r.method == "POST" and r.path == "/api/chat"]

    # -- Ollama's answers ------------------------------------------------------------------------
    def stats(self, messages: list[dict[str, Any]], eval_count: int) -> dict[str, Any]:
        prompt_tokens = sum(len(str(m.get("content") or "").split()) for m in messages)
        return {
            "total_duration": 1_000_000 * (50 + eval_count),
            "load_duration": 2_000_000,
            "prompt_eval_count": prompt_tokens,
            "prompt_eval_duration": 10_000 * prompt_tokens,
            "eval_count": eval_count,
            "eval_duration": 1_000_000 * eval_count,
        }


def _handler_for(standin: OllamaStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ollama-standin"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
            pass

        # -- plumbing ----------------------------------------------------------------------------
        def _record(self, body: Any = None) -> RecordedRequest:
            request = RecordedRequest(
                self.command, self.path.split("?", 1)[0], dict(self.headers.items()), body
            )
            standin.record(request)
            return request

        def _send(self, request: RecordedRequest, status: int, payload: bytes, content_type: str) -> None:
            request.status = status
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def _json(self, request: RecordedRequest, status: int, obj: Any) -> None:
            self._send(
                request,
                status,
                json.dumps(obj, ensure_ascii=False).encode(),
                "application/json; charset=utf-8",
            )

        def _not_found(self, request: RecordedRequest) -> None:
            self._send(request, 404, b"404 page not found", "text/plain")

        def _chunk(self, obj: dict[str, Any]) -> None:
            data = (json.dumps(obj, ensure_ascii=False) + "\n").encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        # -- routes ------------------------------------------------------------------------------
        def do_HEAD(self) -> None:  # noqa: N802
            request = self._record()
            if request.path == "/":
                self._send(request, 200, b"Ollama is running", "text/plain; charset=utf-8")
            else:
                self._not_found(request)

        def do_GET(self) -> None:  # noqa: N802
            request = self._record()
            if request.path == "/":
                self._send(request, 200, b"Ollama is running", "text/plain; charset=utf-8")
            elif request.path == "/api/version":
                self._json(request, 200, {"version": standin.version})
            elif request.path == "/api/tags":
                self._json(request, 200, {"models": [m.to_json() for m in standin.models.values()]})
            else:
                self._not_found(request)

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError as exc:
                self._json(
                    self._record(raw.decode("utf-8", "replace")),
                    400,
                    {"error": f"invalid character: {exc.msg}"},
                )
                return
            request = self._record(body)
            if request.path != "/api/chat":
                self._not_found(request)
                return
            self._chat(request, body)

        def _chat(self, request: RecordedRequest, body: dict[str, Any]) -> None:
            name = str(body.get("model") or "")
            if not name:
                self._json(request, 400, {"error": "model is required"})
                return
            if normalize_model(name) not in standin.models:
                self._json(request, 404, {"error": f'model "{name}" not found, try pulling it first'})
                return
            if body.get("think") not in (None, False):
                self._json(request, 400, {"error": f'"{name}" does not support thinking'})
                return
            messages = list(body.get("messages") or [])
            tokens = tokens_of(standin.responder(messages))
            limit = (body.get("options") or {}).get("num_predict")
            done_reason = "stop"
            if isinstance(limit, int) and 0 <= limit < len(tokens):
                tokens, done_reason = tokens[:limit], "length"
            stats = standin.stats(messages, len(tokens))
            if body.get("stream", True) is False:
                self._json(
                    request,
                    200,
                    {
                        "model": name,
                        "created_at": _now(),
                        "message": {"role": "assistant", "content": "".join(tokens)},
                        "done_reason": done_reason,
                        "done": True,
                        **stats,
                    },
                )
                return
            request.status = 200
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for token in tokens:
                self._chunk(
                    {
                        "model": name,
                        "created_at": _now(),
                        "message": {"role": "assistant", "content": token},
                        "done": False,
                    }
                )
                time.sleep(0.001)
            self._chunk(
                {
                    "model": name,
                    "created_at": _now(),
                    "message": {"role": "assistant", "content": ""},
                    "done": True,
                    "done_reason": done_reason,
                    **stats,
                }
            )
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    return Handler
