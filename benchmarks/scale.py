"""How far the embedded store (Qdrant Edge in the process, the default) scales: real chunks of ../shared/corpus and
../shared/corpus-extra, grown with generated near-duplicates to 100,000 and 1,000,000 chunks; at each size the
retrieval latency with the role filter, hit@5 on the evaluation questions, the first search of a fresh process,
the reader's memory, the index on disk and the write rate, for the search the settings build and exact search.

Usage:
  .venv/bin/python benchmarks/scale.py [--sizes 100000,1000000] [--questions 30] [--json]
  quick check: .venv/bin/python benchmarks/scale.py --sizes 20000 --questions 10
  docs/embedded-store.md figures: nice -n 15 .venv/bin/python benchmarks/scale.py --sizes 100000 --json --work-dir W
  and later, on a quieter machine: ... --work-dir W --remeasure (the kept index measured again)

Source: the index in --source-index (default benchmarks/.data/scale-source), ingested from --corpus (default
../shared/corpus and ../shared/corpus-extra) if missing, with dense and keyword vectors. Nothing is embedded again:
a generated chunk is a real one with another (invented) town, date and amounts in its text and metadata, a new id
and source file, its dense vector moved by Gaussian noise (--noise; the cosine to the original is printed) and
normalised again, so a near-duplicate (the hard case); its keyword vector is the original's with the town's terms
swapped. Points are written as the project's EdgeDocumentStore writes them (qdrant-haystack's payload, ids and
vector names, its storage settings), in a writer process per size: the upserts are timed (write rate), then the
optimisation that builds the segments' indexes (the store's own every 200,000 points, and at the end).

At each size a fresh process at normal priority (--measure-nice; a reader's) opens the index through QueryService
(a private snapshot of hard links, then the engine maps the files: one open shard, as a reader holds) and asks
real questions of --cases with the role filter the UI applies (--role), dense only and hybrid (the default), with
the search the settings build (a graph from store.embedded_graph_from chunks, below a scan of the int8 copies)
and with exact search (``exact=True``): p50/p95 of the whole retrieval (question embedded, store, ranker) and of
the store alone, hit@5 of the expected source among the near-duplicates, the first search, the process's RSS
(and its part not shared with the page cache), and the recall@20 of the dense candidates against exact search for
store.embedded_hnsw_ef and the values of --ef. A second fresh process times the first search with the index's
files dropped from the page cache. Ends with a table and, with --json, one JSON line: a list of
{"chunks", "dense_p50_s", "hybrid_p50_s", "hybrid_p95_s", "first_search_s", "rss_mb", "hybrid_hit@5", ...} (store
alone) for the search the settings build at that size. Other load goes straight into wall-clock figures: the
1-minute load average is printed per size, CPU p50 beside wall p50 shows the waiting, and --quiet-load /
--quiet-wait wait for a quieter machine before measuring.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import pickle
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# this folder holds ingest.py, named like the `ingest` package; keep it from shadowing the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from config.settings import Settings, load_settings  # noqa: E402
from pipelines.offline import enforce_offline  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
REAL_POINTS = "real-points.pickle"  # in the work folder: the real points, for the writer processes
ROWS = "rows.jsonl"  # in the work folder: the figures of each size measured (for --remeasure)
DENSE, SPARSE = "text-dense", "text-sparse"  # the vector names of qdrant-haystack (hybrid collections)
MODES = ("dense", "hybrid")
WARM_UP_QUESTION = "Welche Unterlagen brauche ich für die Anmeldung eines Wohnsitzes?"
RECALL_K = 20  # the candidates the retrieval pipeline fetches (retrieval.candidates)

# generated towns: invented names, so that no question of the evaluation set names one of them
_TOWN_HEADS = ["Ober", "Unter", "Nieder", "Neu", "Alt", "Klein", "Groß", "Hohen", "Bad ", "Sankt "]
_TOWN_STEMS = ["linden", "eichen", "buchen", "tann", "rosen", "wald", "berg", "au", "brunn", "mühl", "kirch"]
_TOWN_TAILS = ["bach", "feld", "hausen", "heim", "ingen", "stetten", "weiler", "dorf", "hofen", "stadt"]
_AMOUNT = re.compile(r"\b\d{1,3}(?:\.\d{3})*,\d{2}\b")
_YEAR = re.compile(r"\b(?:19[5-9]\d|20[0-2]\d)\b")


# -- generated variations ---------------------------------------------------------------------------
def towns(n: int, rng: random.Random) -> list[str]:
    names = {
        (h + s + t).replace("  ", " ").title() if h.endswith(" ") else (h + s + t)
        for h in _TOWN_HEADS
        for s in _TOWN_STEMS
        for t in _TOWN_TAILS
    }
    return rng.sample(sorted(names), min(n, len(names)))


def _term_ids(text: str) -> set[int]:
    from pipelines.german_terms import sparse_vector

    return set(sparse_vector(text, query=True)[0])


class VariantMaker:
    """Generated point ``i`` is variation ``i // len(real) + 1`` of real point ``i % len(real)``.

    Real points are ``(id, dense, (indices, values) | None, payload)``; generated ones are built the same way and
    turned into engine points as EdgeDocumentStore writes them (payload = the Haystack document without its
    vectors, vectors named as qdrant-haystack names them, id derived from the document id its way). Deterministic:
    the same seed and real points give the same generated points.
    """

    def __init__(
        self, real: list[tuple[str, list[float], Any, dict[str, Any]]], noise: float, seed: int = 7
    ) -> None:
        import numpy as np

        self.real = real
        self.noise = noise
        self.seed = seed
        self.town_names = towns(400, random.Random(seed))
        self.vectors = np.asarray([p[1] for p in real], dtype=np.float32)
        self._town_terms: dict[str, set[int]] = {}

    def terms_of(self, town: str) -> set[int]:
        if town not in self._town_terms:
            self._town_terms[town] = _term_ids(town)
        return self._town_terms[town]

    def batch(self, first: int, count: int) -> list[tuple[str, list[float], Any, dict[str, Any]]]:
        import numpy as np

        rows = [i % len(self.real) for i in range(first, first + count)]
        noise = np.random.default_rng([self.seed, first]).normal(
            0, self.noise, (count, self.vectors.shape[1])
        )
        vectors = self.vectors[rows] + noise.astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return [
            self._variant(self.real[row], i // len(self.real) + 1, vector)
            for i, row, vector in zip(range(first, first + count), rows, vectors.tolist(), strict=True)
        ]

    def _variant(
        self, point: Any, number: int, vector: list[float]
    ) -> tuple[str, list[float], Any, dict[str, Any]]:
        _, _, sparse, payload = point
        doc_id = hashlib.sha256(f"{payload['id']}:variant:{number}".encode()).hexdigest()
        rng = random.Random(doc_id)
        meta = dict(payload["meta"])
        text = payload.get("content") or ""
        old_town = meta.get("municipality")
        new_town = rng.choice(self.town_names)
        if old_town:
            text = text.replace(old_town, new_town)
            for key in ("title", "heading"):
                if isinstance(meta.get(key), str):
                    meta[key] = meta[key].replace(old_town, new_town)
            meta["municipality"] = new_town
        text = _AMOUNT.sub(lambda _: f"{rng.randrange(1, 400)},{rng.choice(('00', '20', '50', '75'))}", text)
        year = 1995 + rng.randrange(31)
        text = _YEAR.sub(str(year), text)
        meta["date"] = f"{year}-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}"
        if meta.get("valid_from"):
            meta["valid_from"] = meta["date"]
        # a new file: a name that no expected source of the evaluation set ends with
        source = Path(str(meta.get("source", "chunk.md")))
        name = f"{source.stem}.v{number}{source.suffix}"
        slug = re.sub(r"\W+", "-", new_town.lower())
        meta["source"] = meta["source_id"] = f"/generated/{slug}/{source.parent.name}/{name}"
        meta["file_name"] = name
        meta["checksum"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if sparse is not None:
            pairs = dict(zip(*sparse, strict=True))
            if old_town:  # the keyword vector of the original, with the town's terms swapped
                pairs = {i: v for i, v in pairs.items() if i not in self.terms_of(old_town)}
                pairs.update(dict.fromkeys(self.terms_of(new_town), 1.0))
            indices = sorted(pairs)
            sparse = (indices, [pairs[i] for i in indices])
        return doc_id, vector, sparse, dict(payload, id=doc_id, content=text, meta=meta)


def edge_point(point: tuple[str, list[float], Any, dict[str, Any]]) -> Any:
    from haystack_integrations.document_stores.qdrant.converters import convert_id
    from qdrant_edge import Point, SparseVector

    doc_id, dense, sparse, payload = point
    vectors: dict[str, Any] = {DENSE: dense}
    if sparse is not None:
        vectors[SPARSE] = SparseVector(list(sparse[0]), list(sparse[1]))
    return Point(convert_id(doc_id), vectors, payload)


def read_real_points(settings: Settings) -> tuple[list[Any], dict[str, Any]]:
    """Every chunk of the live generation as ``(id, dense, (indices, values), payload)``, and its manifest."""
    from qdrant_edge import ScrollRequest

    from pipelines.stores import EmbeddedIndex, close_document_store, create_document_store

    index = EmbeddedIndex(settings.index_dir)
    manifest = index.manifest()
    snapshot = index.snapshot()
    store: Any = create_document_store(settings, path=snapshot.path, keywords=True)
    points: list[Any] = []
    try:
        offset = None
        while True:
            records, offset = store.shard.scroll(
                ScrollRequest(offset=offset, limit=1000, with_payload=True, with_vector=True)
            )
            for r in records:
                sparse = r.vector.get(SPARSE)
                points.append(
                    (
                        str(r.payload["id"]),
                        list(r.vector[DENSE]),
                        (list(sparse.indices), list(sparse.values)) if sparse is not None else None,
                        r.payload,
                    )
                )
            if offset is None:
                break
    finally:
        close_document_store(store)
        snapshot.close()
    points.sort(key=lambda p: p[0])
    return points, manifest


def folder_mb(path: Path) -> float:
    """Disk blocks in use (the engine preallocates sparse files: their length overstates the size)."""
    return sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file()) / 1e6


# -- measuring (in a fresh process per size) --------------------------------------------------------
def pick_questions(path: Path, n: int, indexed: list[str] | None = None) -> list[Any]:
    """N answerable questions spread evenly over the set, in a fixed shuffled order (any prefix is mixed); with
    ``indexed``, only questions whose expected source is among these indexed sources."""
    from pipelines.evaluation import load_cases, source_matches

    answerable = [c for c in load_cases(path) if c.answerable]
    if indexed is not None:
        answerable = [
            c for c in answerable if any(source_matches(s, e) for s in indexed for e in c.expected_sources)
        ]
    step = max(1.0, len(answerable) / max(n, 1))
    chosen = [answerable[int(i * step)] for i in range(min(n, len(answerable)))]
    random.Random(3).shuffle(chosen)
    return chosen


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[round(q * (len(ordered) - 1))]


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Open the index as a reader does (one QueryService: a private snapshot, one open shard) and time the
    questions per mode, with the search the settings build and with exact search; a dict of figures."""
    import psutil

    from pipelines.components.german_sparse_text_embedder import GermanSparseTextEmbedder
    from pipelines.embedders import build_text_embedder
    from pipelines.evaluation import source_matches
    from pipelines.filters import build_filters
    from pipelines.query import QueryService, build_retrieval_pipeline
    from pipelines.stores import EmbeddedIndex

    settings = load_settings("embedded", data_dir=args.measure, retrieval={"hybrid": True})
    filters = build_filters(role=args.role, default_level=settings.access.default)
    index = EmbeddedIndex(settings.index_dir)
    indexed = [e["source"] for e in index.manifest().get("entries", {}).values()]
    questions = pick_questions(args.cases, args.questions, indexed)
    process = psutil.Process()
    result: dict[str, Any] = {"rss_base_mb": rss_mb(process), "questions": len(questions)}

    # the models first (loaded once per process, whatever the index; not part of opening the index)
    started = time.perf_counter()
    embedder = build_text_embedder(settings)
    embedder.warm_up()
    vectors = [embedder.run(text=c.question)["embedding"] for c in questions]
    sparse_embedder = GermanSparseTextEmbedder()
    sparse_vectors = [sparse_embedder.run(text=c.question)["sparse_embedding"] for c in questions]
    result["models_s"] = round(time.perf_counter() - started, 2)
    result["rss_models_mb"] = rss_mb(process)
    if args.cold:  # the index's files out of the page cache: as after a reboot
        generation = index.current()
        assert generation is not None
        evict(settings.index_dir / generation)
    # the first question of a fresh query service: a private snapshot linked and the shard opened, then the
    # retrieval pipeline's own models loaded (warm-up), then the first search
    service = QueryService(settings, hybrid=True)
    started = time.perf_counter()
    service._ensure_store()
    result["open_s"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    assert service._retrieval is not None
    service._retrieval.warm_up()
    for name in ("embedder", "keyword_embedder"):  # components that load their model on their first run
        service._retrieval.get_component(name).run(text=WARM_UP_QUESTION)
    result["pipeline_warm_up_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    service.search(WARM_UP_QUESTION, filters=filters)
    result["first_query_s"] = round(time.perf_counter() - started, 3)
    result["first_search_s"] = round(result["open_s"] + result["first_query_s"], 2)
    result["rss_open_mb"] = rss_mb(process)
    if args.cold:
        service.close()
        return result

    store = service._store
    dense_pipeline = build_retrieval_pipeline(settings, store, hybrid=False)  # the same open shard
    dense_pipeline.warm_up()

    def whole_search(mode: str, question: str) -> list[Any]:
        if mode == "hybrid":
            return service.search(question, top_k=args.k, filters=filters)
        # the service's own inputs (the analyzer reads the question once), without the keyword embedder
        data = service._inputs(question, filters, args.k)
        data.pop("keyword_embedder", None)
        return list(dense_pipeline.run(data)["ranker"]["documents"])

    for search in ("index", "exact"):
        store.exact = search == "exact"  # benchmark only: the same index searched both ways
        for mode in args.modes:
            whole_search(mode, WARM_UP_QUESTION)
            times: list[float] = []
            cpu: list[float] = []
            missed: list[str] = []
            spent = time.perf_counter()
            for case in questions:
                if len(times) >= 3 and time.perf_counter() - spent > args.budget:
                    break
                started, cpu_started = time.perf_counter(), time.process_time()
                docs = whole_search(mode, case.question)
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
                if not any(
                    source_matches(str(d.meta.get("source", "")), e)
                    for d in docs
                    for e in case.expected_sources
                ):
                    missed.append(case.question)
            figures: dict[str, Any] = {
                "n": len(times),
                "p50_s": round(statistics.median(times), 3),
                "p95_s": round(percentile(times, 0.95), 3),
                f"hit@{args.k}": round(1 - len(missed) / len(times), 3),
                "cpu_p50_s": round(statistics.median(cpu), 3),
                "missed": missed,
            }
            # the store alone (question vectors made beforehand), twice over the questions
            store_times: list[float] = []
            store_cpu: list[float] = []
            for vector, sparse in [*zip(vectors, sparse_vectors, strict=True)] * 2:
                started, cpu_started = time.perf_counter(), time.process_time()
                if mode == "hybrid":
                    store.hybrid_retrieval(
                        vector, sparse, filters=filters, top_k=RECALL_K, return_embedding=True
                    )
                else:
                    store.embedding_retrieval(vector, filters=filters, top_k=RECALL_K, return_embedding=True)
                store_times.append(time.perf_counter() - started)
                store_cpu.append(time.process_time() - cpu_started)
            figures["store_p50_s"] = round(statistics.median(store_times), 4)
            figures["store_p95_s"] = round(percentile(store_times, 0.95), 4)
            figures["store_cpu_p50_s"] = round(statistics.median(store_cpu), 4)
            result[f"{mode}_{search}"] = figures
        if (
            search == "index"
        ):  # what a reader holds: its own searches (the exact ones below scan every vector)
            memory = process.memory_info()
            result["rss_max_mb"] = rss_mb(process)
            result["rss_anon_mb"] = round(
                (memory.rss - memory.shared) / 1e6
            )  # not shared with the page cache
    store.exact = False
    # the search the settings build against exact search: recall@RECALL_K of the dense candidates (same filter),
    # for the configured hnsw_ef and the others of --ef
    for ef in sorted({store.hnsw_ef, *args.ef}, key=lambda e: e or 0):
        recalls, cpu = [], []
        for vector in vectors:
            store.exact, store.hnsw_ef = True, None
            exact = {d.id for d in store.embedding_retrieval(vector, filters=filters, top_k=RECALL_K)}
            store.exact, store.hnsw_ef = False, ef
            cpu_started = time.process_time()
            found = {d.id for d in store.embedding_retrieval(vector, filters=filters, top_k=RECALL_K)}
            cpu.append(time.process_time() - cpu_started)
            recalls.append(len(exact & found) / max(len(exact), 1))
        result.setdefault("recall", []).append(
            {
                "hnsw_ef": ef,
                f"recall@{RECALL_K}": round(statistics.mean(recalls), 4),
                "min": round(min(recalls), 2),
                "dense_store_cpu_p50_s": round(statistics.median(cpu), 4),
            }
        )
        if ef == settings.store.embedded_hnsw_ef:
            result[f"recall@{RECALL_K}"] = round(statistics.mean(recalls), 4)
    result["rss_after_exact_mb"] = rss_mb(process)
    result["segments"] = store.shard.info().segments_count
    assert service._snapshot is not None
    result["graph"] = has_graph(service._snapshot.path)
    service.close()
    return result


def has_graph(shard: Path) -> bool:
    """Whether a segment of the shard was built with an HNSW graph (m > 0); m = 0 segments are scanned."""
    for config in shard.glob("segments/*/segment.json"):
        index = json.loads(config.read_text())["config"]["vector_data"][DENSE]["index"]
        if index.get("type") == "hnsw" and index.get("options", {}).get("m", 0) > 0:
            return True
    return False


def evict(folder: Path) -> None:
    """Drop the files of ``folder`` from the page cache (only those: no other process's memory is touched)."""
    for file in folder.rglob("*"):
        if file.is_file():
            with file.open("rb") as f:
                os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def rss_mb(process: Any) -> float:
    return round(process.memory_info().rss / 1e6, 0)


def in_child(*options: str, priority: int | None = None) -> dict[str, Any]:
    """Run this script with ``options`` in a fresh process (at nice ``priority``, if given and allowed); the dict
    it prints last."""
    command = [sys.executable, str(Path(__file__).resolve()), *options]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))

    def set_priority() -> None:
        if priority is not None:
            with contextlib.suppress(PermissionError):  # lowering a nice value needs privileges
                os.setpriority(os.PRIO_PROCESS, 0, priority)

    done = subprocess.run(
        command, capture_output=True, text=True, env=env, check=False, preexec_fn=set_priority
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{' '.join(options[:2])} failed (exit {done.returncode}); its output is above.")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- the run ----------------------------------------------------------------------------------------
def ensure_source(args: argparse.Namespace) -> Settings:
    from pipelines.stores import EmbeddedIndex

    settings = load_settings("embedded", data_dir=args.source_index, retrieval={"hybrid": True})
    index = EmbeddedIndex(settings.index_dir)
    if index.current() is None:
        from ingest.runner import ingest

        for corpus in args.corpus:
            print(
                f"no index in {args.source_index}: ingesting {corpus} (dense and keyword vectors)", flush=True
            )
            report = ingest(settings, [str(corpus.resolve())])
            print(
                f"  {len(report.added)} files, {report.chunks_written} chunks, {report.seconds:.0f} s",
                flush=True,
            )
    if "+" not in str(index.manifest().get("embedder", "")):
        raise SystemExit(
            f"The index in {args.source_index} has no keyword vectors; give --source-index an index built "
            "with hybrid search (retrieval.hybrid: true)."
        )
    return settings


def machine() -> str:
    import psutil

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line
        ]
        cpu = names[0] if names else cpu
    from importlib.metadata import version

    load = ", ".join(f"{x:.1f}" for x in psutil.getloadavg())
    return (
        f"{os.cpu_count()} cores ({cpu}), {psutil.virtual_memory().total / 2**30:.0f} GiB RAM, "
        f"Python {platform.python_version()}, qdrant-edge-py {version('qdrant-edge-py')}, load average {load}"
    )


