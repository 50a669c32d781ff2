"""The chat generator chosen by ``settings.generator.backend``; heavy imports only for the chosen one."""

from __future__ import annotations

from typing import Any

from config.settings import Settings
from pipelines.models import SHIPPED_GGUF_LABEL, resolve_gguf


def build_generator(settings: Settings) -> Any:
    g = settings.generator
    match g.backend:
        case "llamacpp":
            from pipelines.components.llamacpp_chat_generator import LlamaCppChatGenerator

            path = resolve_gguf(g.gguf_path, settings.resolved_models_dir)
            return LlamaCppChatGenerator(
                model_path=str(path),
                n_ctx=g.n_ctx,
                threads=g.threads,
                generation_kwargs={"max_tokens": g.max_tokens, "temperature": g.temperature},
            )
        case "ollama":
            from haystack_integrations.components.generators.ollama import OllamaChatGenerator

            return OllamaChatGenerator(
                model=g.model,
                url=g.url,
                timeout=g.timeout,
                generation_kwargs={"num_predict": g.max_tokens, "temperature": g.temperature},
            )
    raise ValueError(f"unknown generator backend {g.backend}")


def generator_label(settings: Settings) -> str:
    """Which model writes the answers, for the AI notice in the UI and the CLI."""
    g = settings.generator
    if g.backend == "llamacpp":
        return SHIPPED_GGUF_LABEL if g.gguf_path is None else f"{g.gguf_path.name} (llama.cpp)"
    return f"{g.model} (Ollama, {g.url})"
