"""How far the embedded store (qdrant-client local mode, the default) scales: the real corpus grown with
generated variations of its chunks to 100,000 chunks and beyond; retrieval latency, memory, the first search
of a fresh query service (it opens the index) and write throughput at each size.

Usage:
  .venv/bin/python benchmarks/scale.py [--sizes 10000,25000,50000,100000] [--questions 30] [--budget 60]
      [--source-index benchmarks/.data/corpus] [--role staff] [--limit 1.0] [--open-limit 10]
  quick check: .venv/bin/python benchmarks/scale.py --sizes 5000,10000 --questions 10
  beyond: --sizes 10000,25000,50000,100000,200000 (local mode holds every point in memory, ~53 MB per 1,000
  chunks here: 200,000 need about 11 GB free; writer and measuring processes run one after the other)

Source: the index benchmarks/quality.py builds (../shared/corpus, dense and keyword vectors), ingested first
if missing. Nothing is re-embedded: a generated chunk is a real one with another (invented) town, date and
amounts in its text and metadata, a new id and source file, its dense vector moved by Gaussian noise
(--noise; the cosine to the original is printed) and normalised again, so a near-duplicate, the hard case;
its keyword vector is the original's with the town's terms swapped. The fresh index is made by the project's
own create_document_store (same collection, vector names and payload as ingestion); --durable-sample real
chunks are written through QdrantDocumentStore.write_documents as ingestion does (one SQLite commit and fsync
per point in local mode) and timed, the rest are upserted with qdrant-client in batches with SQLite's fsync
off (a bulk load: per point it would take hours on a slow disk).

At each size a fresh process (as the UI or the API starts) opens the index through QueryService and asks
real questions of benchmarks/eval/questions.jsonl with the role filter the UI applies (--role; the corpus is
all "internal", so the desk role would find nothing), dense only and hybrid (the default): p50/p95 retrieval
latency, hit@5 of the expected source among the generated near-duplicates, the first search (a private
snapshot of hard links, then qdrant-client loads every point into memory), the process RSS with the index
open, the index folder's size and the bulk write rate. Local mode searches by brute force, filters and keyword
vectors in Python per point, so latency grows linearly: each mode gets at most --budget seconds of questions
per size (at least 3), and a mode whose p50 passes --give-up seconds is not asked at larger sizes (the first
search, memory and size still are). Ends with a table to paste into README and a conclusion computed from the
figures. Run it on an idle machine: other load goes straight into the figures (cpu_p50_s in the per-size
lines shows it: CPU seconds far below p50 = the process waited for the CPU).
"""

from __future__ import annotations

import argparse
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
import warnings
from pathlib import Path
from typing import Any