def grow(args: argparse.Namespace) -> dict[str, Any]:
    """Write real, then generated points until the generation holds ``args.to``; then optimize. Own process."""
    import psutil
    from qdrant_edge import UpdateOperation

    from pipelines.stores import EmbeddedIndex, close_document_store, create_document_store

    settings = load_settings("embedded", data_dir=args.grow, store={"embedded_graph_from": args.graph_from})
    real = pickle.loads((args.grow / REAL_POINTS).read_bytes())
    maker = VariantMaker(real, noise=args.noise)
    index = EmbeddedIndex(settings.index_dir)
    store: Any = create_document_store(
        settings, path=settings.index_dir / str(index.current()), keywords=True
    )
    have = store.count_documents()
    written, seconds, peak, optimize_s = 0, 0.0, 0.0, 0.0
    try:
        while have + written < args.to:
            first = have + written
            count = min(args.batch, args.to - first)
            if first < len(real):
                count = min(count, len(real) - first)
                batch = real[first : first + count]
            else:
                batch = maker.batch(first - len(real), count)
            started = time.perf_counter()
            store.shard.update(UpdateOperation.upsert_points([edge_point(p) for p in batch]))
            seconds += time.perf_counter() - started
            written += count
            started = time.perf_counter()
            store.wrote(count)  # the store's own periodic optimization, as in ingestion
            optimize_s += time.perf_counter() - started
            peak = max(peak, psutil.Process().memory_info().rss / 1e6)
        started = time.perf_counter()
        store.optimize()
        store.flush()
        optimize_s += time.perf_counter() - started
        peak = max(peak, psutil.Process().memory_info().rss / 1e6)
    finally:
        close_document_store(store)
    return {
        "written": written,
        "seconds": seconds,
        "optimize_s": round(optimize_s, 1),
        "writer_rss_mb": round(peak),
    }


