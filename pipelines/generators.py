"""The chat generator chosen by ``settings.generator.backend``; heavy imports only for the chosen one."""

from __future__ import annotations

import os
from typing import Any

from config.settings import Settings, SettingsError
from pipelines.models import SHIPPED_GGUF_LABEL, resolve_gguf

# what the OpenAI client sends as the key when generator.api_key is empty: local servers started without
# a key (vLLM, llama-server) ignore it, but the client refuses to run without one
NO_API_KEY = "sk-no-key-required"


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
                generation_kwargs={
                    "max_tokens": g.max_tokens,
                    "temperature": g.temperature,
                    "cache_prompt": g.cache_prompt,
                },
                # the evaluated fixed start of the answer prompt, restored by a new process (`auskunft ask`)
                state_dir=str(settings.data_dir / "cache" / "prompt-states") if g.cache_prompt else None,
            )
        case "ollama":
            from haystack_integrations.components.generators.ollama import OllamaChatGenerator

            return OllamaChatGenerator(
                model=g.model,
                url=g.url,
                timeout=g.timeout,
                generation_kwargs={"num_predict": g.max_tokens, "temperature": g.temperature},
            )
        case "openai":
            if not g.openai_model:
                raise SettingsError(
                    "generator.backend openai needs the model name the server serves; set "
                    "AUSKUNFT_GENERATOR__OPENAI_MODEL (vLLM: its --served-model-name; llama-server: any name)."
                )
            from haystack.components.generators.chat import OpenAIChatGenerator
            from haystack.utils import Secret

            kwargs: dict[str, Any] = {"max_tokens": g.max_tokens, "temperature": g.temperature}
            # llama-server reuses a cached prompt prefix unless told not to, and a reused prefix that reaches
            # into the previous question changes the logits (tests/integration/test_openai_backend.py); there
            # is no priming over HTTP, so it always reads the whole prompt; vLLM ignores unknown fields
            kwargs["extra_body"] = {"cache_prompt": False}
            return OpenAIChatGenerator(
                api_key=Secret.from_token(g.api_key or NO_API_KEY),
                model=g.openai_model,
                api_base_url=g.openai_url,
                generation_kwargs=kwargs,
                timeout=float(g.timeout),
                # an unreachable server is reported at once instead of after five retries with back-off
                max_retries=0,
                http_client_kwargs=direct_http_client_kwargs(),
            )
    raise ValueError(f"unknown generator backend {g.backend}")


def one_token_kwargs(settings: Settings) -> dict[str, Any]:
    """Run-time options for a reply of one token (the warm-up's), in the words of the chosen backend."""
    return {"num_predict": 1} if settings.generator.backend == "ollama" else {"max_tokens": 1}


def direct_http_client_kwargs() -> dict[str, Any]:
    """httpx options that send every request straight to the configured URL and nowhere else.

    ``trust_env`` off: HTTP_PROXY, HTTPS_PROXY and ALL_PROXY (and ``.netrc``) are not read, so a proxy set
    for the machine's internet access never sees a question or an excerpt. A CA bundle named by
    SSL_CERT_FILE or SSL_CERT_DIR (a server with an internal certificate) is still honoured.
    """
    kwargs: dict[str, Any] = {"trust_env": False}
    cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    if cafile or capath:
        import ssl

        kwargs["verify"] = ssl.create_default_context(cafile=cafile or None, capath=capath or None)
    return kwargs


def generator_label(settings: Settings) -> str:
    """Which model writes the answers, for the AI notice in the UI and the CLI."""
    g = settings.generator
    if g.backend == "llamacpp":
        return SHIPPED_GGUF_LABEL if g.gguf_path is None else f"{g.gguf_path.name} (llama.cpp)"
    if g.backend == "openai":
        return f"{g.openai_model or 'no model set'} (OpenAI-compatible server, {g.openai_url})"
    return f"{g.model} (Ollama, {g.url})"