# this folder holds ingest.py, named like the `ingest` package; keep it from shadowing the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from config.settings import Settings, load_settings  # noqa: E402
from pipelines.offline import enforce_offline  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
REAL_POINTS = "real-points.pickle"  # in the work folder: the real points, for the writer processes
DENSE, SPARSE = "text-dense", "text-sparse"  # the vector names of QdrantDocumentStore (hybrid collections)
MODES = ("dense", "hybrid")
WARM_UP_QUESTION = "Welche Unterlagen brauche ich für die Anmeldung eines Wohnsitzes?"

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

    Points as QdrantDocumentStore writes them (payload = the Haystack document without its vectors, vectors
    named as the store names them, id derived from the document id the store's way); built directly, as the
    store's own conversion copies every float of every vector in Python and would dominate the run.
    Deterministic: the same seed and real points give the same generated points.
    """

    def __init__(self, real: list[Any], noise: float, seed: int = 7) -> None:
        import numpy as np

        self.real = real
        self.noise = noise
        self.seed = seed
        self.town_names = towns(400, random.Random(seed))
        self.vectors = np.asarray([p.vector[DENSE] for p in real], dtype=np.float32)
        self._town_terms: dict[str, set[int]] = {}

    def terms_of(self, town: str) -> set[int]:
        if town not in self._town_terms:
            self._town_terms[town] = _term_ids(town)
        return self._town_terms[town]

    def batch(self, first: int, count: int) -> list[Any]:
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

    def _variant(self, point: Any, number: int, vector: list[float]) -> Any:
        from haystack_integrations.document_stores.qdrant.converters import convert_id
        from qdrant_client import models

        doc_id = hashlib.sha256(f"{point.payload['id']}:variant:{number}".encode()).hexdigest()
        rng = random.Random(doc_id)
        meta = dict(point.payload["meta"])
        text = point.payload.get("content") or ""
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

        vectors: dict[str, Any] = {DENSE: vector}
        sparse = point.vector.get(SPARSE)
        if sparse is not None:
            pairs = dict(zip(sparse.indices, sparse.values, strict=True))
            if old_town:  # the keyword vector of the original, with the town's terms swapped
                pairs = {i: v for i, v in pairs.items() if i not in self.terms_of(old_town)}
                pairs.update(dict.fromkeys(self.terms_of(new_town), 1.0))
            indices = sorted(pairs)
            vectors[SPARSE] = models.SparseVector(indices=indices, values=[pairs[i] for i in indices])
        payload = dict(point.payload, id=doc_id, content=text, meta=meta)
        return models.PointStruct(id=convert_id(doc_id), vector=vectors, payload=payload)


def read_real_points(settings: Settings) -> tuple[list[Any], dict[str, Any]]:
    """Every point of the live generation with its dense and keyword vectors, and the generation's manifest."""
    from qdrant_client import QdrantClient

    from pipelines.stores import EmbeddedIndex

    index = EmbeddedIndex(settings.index_dir)
    manifest = index.manifest()
    snapshot = index.snapshot()
    client = QdrantClient(path=str(snapshot.path))
    try:
        points, offset = [], None
        while True:
            page, offset = client.scroll(
                settings.store.collection, limit=1000, offset=offset, with_vectors=True, with_payload=True
            )
            points += page
            if offset is None:
                break
    finally:
        client.close()
        snapshot.close()
    return points, manifest


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


# -- measuring (in a fresh process per size) --------------------------------------------------------
def pick_questions(path: Path, n: int) -> list[Any]:
    """N answerable questions spread evenly over the set, in a fixed shuffled order (any prefix is mixed)."""
    from pipelines.evaluation import load_cases

    answerable = [c for c in load_cases(path) if c.answerable]
    step = max(1.0, len(answerable) / max(n, 1))
    chosen = [answerable[int(i * step)] for i in range(min(n, len(answerable)))]
    random.Random(3).shuffle(chosen)
    return chosen


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[round(q * (len(ordered) - 1))]


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Open the index as QueryService does and time the questions, once per mode; a dict of figures."""
    import psutil

    from pipelines.embedders import build_text_embedder
    from pipelines.evaluation import source_matches
    from pipelines.filters import build_filters
    from pipelines.query import QueryService
    from pipelines.stores import EmbeddedIndex

    # local mode's own warning about large collections: measuring exactly that is the point here
    warnings.filterwarnings("ignore", message="Local mode is not recommended")
    settings = load_settings("embedded", data_dir=args.measure, retrieval={"hybrid": True})
    filters = build_filters(role=args.role, default_level=settings.access.default)
    questions = pick_questions(args.cases, args.questions)
    process = psutil.Process()

    embedder = build_text_embedder(settings)  # loads the model once per process (shared by the services)
    embedder.warm_up()
    embedder.run(text=WARM_UP_QUESTION)
    started = time.perf_counter()
    snapshot = EmbeddedIndex(settings.index_dir).snapshot()
    snapshot_s = time.perf_counter() - started
    snapshot.close()
    result: dict[str, Any] = {"snapshot_ms": round(1000 * snapshot_s, 1), "rss_base_mb": rss_mb(process)}

    # dense first: its first search times the open and the memory, also at sizes where no mode is asked any more
    for mode in MODES:
        asked = mode in args.modes
        if not asked and mode != "dense":
            continue
        service = QueryService(settings, hybrid=mode == "hybrid")
        started = time.perf_counter()
        service.search(WARM_UP_QUESTION, filters=filters)  # opens a snapshot: every point into memory
        first = time.perf_counter() - started
        if mode == "dense":
            # what the first question after a start or a re-index waits for
            result["first_search_s"] = round(first, 2)
            result["rss_open_mb"] = rss_mb(process)
        times: list[float] = []
        cpu: list[float] = []
        hits = 0
        spent = time.perf_counter()
        for case in questions if asked else []:
            if len(times) >= 3 and time.perf_counter() - spent > args.budget:
                break
            started, cpu_started = time.perf_counter(), time.process_time()
            docs = service.search(case.question, top_k=args.k, filters=filters)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            hits += any(
                source_matches(str(d.meta.get("source", "")), e) for d in docs for e in case.expected_sources
            )
        result["rss_max_mb"] = max(result.get("rss_max_mb", 0), rss_mb(process))  # sampled, not a true peak
        service.close()
        if not times:
            continue
        p50 = statistics.median(times)
        if mode == "dense":  # roughly the open alone: the first search minus a typical one
            result["open_s"] = round(max(first - p50, 0.0), 2)
        result[mode] = {
            "n": len(times),
            "p50_s": round(p50, 3),
            "p95_s": round(percentile(times, 0.95), 3),
            f"hit@{args.k}": round(hits / len(times), 3),
            # CPU seconds of the process (all threads): far below p50 = the machine was busy with other work
            "cpu_p50_s": round(statistics.median(cpu), 3),
        }
    return result


def rss_mb(process: Any) -> float:
    return round(process.memory_info().rss / 1e6, 0)


def in_child(*options: str) -> dict[str, Any]:
    """Run this script with ``options`` in a fresh process; the dict it prints last."""
    command = [sys.executable, str(Path(__file__).resolve()), *options]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{' '.join(options[:2])} failed (exit {done.returncode}); its output is above.")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure_in_child(args: argparse.Namespace, data_dir: Path, modes: list[str]) -> dict[str, Any]:
    return in_child(
        *("--measure", str(data_dir), "--modes", ",".join(modes), "--questions", str(args.questions)),
        *("--budget", str(args.budget), "--role", args.role, "--cases", str(args.cases), "--k", str(args.k)),
    )


# -- the run ----------------------------------------------------------------------------------------
def ensure_source(args: argparse.Namespace) -> Settings:
    from pipelines.stores import EmbeddedIndex

    settings = load_settings("embedded", data_dir=args.source_index, retrieval={"hybrid": True})
    index = EmbeddedIndex(settings.index_dir)
    if index.current() is None:
        from ingest.runner import ingest

        print(f"no index in {args.source_index}: ingesting {args.corpus} (as benchmarks/quality.py does)")
        report = ingest(settings, [str(args.corpus.resolve())])
        print(f"  {len(report.added)} files, {report.chunks_written} chunks, {report.seconds:.0f} s")
    if "+" not in str(index.manifest().get("embedder", "")):
        raise SystemExit(
            f"The index in {args.source_index} has no keyword vectors; point --source-index at an index built "
            "with hybrid search (benchmarks/quality.py builds one)."
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
        f"Python {platform.python_version()}, qdrant-client {version('qdrant-client')}, load average {load}"
    )


def grow(args: argparse.Namespace) -> dict[str, Any]:
    """Upsert the rest of the real points, then generated ones, until the live generation holds ``args.to``.

    Runs in its own process, so that the writer's copy of every point (local mode keeps them all in memory)
    is gone before a fresh process measures.
    """
    from qdrant_client import QdrantClient, models

    from pipelines.stores import EmbeddedIndex

    settings = load_settings("embedded", data_dir=args.grow)
    collection = settings.store.collection
    real = pickle.loads((args.grow / REAL_POINTS).read_bytes())
    maker = VariantMaker(real, noise=args.noise)
    index = EmbeddedIndex(settings.index_dir)
    started = time.perf_counter()
    client = QdrantClient(path=str(settings.index_dir / str(index.current())))
    load_s = time.perf_counter() - started
    bulk = bulk_load(client, collection)
    have = client.count(collection).count
    written, seconds = 0, 0.0
    try:
        while have + written < args.to:
            count = min(args.batch, args.to - have - written)
            first = have + written
            if first < len(real):  # real points the durable sample left
                count = min(count, len(real) - first)
                points = [
                    models.PointStruct(id=p.id, vector=p.vector, payload=p.payload)
                    for p in real[first : first + count]
                ]
            else:
                points = maker.batch(first - len(real), count)
            started = time.perf_counter()
            client.upsert(collection, points=points)
            seconds += time.perf_counter() - started
            written += count
    finally:
        client.close()
    return {"written": written, "seconds": seconds, "load_s": round(load_s, 2), "bulk": bulk}


def durable_writes(settings: Settings, path: Path, points: list[Any]) -> float:
    """Create the collection with the project's own store and write ``points`` as ingestion does; points/s.

    Ingestion writes through QdrantDocumentStore.write_documents, and qdrant-client's local mode commits every
    point as its own SQLite transaction: one fsync per point.
    """
    from haystack.document_stores.types import DuplicatePolicy
    from haystack_integrations.document_stores.qdrant.converters import (
        convert_qdrant_point_to_haystack_document,
    )

    from pipelines.stores import close_document_store, create_document_store

    store = create_document_store(settings, path=path, keywords=True)
    try:
        store.count_documents()  # creates the collection: same schema and vector names as ingestion
        docs = [
            convert_qdrant_point_to_haystack_document(p.model_copy(deep=True), use_sparse_embeddings=True)
            for p in points
        ]
        started = time.perf_counter()
        if docs:
            store.write_documents(docs, policy=DuplicatePolicy.OVERWRITE)
        return len(docs) / max(time.perf_counter() - started, 1e-9)
    finally:
        close_document_store(store)


def bulk_load(client: Any, collection: str) -> bool:
    """Switch off the fsync after every point for the generated bulk load; False if not possible.

    At one fsync per point (see durable_writes) 100,000 points take hours on a slow disk and measure the
    disk, not the store. Reaches into qdrant-client's local storage (QdrantClient -> QdrantLocal -> collection
    -> persistence -> sqlite3 connection); EmbeddedIndex.commit fsyncs the finished generation as a whole.
    """
    try:
        connection = client._client.collections[collection].storage.storage
        connection.execute("PRAGMA synchronous=OFF")
    except (AttributeError, KeyError):
        return False
    return True


def fit_crossing(rows: list[dict[str, Any]], mode: str, key: str, limit: float) -> int | None:
    """The size at which ``key`` of ``mode`` reaches ``limit`` on a least-squares line through the sizes."""
    points = [(r["size"], r[mode][key]) for r in rows if mode in r]
    if len(points) < 2:
        return None
    slope, intercept = statistics.linear_regression([p[0] for p in points], [p[1] for p in points])
    if slope <= 0:
        return None
    return max(0, round((limit - intercept) / slope))


def conclusion(rows: list[dict[str, Any]], limit: float, open_limit: float) -> list[str]:
    """A few lines computed from the figures: where each mode passes the tolerated p95 and first search."""
    lines = []
    for mode in MODES:
        measured = [r for r in rows if mode in r]
        if not measured:
            continue
        ok = [r["size"] for r in measured if r[mode]["p95_s"] <= limit]
        over = [r for r in measured if r[mode]["p95_s"] > limit]
        fitted = fit_crossing(measured, mode, "p95_s", limit)
        fit = (
            f" (a line through the measured sizes crosses {limit:g} s at ~{fitted:,} chunks)"
            if fitted and fitted >= measured[0]["size"]
            else ""
        )
        label = "hybrid (the default)" if mode == "hybrid" else "dense only"
        if over and not ok:
            lines.append(
                f"{label}: p95 over {limit:g} s already at {over[0]['size']:,} chunks "
                f"({over[0][mode]['p95_s']:.2f} s){fit}"
            )
        elif over:
            lines.append(
                f"{label}: p95 under {limit:g} s up to {max(ok):,} chunks, {over[0][mode]['p95_s']:.2f} s "
                f"at {over[0]['size']:,}{fit}"
            )
        else:
            lines.append(
                f"{label}: p95 under {limit:g} s at every measured size, up to {max(ok):,} chunks{fit}"
            )
    sizes = [r["size"] for r in rows]
    if len(rows) >= 2:
        first = statistics.linear_regression(sizes, [r["first_search_s"] for r in rows])[0]
        memory = statistics.linear_regression(sizes, [r["rss_open_mb"] for r in rows])[0]
        disk = statistics.linear_regression(sizes, [r["disk_mb"] for r in rows])[0]
        lines.append(
            f"per 10,000 chunks: first search {1e4 * first:+.1f} s, RSS {1e4 * memory:+,.0f} MB, "
            f"index folder {1e4 * disk:+,.0f} MB"
        )
    slow = [r["size"] for r in rows if r["first_search_s"] > open_limit]
    lines.append(
        f"the first search of a fresh query service (it opens the index; after every start and re-index) takes "
        f"over {open_limit:g} s from {slow[0]:,} chunks"
        if slow
        else f"the first search of a fresh query service stays under {open_limit:g} s up to {sizes[-1]:,} chunks"
    )

    def largest(mode: str) -> str:
        good = [
            r["size"]
            for r in rows
            if mode in r and r[mode]["p95_s"] <= limit and r["first_search_s"] <= open_limit
        ]
        return f"up to {max(good):,} chunks" if good else f"at none of the measured sizes (from {sizes[0]:,})"

    lines.append(
        f"=> within {limit:g} s p95 and {open_limit:g} s for the first search, the embedded store serves hybrid "
        f"search (the default) {largest('hybrid')}, dense only (retrieval.hybrid: false) {largest('dense')}; "
        "above that use a Qdrant server (profile docker, store.url)."
    )
    return lines


def table(rows: list[dict[str, Any]], k: int) -> list[str]:
    def cell(row: dict[str, Any], mode: str) -> str:
        if mode not in row:
            return "not asked | –"
        m = row[mode]
        return f"{m['p50_s']:.2f} / {m['p95_s']:.2f} (n={m['n']}) | {m[f'hit@{k}']:.2f}"

    out = [
        f"| chunks | bulk write pts/s | index MB | first search s | RSS MB | dense p50 / p95 s | dense hit@{k} "
        f"| hybrid p50 / p95 s | hybrid hit@{k} |",
        "|---:|---:|---:|---:|---:|---|---:|---|---:|",
    ]
    for r in rows:
        write = f"{r['write_pts_s']:,.0f}" if r["write_pts_s"] else "-"
        out.append(
            f"| {r['size']:,} | {write} | {r['disk_mb']:,.0f} | {r['first_search_s']:.1f} | {r['rss_open_mb']:,.0f} "
            f"| {cell(r, 'dense')} | {cell(r, 'hybrid')} |"
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
        sum(a * b for a, b in zip(r.vector[DENSE], g.vector[DENSE], strict=True))
        for r, g in zip(real, sample, strict=False)
    ]
    print(
        f"generated chunks: dense noise {args.noise} -> cosine to their original {statistics.mean(cosines):.3f} "
        f"(min {min(cosines):.3f}); role filter '{args.role}'; up to {args.questions} questions, "
        f"{args.budget:g} s per mode and size"
    )
    print(f"machine: {machine()}")

    work = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="auskunft-scale-"))
    if work.exists() and any(work.iterdir()):
        raise SystemExit(f"--work-dir {work} is not empty; give a new or empty folder.")
    settings = load_settings("embedded", data_dir=work, retrieval={"hybrid": True})
    index = EmbeddedIndex(settings.index_dir)
    generation, path = index.begin()
    rows: list[dict[str, Any]] = []
    modes = list(MODES)
    try:
        (work / REAL_POINTS).write_bytes(pickle.dumps(real))
        durable = real[: args.durable_sample]
        durable_rate = durable_writes(settings, path, durable)
        # the benchmark grows one generation in place and commits it again at each size: the house rule
        # "committed generations are never written to" holds because no reader is open while it writes
        index.commit(generation, manifest)
        print(
            f"durable writes (as ingestion does: QdrantDocumentStore.write_documents, one SQLite commit and "
            f"fsync per point): {durable_rate:,.1f} points/s over {len(durable)} points; the rest is upserted "
            f"with qdrant-client in batches of {args.batch}, without fsync (bulk load)"
        )
        have = len(durable)
        for size in [len(real), *[s for s in sizes if s > len(real)]]:
            step = in_child(
                "--grow", str(work), "--to", str(size), "--batch", str(args.batch), "--noise", str(args.noise)
            )
            if not step["bulk"]:
                print(
                    "  (qdrant-client's storage has changed: this step was written durably, not as a bulk load)"
                )
            have += step["written"]
            index.commit(generation, manifest)
            row: dict[str, Any] = {
                "size": have,
                "write_pts_s": round(step["written"] / step["seconds"]) if step["seconds"] else None,
                "writer_open_s": step["load_s"],
                "disk_mb": round(folder_mb(path), 1),
            }
            row |= measure_in_child(args, work, modes)
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
            for mode in list(modes):
                if mode in row and row[mode]["p50_s"] > args.give_up:
                    modes.remove(mode)
                    print(
                        f"  {mode}: p50 {row[mode]['p50_s']:.1f} s > {args.give_up:g} s, not asked above {have:,}"
                    )
    finally:
        if not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)

    print()
    print("\n".join(table(rows, args.k)))
    print(
        f"\nfirst search s: the first question of a fresh query service, dense, which opens the index (a private "
        f"snapshot of hard links, {max(r['snapshot_ms'] for r in rows):.0f} ms at most, then qdrant-client loads "
        "every point); "
        f"RSS: the measuring process with models loaded and the index open; p50 / p95 over n questions "
        f"with role filter '{args.role}'; hit@{args.k}: expected source in the top {args.k} among generated "
        "near-duplicates."
    )
    print(f"machine: {machine()}")
    print("\n".join(conclusion(rows, args.limit, args.open_limit)))
    print(f"whole run: {(time.perf_counter() - run_started) / 60:.1f} min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="10000,25000,50000,100000", help="index sizes in chunks, comma-separated"
    )
    parser.add_argument(
        "--questions", type=int, default=30, help="questions per mode and size (fewer if --budget ends)"
    )
    parser.add_argument(
        "--budget", type=float, default=60.0, help="seconds of questions per mode and size (>= 3 asked)"
    )
    parser.add_argument(
        "--give-up", type=float, default=5.0, help="stop measuring a mode whose p50 passes this (s)"
    )
    parser.add_argument("--limit", type=float, default=1.0, help="tolerated p95 retrieval latency (s)")
    parser.add_argument(
        "--open-limit",
        type=float,
        default=10.0,
        help="tolerated first search of a fresh query service (opens the index), s",
    )
    parser.add_argument(
        "--role",
        default="staff",
        choices=("desk", "staff", "admin"),
        help="role filter of the searches (desk, staff, admin)",
    )
    parser.add_argument(
        "--noise", type=float, default=0.01, help="Gaussian noise per dimension of generated vectors"
    )
    parser.add_argument(
        "--durable-sample", type=int, default=300, help="real chunks written with an fsync per point, timed"
    )
    parser.add_argument(
        "--batch", type=int, default=1024, help="points per qdrant-client upsert in the bulk load"
    )
    parser.add_argument("--source-index", type=Path, default=REPO / "benchmarks" / ".data" / "corpus")
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--cases", type=Path, default=REPO / "benchmarks" / "eval" / "questions.jsonl")
    parser.add_argument("--work-dir", help="keep the grown index here (default: a temporary folder, removed)")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument(
        "--measure", type=Path, help=argparse.SUPPRESS
    )  # internal: one size, in a fresh process
    parser.add_argument("--modes", default=",".join(MODES), help=argparse.SUPPRESS)
    parser.add_argument("--grow", type=Path, help=argparse.SUPPRESS)  # internal: one write step, own process
    parser.add_argument("--to", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
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