def chosen(row: dict[str, Any], mode: str) -> dict[str, Any]:
    """The figures of the search the settings build at this size (graph, or a scan of the int8 copies)."""
    return row[f"{mode}_index"]


def table(rows: list[dict[str, Any]], k: int) -> list[str]:
    out = [
        f"| chunks | load | write pts/s | optimize s | index MB | first search s (cold cache) | reader RSS MB (anon) "
        f"| search | store dense p50 / p95 ms | store hybrid p50 / p95 ms (CPU p50) "
        f"| whole search hybrid p50 / p95 s (CPU p50) | hybrid hit@{k} | recall@{RECALL_K} |",
        "|---:|---|---:|---:|---:|---|---|---|---|---|---|---:|---:|",
    ]
    for r in rows:
        for search in ("index", "exact"):
            d, h = r[f"dense_{search}"], r[f"hybrid_{search}"]
            label = ("graph" if r["graph"] else "int8 scan") if search == "index" else "exact"
            out.append(
                f"| {r['size']:,} | {'–'.join(map(str, r.get('load_average', [])))} | {r['write_pts_s']:,.0f} | {r['optimize_s']:.0f} | {r['disk_mb']:,.0f} "
                f"| {r['first_search_s']:.2f} ({r['first_search_s_cold']:.2f}) "
                f"| {r['rss_max_mb']:,.0f} ({r['rss_anon_mb']:,.0f}) | {label} "
                f"| {1000 * d['store_p50_s']:.1f} / {1000 * d['store_p95_s']:.1f} "
                f"| {1000 * h['store_p50_s']:.1f} / {1000 * h['store_p95_s']:.1f} "
                f"({1000 * h['store_cpu_p50_s']:.1f}) "
                f"| {h['p50_s']:.2f} / {h['p95_s']:.2f} ({h['cpu_p50_s']:.2f}, n={h['n']}) "
                f"| {h[f'hit@{k}']:.2f} | {r[f'recall@{RECALL_K}'] if search == 'index' else 1.0} |"
            )
    return out


