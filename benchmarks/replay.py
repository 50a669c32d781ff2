"""A generator for quality runs that asks the model only for a prompt it has not answered before.

The shipped answer path is deterministic: the same messages to the same model file give the same reply
(temperature 0, the fixed start of the prompt always read the same way: LlamaCppChatGenerator._prime).
So a quality run can keep every reply under a key of its exact messages and model, and a later run whose
prompt for a question is unchanged takes the kept reply instead of running the model. A change before the
model (retrieval, gate, passage selection, prompt) is then measured on a whole set by running the model
only on the questions whose prompt it changes, and everything after the model (the checker) runs for
every question as in a real answer. ``benchmarks/quality.py --replay`` uses it.

Kept replies: benchmarks/.data/replies.jsonl, one line per prompt ({"key", "reply", "meta"}).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from haystack import component
from haystack.dataclasses import ChatMessage, StreamingChunk


def prompt_key(messages: list[ChatMessage], model: str, generation_kwargs: dict[str, Any]) -> str:
    """What decides the reply: every message's role and text, the model file and the generation settings."""
    payload = {
        "messages": [[m.role.value, m.text or ""] for m in messages],
        "model": model,
        "generation": generation_kwargs,
    }
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


@component
class ReplayGenerator:
    """Wraps a chat generator: every reply of ``generator`` is kept in ``path``; with ``reuse`` a prompt
    answered before gets its kept reply instead. ``asked`` and ``replayed`` count the two."""

    def __init__(self, generator: Any, path: Path, reuse: bool = True) -> None:
        self.generator = generator
        self.path = path
        self.reuse = reuse
        self.replies: dict[str, dict[str, Any]] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    kept = json.loads(line)
                    self.replies[kept["key"]] = kept
        self.asked = 0
        self.replayed = 0

    def _model(self) -> str:
        """The generator as Haystack serialises it (model, context size, threads: llama.cpp's sums depend
        on the thread count), without what does not change a reply; a model file also by its size."""
        init = (
            dict(self.generator.to_dict().get("init_parameters", {}))
            if hasattr(self.generator, "to_dict")
            else {}
        )
        for unused in ("streaming_callback", "state_dir", "generation_kwargs"):
            init.pop(unused, None)
        model = str(init.get("model_path") or "")
        if model and Path(model).is_file():  # the file's size tells one model file from another
            init["model_path"] = f"{Path(model).name}:{Path(model).stat().st_size}"
        return json.dumps(init, sort_keys=True, default=str)

    def warm_up(self) -> None:
        pass  # the model loads on the first prompt that is not kept

    @component.output_types(replies=list[ChatMessage])
    def run(
        self,
        messages: list[ChatMessage],
        generation_kwargs: dict[str, Any] | None = None,
        *,
        streaming_callback: Any = None,
    ) -> dict[str, Any]:
        kwargs = {**getattr(self.generator, "generation_kwargs", {}), **(generation_kwargs or {})}
        key = prompt_key(messages, self._model(), kwargs)
        kept = self.replies.get(key) if self.reuse else None
        if kept is not None:
            self.replayed += 1
            if streaming_callback and kept["reply"]:
                streaming_callback(StreamingChunk(content=kept["reply"]))
            return {
                "replies": [
                    ChatMessage.from_assistant(kept["reply"], meta={**kept["meta"], "replayed": True})
                ]
            }
        self.asked += 1
        if hasattr(self.generator, "warm_up"):
            self.generator.warm_up()
        result = self.generator.run(
            messages=messages, generation_kwargs=generation_kwargs, streaming_callback=streaming_callback
        )
        reply = result["replies"][0]
        meta = {k: v for k, v in reply.meta.items() if k in ("model", "finish_reason", "usage")}
        kept = {"key": key, "reply": reply.text or "", "meta": meta}
        self.replies[key] = kept
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(kept, ensure_ascii=False) + "\n")
        return result
