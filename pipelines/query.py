"""The query side: retrieval pipeline, answer pipeline, and ``QueryService`` that runs them on the live index."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from haystack import Document, Pipeline
from haystack.components.builders import ChatPromptBuilder
from haystack.dataclasses import StreamingChunk

from config.settings import Settings
from pipelines.components.cited_answer_builder import CitedAnswerBuilder, refusal
from pipelines.components.german_sparse_text_embedder import GermanSparseTextEmbedder
from pipelines.components.municipal_ranker import MunicipalRanker
from pipelines.embedders import build_text_embedder, embedder_id
from pipelines.evidence import about_the_question, places_not_indexed, select_evidence
from pipelines.excerpts import as_shown
from pipelines.generators import build_generator
from pipelines.stores import (
    EmbeddedIndex,
    Snapshot,
    StoreError,
    build_retriever,
    close_document_store,
    create_document_store,
    open_server_store,
)

PROMPTS_DIR = Path(__file__).parent / "prompts"
_NO_KEYWORDS = (
    "The index has no keyword vectors (built without hybrid search); set AUSKUNFT_RETRIEVAL__HYBRID=false "
    "or re-ingest into a new AUSKUNFT_DATA_DIR."
)
# answer styles: "staff" (Sachbearbeitung, detailed) and "desk" (Bürgerbüro, 2-3 plain sentences)
ANSWER_TEMPLATES = {"staff": "answer.jinja2", "desk": "answer_desk.jinja2"}


@dataclass
class Answer:
    answer: str
    citations: list[dict[str, Any]]
    refused: bool
    unverified: bool = False
    documents: list[Document] = field(default_factory=list)
    # the text was written by the language model (False: the fixed refusal or a verbatim quote picked in
    # code); only such an answer carries the "KI-generierte Antwort" label
    generated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "citations": list(self.citations),
            "refused": self.refused,
            "unverified": self.unverified,
            "generated": self.generated,
        }


def hit_of(doc: Document) -> dict[str, Any]:
    meta = doc.meta
    return {
        "source": meta.get("source", ""),
        "title": meta.get("title", ""),
        "page": meta.get("page_number"),
        "score": round(float(doc.score), 4) if doc.score is not None else None,
        "similarity": meta.get("dense_score"),
        "text": doc.content or "",
        "section": meta.get("section") or None,
        "doc_type": meta.get("doc_type"),
        "municipality": meta.get("municipality"),
    }


def build_retrieval_pipeline(settings: Settings, document_store: Any, hybrid: bool | None = None) -> Pipeline:
    """Question in (``embedder.text``, ``keyword_embedder.text``, ``ranker.query``), ranked chunks out.

    Hybrid (default): dense and German keyword vectors fused by Qdrant, then :class:`MunicipalRanker`.
    """
    r = settings.retrieval
    hybrid = r.hybrid if hybrid is None else hybrid
    pipeline = Pipeline()
    pipeline.add_component("embedder", build_text_embedder(settings))
    if hybrid:
        pipeline.add_component("keyword_embedder", GermanSparseTextEmbedder())
        pipeline.add_component("retriever", build_retriever(settings, document_store, True, r.candidates))
        pipeline.connect("keyword_embedder.sparse_embedding", "retriever.query_sparse_embedding")
    else:
        pipeline.add_component("retriever", build_retriever(settings, document_store, False, r.candidates))
    # rerank off: every boost of the ranker is zero, the fused order stays
    boosts = {} if r.rerank else {name: 0.0 for name in MunicipalRanker.boost_names()}
    pipeline.add_component("ranker", MunicipalRanker(top_k=r.top_k, **boosts))
    pipeline.connect("embedder.embedding", "retriever.query_embedding")
    pipeline.connect("embedder.embedding", "ranker.query_embedding")
    pipeline.connect("retriever.documents", "ranker.documents")
    return pipeline


def build_answer_pipeline(settings: Settings, generator: Any | None = None) -> Pipeline:
    """Question and evidence in (``prompt_builder``), a checked, cited answer out (``answer_builder.answer``)."""
    template = (PROMPTS_DIR / "answer.jinja2").read_text(encoding="utf-8")
    pipeline = Pipeline()
    pipeline.add_component(
        "prompt_builder", ChatPromptBuilder(template=template, required_variables=["question", "documents"])
    )
    pipeline.add_component("llm", generator if generator is not None else build_generator(settings))
    pipeline.add_component("answer_builder", CitedAnswerBuilder())
    pipeline.connect("prompt_builder.prompt", "llm.messages")
    pipeline.connect("llm.replies", "answer_builder.replies")
    return pipeline


class QueryService:
    """Answers questions on the live index. Re-opens the index when a re-index committed a new generation.

    >>> service = QueryService(load_settings())
    >>> service.answer("Wie hoch ist die Hundesteuer?").citations[0]["source"]
    """

    def __init__(self, settings: Settings, generator: Any | None = None, hybrid: bool | None = None) -> None:
        self.settings = settings
        self._generator = generator
        # None = settings.retrieval.hybrid; False = dense vectors only (for comparisons on a hybrid index)
        self._hybrid = settings.retrieval.hybrid if hybrid is None else hybrid
        self._answer_pipeline: Pipeline | None = None
        self._store: Any = None
        self._snapshot: Snapshot | None = None
        self._retrieval: Pipeline | None = None
        self._lock = threading.RLock()
        self._towns: tuple[tuple[str | None, int], set[str]] | None = None
        self._embedded = EmbeddedIndex(settings.index_dir) if not settings.store.url else None

    # -- index ---------------------------------------------------------------------------------
    def _ensure_store(self) -> None:
        with self._lock:
            if self._embedded is not None:
                live = self._embedded.current()
                if self._snapshot is not None and self._snapshot.generation == live:
                    return
                if live is None:
                    raise StoreError(
                        f"The index in {self.settings.data_dir} is empty; run `auskunft ingest PATH` first."
                    )
                keywords = self._check_embedder(self._embedded.manifest(live))
                old_store, old_snapshot = self._store, self._snapshot
                self._snapshot = self._embedded.snapshot()
                self._store = create_document_store(
                    self.settings, path=self._snapshot.path, keywords=keywords
                )
                self._retrieval = build_retrieval_pipeline(self.settings, self._store, hybrid=self._hybrid)
                if old_store is not None:
                    close_document_store(old_store)
                if old_snapshot is not None:
                    old_snapshot.close()
            elif self._store is None:
                store = open_server_store(self.settings)
                if store is None:
                    raise StoreError(
                        f"The Qdrant server at {self.settings.store.url} has no collection "
                        f"'{self.settings.store.collection}' yet; run `auskunft ingest PATH` first."
                    )
                if self._hybrid and not store.use_sparse_embeddings:
                    close_document_store(store)
                    raise StoreError(_NO_KEYWORDS)
                self._store = store
                self._retrieval = build_retrieval_pipeline(self.settings, self._store, hybrid=self._hybrid)

    def _check_embedder(self, manifest: dict[str, Any]) -> bool:
        """The index must share the configured dense model; returns whether it has keyword vectors."""
        built_with = str(manifest.get("embedder") or embedder_id(self.settings))
        dense, _, keywords = built_with.partition("+")
        configured = embedder_id(self.settings).partition("+")[0]
        if dense != configured:
            raise StoreError(
                f"The index was built with embedder '{built_with}' but '{embedder_id(self.settings)}' is configured; "
                "change embedder settings back or re-ingest into a new AUSKUNFT_DATA_DIR."
            )
        if self._hybrid and not keywords:
            raise StoreError(_NO_KEYWORDS)
        return bool(keywords)

    def municipalities(self) -> set[str]:
        """Every municipality in the index (to recognise a town in a question even when no retrieved
        chunk is from it); read once per generation, and every 5 minutes on a Qdrant server."""
        self._ensure_store()
        with self._lock:
            key = (self.generation(), int(time.monotonic() // 300) if self._embedded is None else 0)
            if self._towns is None or self._towns[0] != key:
                values = self._store.get_metadata_field_unique_values("municipality", size=10_000)[0]
                self._towns = (key, {str(v) for v in values if v})
            return self._towns[1]

    def generation(self) -> str | None:
        return self._snapshot.generation if self._snapshot else None

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                close_document_store(self._store)
            if self._snapshot is not None:
                self._snapshot.close()
            self._store, self._snapshot, self._retrieval = None, None, None

    # -- questions -----------------------------------------------------------------------------
    def search(
        self, question: str, top_k: int | None = None, filters: dict[str, Any] | None = None
    ) -> list[Document]:
        self._ensure_store()
        assert self._retrieval is not None
        data: dict[str, Any] = {
            "embedder": {"text": question},
            "retriever": {"filters": filters},
            "ranker": {"query": question, "top_k": top_k or self.settings.retrieval.top_k},
        }
        if self._hybrid:
            data["keyword_embedder"] = {"text": question}
        with self._lock:
            result = self._retrieval.run(data)
        return list(result["ranker"]["documents"])

    def answer(
        self,
        question: str,
        streaming_callback: Callable[[StreamingChunk], None] | None = None,
        filters: dict[str, Any] | None = None,
        style: str = "staff",
    ) -> Answer:
        """``style`` picks the prompt: "staff" (detailed) or "desk" (Bürgerbüro: short, plain language)."""
        if style not in ANSWER_TEMPLATES:
            raise ValueError(f"Unknown answer style '{style}'; use one of: {', '.join(ANSWER_TEMPLATES)}.")
        documents = self.search(question, filters=filters)
        best = max((d.meta.get("dense_score", 0.0) for d in documents), default=0.0)
        # evidence: the ranked chunks that are close enough to the question (dense cosine similarity)
        floor = self.settings.retrieval.min_score - 0.04
        evidence = (
            [d for d in documents if d.meta.get("dense_score", 0.0) >= floor]
            if best >= self.settings.retrieval.min_score
            else []
        )
        # refused here, before the model (the small model cannot be trusted to refuse; pipelines/evidence.py):
        # a question about another town or a levy no chunk names, and excerpts that name nothing the
        # question is about ("Turnhalle" asked, the same town's dog tax found), in a fraction of a second
        # instead of after a 15 s generation. The model reads only the best few (generator.excerpts).
        towns = self.municipalities()
        close = len(evidence)
        evidence = select_evidence(question, evidence, towns)[: self.settings.generator.excerpts]
        if not evidence or not about_the_question(question, evidence, towns):
            note = ""
            if not close:
                reason = f"no chunk is close enough (best similarity {best:.3f}, needed {floor + 0.04:.2f})"
            elif not evidence:
                reason = f"none of the {close} close chunks is about the town or levy asked for"
                if elsewhere := places_not_indexed(question, towns):
                    # the desk must see that the place is the reason, not a gap in the town's statutes
                    note = f"Für {' und '.join(sorted(elsewhere))} sind keine eigenen Dokumente indexiert."
            else:
                reason = "the excerpts name nothing the question is about"
            r = refusal(reason, note)
            return Answer(r["answer"], r["citations"], True, documents=documents)
        if self._answer_pipeline is None:
            self._answer_pipeline = build_answer_pipeline(self.settings, self._generator)
        # numbered as the model reads them; a 1.5B model picks the right line far more often when the best
        # excerpt stands right before the question (measured with benchmarks/quality.py)
        numbered = evidence[::-1] if self.settings.generator.excerpt_order == "best_last" else evidence
        # the model reads suspended compounds written out and only the passage of each chunk around the
        # question (pipelines/excerpts.py); citations and quotes are checked against the chunks as stored
        chars = self.settings.generator.excerpt_chars or None
        shown = [replace(d, content=as_shown(question, d, chars)) for d in numbered]
        prompt: dict[str, Any] = {"question": question, "documents": shown}
        if style != "staff":  # the pipeline's own template is the staff one
            prompt["template"] = (PROMPTS_DIR / ANSWER_TEMPLATES[style]).read_text(encoding="utf-8")
        result = self._answer_pipeline.run(
            {
                "prompt_builder": prompt,
                "llm": {"streaming_callback": streaming_callback} if streaming_callback else {},
                "answer_builder": {"documents": numbered, "query": question},
            }
        )
        a = result["answer_builder"]["answer"]
        return Answer(
            a["answer"],
            a["citations"],
            a["refused"],
            a.get("unverified", False),
            documents=evidence,
            generated=a.get("generated", False),
        )