def run(args: argparse.Namespace) -> None:
    from pipelines.stores import EmbeddedIndex

    run_started = time.perf_counter()
    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    source = ensure_source(args)
    started = time.perf_counter()
    real, manifest = read_real_points(source)
    print(f"{len(real)} real chunks from {args.source_index} ({time.perf_counter() - started:.1f} s to read)")
    if sizes and sizes[0] < len(real):
        raise SystemExit(
            f"Every size must be at least the {len(real)} real chunks; --sizes starts at {sizes[0]}."
        )
    random.Random(11).shuffle(real)  # variants spread over all documents, not the first ones by id
    maker = VariantMaker(real, noise=args.noise)
    sample = maker.batch(0, 200)
    cosines = [
        sum(a * b for a, b in zip(r[1], g[1], strict=True)) for r, g in zip(real, sample, strict=False)
    ]
    print(
        f"generated chunks: dense noise {args.noise} -> cosine to their original {statistics.mean(cosines):.3f} "
        f"(min {min(cosines):.3f}); role filter '{args.role}'; up to {args.questions} questions of {args.cases.name} "
        f"whose expected source is among the {len(manifest.get('entries', {}))} indexed files, "
        f"{args.budget:g} s per mode, search and size; HNSW graph for segments from {args.graph_from:,} chunks"
    )
    print(f"machine: {machine()}", flush=True)

    work = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="auskunft-scale-"))
    if args.remeasure:
        if not (work / ROWS).is_file():
            raise SystemExit(f"--remeasure needs the --work-dir of an earlier run; {work / ROWS} is missing.")
        row = json.loads((work / ROWS).read_text().splitlines()[-1])  # the size the index holds now
        rows = [row | measure_in_children(args, work, quiet=True)]
        print(json.dumps(rows[0], ensure_ascii=False), flush=True)
        report(args, rows, sizes=[row["size"]], run_started=run_started)
        return
    if work.exists() and any(work.iterdir()):
        raise SystemExit(f"--work-dir {work} is not empty; give a new or empty folder.")
    settings = load_settings("embedded", data_dir=work, store={"embedded_graph_from": args.graph_from})
    index = EmbeddedIndex(settings.index_dir)
    generation, path = index.begin()
    rows: list[dict[str, Any]] = []
    try:
        (work / REAL_POINTS).write_bytes(pickle.dumps(real))
        # the benchmark grows one generation in place and commits it again at each size: the house rule
        # "committed generations are never written to" holds because no reader is open while it writes
        index.commit(generation, manifest)
        have = 0
        for size in [len(real), *[s for s in sizes if s > len(real)]]:
            step = in_child(
                *(
                    "--grow",
                    str(work),
                    "--to",
                    str(size),
                    "--batch",
                    str(args.batch),
                    "--noise",
                    str(args.noise),
                ),
                *("--graph-from", str(args.graph_from)),
            )
            have += step["written"]
            index.commit(generation, manifest)
            row: dict[str, Any] = {
                "size": have,
                "write_pts_s": round(step["written"] / step["seconds"]) if step["seconds"] else 0,
                "optimize_s": step["optimize_s"],
                "writer_rss_mb": step["writer_rss_mb"],
                "disk_mb": round(folder_mb(path), 1),
            }
            row |= measure_in_children(args, work, quiet=size in sizes)
            rows.append(row)
            with (work / ROWS).open("a", encoding="utf-8") as f:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
            print(json.dumps(row, ensure_ascii=False), flush=True)
    finally:
        if not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)
    report(args, rows, sizes, run_started)


