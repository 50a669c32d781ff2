"""In-process chat generation with llama.cpp (xllamacpp) and a local GGUF file; no server, no network."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from haystack import component, default_from_dict, default_to_dict
from haystack.dataclasses import ChatMessage, StreamingChunk
from haystack.utils import deserialize_callable, serialize_callable

logger = logging.getLogger(__name__)


class GeneratorError(RuntimeError):
    """A one-line, user-facing generation problem."""


# Loaded models are shared by every generator instance in the process (loading takes seconds and
# ~1 GB); llama.cpp serves one request at a time per model, hence one lock per model. The key that opens
# the server's loopback listener is kept with it (saving and restoring a primed state goes through it).
_servers: dict[tuple[str, int, int, str], tuple[Any, threading.Lock, str]] = {}
_servers_lock = threading.Lock()
# per loaded model: the fixed prompt start (all messages but the last) its cache was last primed with
_primed: dict[int, str] = {}


def _load_server(
    model_path: str, n_ctx: int, threads: int, state_dir: str = ""
) -> tuple[Any, threading.Lock, str]:
    key = (model_path, n_ctx, threads, state_dir)
    with _servers_lock:
        if key not in _servers:
            import xllamacpp

            params = xllamacpp.CommonParams()
            params.model.path = model_path
            params.n_ctx = n_ctx
            params.n_parallel = 1
            params.cpuparams.n_threads = threads
            params.cpuparams_batch.n_threads = threads
            params.verbosity = -1
            # no host-memory prompt cache: the only reuse is the primed prefix (see LlamaCppChatGenerator)
            params.cache_ram_mib = 0
            # xllamacpp's Server also opens llama.cpp's HTTP listener on a random loopback port; we call
            # it in-process only, so the listener demands a key that exists nowhere but in this object:
            # other local users cannot use the model (or read prompts) through it
            api_key = secrets.token_urlsafe(32)
            params.api_keys = [api_key]
            if state_dir:
                params.slot_save_path = state_dir.rstrip("/") + "/"  # llama.cpp joins it to a name as it is
            try:
                _servers[key] = (xllamacpp.Server(params), threading.Lock(), api_key)
            except Exception as exc:
                raise GeneratorError(
                    f"llama.cpp could not load {model_path}; check the file or run `auskunft setup`."
                ) from exc
        return _servers[key]


@component
class LlamaCppChatGenerator:
    """
    A Haystack chat generator backed by llama.cpp running inside this process (xllamacpp).
    It speaks the same interface as ``OllamaChatGenerator``: ``run(messages, generation_kwargs,
    streaming_callback)`` -> ``{"replies": [ChatMessage]}``, so pipelines switch by configuration.

    Usage example:
    ```python
    llm = LlamaCppChatGenerator(model_path="model.gguf")
    llm.warm_up()
    llm.run(messages=[ChatMessage.from_user("Was ist eine Satzung?")])["replies"][0].text
    ```
    """

    def __init__(
        self,
        model_path: str,
        n_ctx: int = 4096,
        threads: int | None = None,
        generation_kwargs: dict[str, Any] | None = None,
        streaming_callback: Callable[[StreamingChunk], None] | None = None,
        state_dir: str | None = None,
    ) -> None:
        """``state_dir``: a folder where the evaluated fixed start of the prompt is kept, so that a new process
        restores it in milliseconds instead of reading it again (several seconds on two cores); None: not kept."""
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.threads = threads
        self.generation_kwargs = generation_kwargs or {}
        self.streaming_callback = streaming_callback
        self.state_dir = state_dir
        self._server: Any = None
        self._lock: threading.Lock | None = None
        self._api_key = ""
        self._start = ""  # how the last prompt's fixed start came to be in the cache: read, restored or kept

    def to_dict(self) -> dict[str, Any]:
        callback = serialize_callable(self.streaming_callback) if self.streaming_callback else None
        return default_to_dict(
            self,
            model_path=self.model_path,
            n_ctx=self.n_ctx,
            threads=self.threads,
            generation_kwargs=self.generation_kwargs,
            streaming_callback=callback,
            state_dir=self.state_dir,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LlamaCppChatGenerator:
        init = dict(data.get("init_parameters", {}))  # the caller's dict stays as it was
        if init.get("streaming_callback"):
            init["streaming_callback"] = deserialize_callable(init["streaming_callback"])
        return default_from_dict(cls, {**data, "init_parameters": init})

    def warm_up(self) -> None:
        if self._server is None:
            if self.state_dir:
                try:
                    Path(self.state_dir).mkdir(parents=True, exist_ok=True)
                except OSError as exc:  # a read-only data folder: every process reads the start itself
                    logger.warning("primed prompt states are not kept: %s", exc)
                    self.state_dir = None
            self._server, self._lock, self._api_key = _load_server(
                self.model_path, self.n_ctx, self._threads(), self.state_dir or ""
            )

    def _threads(self) -> int:
        return self.threads or os.cpu_count() or 2

    @component.output_types(replies=list[ChatMessage])
    def run(
        self,
        messages: list[ChatMessage],
        generation_kwargs: dict[str, Any] | None = None,
        *,
        streaming_callback: Callable[[StreamingChunk], None] | None = None,
    ) -> dict[str, Any]:
        self.warm_up()
        kwargs = {**self.generation_kwargs, **(generation_kwargs or {})}
        callback = streaming_callback or self.streaming_callback
        request: dict[str, Any] = {
            "messages": [{"role": m.role.value, "content": m.text or ""} for m in messages],
            "stream": True,
            # True: reuse the primed fixed start of the prompt (_prime); False: read the whole prompt anew
            "cache_prompt": False,
            **kwargs,
        }
        parts: list[str] = []
        errors: list[str] = []
        meta: dict[str, Any] = {"model": self.model_path}

        def on_chunk(chunk: Any) -> None:
            data = json.loads(chunk) if isinstance(chunk, str) else chunk
            if "error" in data:
                errors.append(str(data["error"]))
                return
            for choice in data.get("choices", []):
                text = (choice.get("delta") or {}).get("content")
                if text:
                    parts.append(text)
                    if callback:
                        callback(StreamingChunk(content=text))
                if choice.get("finish_reason"):
                    meta["finish_reason"] = choice["finish_reason"]
            if "usage" in data:
                meta["usage"] = data["usage"]
            if "timings" in data:  # llama.cpp's own: prompt_n (tokens read for this request), prompt_ms, …
                meta["timings"] = data["timings"]

        assert self._lock is not None
        with self._lock:
            if request["cache_prompt"] and len(messages) > 1:
                self._prime(request["messages"][:-1])
            self._server.handle_chat_completions(request, on_chunk)
        if request["cache_prompt"] and len(messages) > 1:
            meta["prompt_start"] = self._start
        if errors:
            raise GeneratorError(f"llama.cpp failed to answer: {errors[0][:200]}")
        return {"replies": [ChatMessage.from_assistant("".join(parts), meta=meta)]}

    def _prime(self, prefix: list[dict[str, str]]) -> None:
        """Leave the model's cache holding exactly the fixed start of the prompt, evaluated the same way
        every time, so that a question's own message is always read from the same position on.

        llama.cpp reuses the longest common prefix of the cached tokens and the new prompt and reads the
        rest as one batch; where that split falls changes the logits slightly (other batch shapes), so a
        reuse that reached into the previous question's text would make one question's answer depend on
        what was asked before. Priming sends the fixed start plus an empty user message (max 1 token): its
        common prefix with any cached real prompt ends right inside that empty message, at the same token
        each time. A new fixed start (another answer style) is read from scratch, as in a new process
        (tests/integration/test_llamacpp_generator.py).

        With ``state_dir`` the cache after priming is saved once (llama.cpp's slot save) and a process that
        meets the same start for the first time restores it instead of reading it: the same cache, so the
        same answers, without the seconds the start takes to read."""
        key = json.dumps(prefix, ensure_ascii=False)
        if _primed.get(id(self._server)) != key:
            state = self._state_file(key)
            if state and self._slot("restore", state):
                _primed[id(self._server)] = key
                self._start = "restored"
                return
            # a new start: forget the cache (a request that may not reuse or keep it), so that the start is
            # read from the first token on, as in a new process
            self._server.handle_chat_completions(
                {"messages": [{"role": "user", "content": "."}], "max_tokens": 1, "cache_prompt": False},
                lambda chunk: None,
            )
            self._send_priming(prefix)
            if state:
                self._save_state(state)
            self._start = "read"
        else:
            self._send_priming(prefix)
            self._start = "kept"
        _primed[id(self._server)] = key

    def _send_priming(self, prefix: list[dict[str, str]]) -> None:
        request = {
            "messages": [*prefix, {"role": "user", "content": ""}],
            "max_tokens": 1,
            "temperature": 0.0,
            "cache_prompt": True,
            "stream": True,
        }
        self._server.handle_chat_completions(request, lambda chunk: None)

    def _state_file(self, prefix_key: str) -> str | None:
        """The file name of the primed state of this start, model file, context size and thread count."""
        if not self.state_dir:
            return None
        import xllamacpp

        model = Path(self.model_path).stat()
        identity = [
            prefix_key,
            self.model_path,
            model.st_size,
            model.st_mtime_ns,
            self.n_ctx,
            self._threads(),
        ]
        identity.append(getattr(xllamacpp, "__version__", ""))
        digest = hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:32]
        return f"primed-{digest}.bin"

    def _save_state(self, name: str) -> None:
        """Save under a temporary name and rename, so that a process never restores a half-written file."""
        temporary = f"{name}.{os.getpid()}.tmp"
        if self._slot("save", temporary):
            try:
                os.replace(Path(self.state_dir or "") / temporary, Path(self.state_dir or "") / name)
            except OSError as exc:
                logger.warning("could not keep the primed prompt state: %s", exc)

    def _slot(self, action: str, name: str) -> bool:
        """Save or restore the model's cache through the loopback listener (opened only by this process's
        key); False, with the start then read as usual, when the file is missing, stale or unreadable."""
        if action == "restore" and not (Path(self.state_dir or "") / name).is_file():
            return False
        request = urllib.request.Request(
            f"{self._server.listening_address}/slots/0?action={action}",
            data=json.dumps({"filename": name}).encode(),
            headers={"Authorization": f"Bearer {self._api_key}", "Content-Type": "application/json"},
            method="POST",
        )
        # straight to the loopback listener: never through a proxy named in the environment (http_proxy)
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with direct.open(request, timeout=60) as response:
                done = json.loads(response.read())
        except (OSError, ValueError) as exc:
            logger.warning("primed prompt state not %s (%s): the start is read instead", action + "d", exc)
            return False
        return bool(done.get("n_saved") or done.get("n_restored"))