def measure_in_children(args: argparse.Namespace, work: Path, quiet: bool) -> dict[str, Any]:
    """Measure the index in ``work`` in two fresh processes (page cache warm, then cold), at the readers' normal
    priority; with ``quiet``, after waiting (up to --quiet-wait minutes) for the load average to fall to
    --quiet-load."""
    waited = time.perf_counter()
    while (
        quiet and os.getloadavg()[0] > args.quiet_load and time.perf_counter() - waited < 60 * args.quiet_wait
    ):
        time.sleep(30)
    measuring = (
        *("--measure", str(work), "--questions", str(args.questions), "--budget", str(args.budget)),
        *("--role", args.role, "--cases", str(args.cases), "--k", str(args.k)),
        *("--ef", ",".join(map(str, args.ef))),
    )
    load_before = os.getloadavg()[0]
    row = in_child(*measuring, priority=args.measure_nice)
    cold = in_child(*measuring, "--cold", priority=args.measure_nice)
    row |= {f"{key}_cold": cold[key] for key in ("open_s", "first_query_s", "first_search_s")}
    row["load_average"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
    return row


def report(
    args: argparse.Namespace, rows: list[dict[str, Any]], sizes: list[int], run_started: float
) -> None:
    print()
    print("\n".join(table(rows, args.k)))
    print(
        "\nload: the 1-minute load average before and after measuring (2 cores); first search s: a fresh query service in a new process (links a private snapshot, opens the shard, "
        "answers the first question; the retrieval pipeline's models are loaded in between and not counted), in "
        "brackets with the index's files dropped from the page cache first; reader RSS: that process (one open "
        "shard, models loaded) after its searches (before the exact ones), in brackets its memory not shared with the "
        "page cache; "
        "search: what the settings build at that size (a graph from store.embedded_graph_from chunks, below a "
        "scan of the int8 copies; both rescored) or exact search; "
        f"store p50 / p95: the store's retrieval alone (top {RECALL_K}, role filter '{args.role}', question vectors "
        "made beforehand, each question twice); whole search: the retrieval pipeline (question embedded, store, "
        f"ranker) over n questions; hit@{args.k}: expected source in the top {args.k} among generated "
        f"near-duplicates; recall@{RECALL_K}: dense candidates found of those exact search finds (same filter)."
    )
    print(f"machine: {machine()}")
    print(f"whole run: {(time.perf_counter() - run_started) / 60:.1f} min")
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "chunks": r["size"],
                        "dense_p50_s": chosen(r, "dense")["store_p50_s"],
                        "hybrid_p50_s": chosen(r, "hybrid")["store_p50_s"],
                        "hybrid_p95_s": chosen(r, "hybrid")["store_p95_s"],
                        "first_search_s": r["first_search_s"],
                        "rss_mb": r["rss_max_mb"],
                        "first_search_cold_cache_s": r["first_search_s_cold"],
                        "rss_anon_mb": r["rss_anon_mb"],
                        f"hybrid_hit@{args.k}": chosen(r, "hybrid")[f"hit@{args.k}"],
                        # the whole search: question embedded, store, ranker (wall clock and CPU of the process)
                        "search_hybrid_p50_s": chosen(r, "hybrid")["p50_s"],
                        "search_hybrid_cpu_p50_s": chosen(r, "hybrid")["cpu_p50_s"],
                    }
                    for r in rows
                    if r["size"] in sizes
                ]
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="index sizes in chunks, comma-separated")
    parser.add_argument(
        "--questions", type=int, default=30, help="questions per mode (fewer if --budget ends)"
    )
    parser.add_argument(
        "--budget", type=float, default=60.0, help="seconds of questions per mode (>= 3 asked)"
    )
    parser.add_argument("--role", default="staff", choices=("desk", "staff", "admin"), help="role filter")
    parser.add_argument(
        "--noise", type=float, default=0.01, help="Gaussian noise per dimension of generated vectors"
    )
    parser.add_argument("--batch", type=int, default=1024, help="points per engine update")
    parser.add_argument(
        "--graph-from",
        type=int,
        default=load_settings("embedded").store.embedded_graph_from,
        help="segments of at least this many chunks get an HNSW graph (default: store.embedded_graph_from)",
    )
    parser.add_argument("--source-index", type=Path, default=REPO / "benchmarks" / ".data" / "scale-source")
    parser.add_argument(
        "--corpus",
        type=Path,
        nargs="+",
        default=[REPO.parent / "shared" / "corpus", REPO.parent / "shared" / "corpus-extra"],
    )
    parser.add_argument("--cases", type=Path, default=REPO / "benchmarks" / "eval" / "questions.jsonl")
    parser.add_argument("--work-dir", help="keep the grown index here (default: a temporary folder, removed)")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the figures per size")
    parser.add_argument(
        "--measure", type=Path, help=argparse.SUPPRESS
    )  # internal: one size, in a fresh process
    parser.add_argument("--modes", default=",".join(MODES), help=argparse.SUPPRESS)
    parser.add_argument(
        "--ef",
        default="128,256,1024",
        help="hnsw_ef values whose recall is measured besides the configured one",
    )
    parser.add_argument(
        "--remeasure",
        action="store_true",
        help="measure the index an earlier run left in --work-dir again (e.g. when the machine is quieter)",
    )
    parser.add_argument(
        "--quiet-load", type=float, default=1e9, help="before measuring, wait for this 1-minute load average"
    )
    parser.add_argument("--quiet-wait", type=float, default=0, help="... for at most this many minutes")
    parser.add_argument(
        "--measure-nice",
        type=int,
        default=0,
        help="nice value of the measuring processes (readers run at 0; writers keep the run's own)",
    )
    parser.add_argument("--cold", action="store_true", help=argparse.SUPPRESS)  # internal: first search only
    parser.add_argument("--grow", type=Path, help=argparse.SUPPRESS)  # internal: one write step, own process
    parser.add_argument("--to", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.ef = [int(e) for e in str(args.ef).split(",") if e.strip()]
    enforce_offline()
    if args.measure:
        args.modes = [m for m in args.modes.split(",") if m]
        print(json.dumps(measure(args)))
        return
    if args.grow:
        print(json.dumps(grow(args)))
        return
    run(args)


if __name__ == "__main__":
    main()
