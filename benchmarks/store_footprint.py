"""What one chunk costs a Qdrant server, measured on a folder, and what that means at a larger scale.

Usage: .venv/bin/python benchmarks/store_footprint.py [FOLDER] [--chunks 10000000]
       (FOLDER defaults to examples/corpus; no store and no dense model are needed)
Prints: chunks, keyword terms per chunk, payload bytes per chunk (as measured), then the arithmetic per chunk
and for --chunks: dense vectors (384 x float32), HNSW links (2 x m x 4 B on the bottom layer), keyword
vectors (terms x 8 B, without their inverted index) and payload, and the RAM with ``store.quantization:
scalar`` + ``store.on_disk: true`` (int8 copy + links).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

# benchmarks/ingest.py is named like the `ingest` package; keep this folder from shadowing the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from haystack import Pipeline  # noqa: E402

from config.settings import load_settings  # noqa: E402
from ingest.sources.folder import list_files  # noqa: E402
from pipelines.components.german_sparse_document_embedder import GermanSparseDocumentEmbedder  # noqa: E402
from pipelines.indexing import add_chunking_stages  # noqa: E402
from pipelines.offline import enforce_offline  # noqa: E402
from pipelines.stores import embedding_dim  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", nargs="?", default=str(REPO / "examples" / "corpus"))
    parser.add_argument("--chunks", type=int, default=10_000_000)
    args = parser.parse_args()
    enforce_offline()
    settings = load_settings("embedded", data_dir="/nonexistent")
    files = list_files(args.folder, settings.indexing.include, settings.indexing.exclude)
    # the real chunking stages (guard and masker included), then the keyword vectors; no dense model needed
    pipeline = Pipeline()
    last = add_chunking_stages(pipeline, settings)
    pipeline.add_component("keywords", GermanSparseDocumentEmbedder())
    pipeline.connect(f"{last}.documents", "keywords.documents")
    meta = [
        {**f.meta, "source": f.source, "source_id": f.source_id, "checksum": "0" * 64, "access": "internal"}
        for f in files
    ]
    chunks = pipeline.run({"converter": {"sources": [f.path for f in files], "meta": meta}})["keywords"][
        "documents"
    ]
    terms = statistics.mean(len(c.sparse_embedding.indices) for c in chunks if c.sparse_embedding)
    payload = statistics.mean(
        len(json.dumps({"content": c.content, "meta": c.meta}, ensure_ascii=False).encode()) for c in chunks
    )
    dense = embedding_dim(settings) * 4
    links = 2 * settings.store.hnsw_m * 4
    keyword = terms * 8
    print(f"{args.folder}: {len(files)} files, {len(chunks)} chunks")
    print(f"per chunk: keyword terms {terms:.0f}, payload {payload:.0f} B (measured)")
    print(
        f"per chunk: dense {dense} B, HNSW links {links} B (m={settings.store.hnsw_m}), "
        f"keyword vector {keyword:.0f} B, payload {payload:.0f} B"
    )
    n = args.chunks
    print(
        f"at {n:,} chunks: dense {gb(n * dense)}, HNSW links {gb(n * links)}, keyword vectors {gb(n * keyword)} "
        f"(+ inverted index), payload {gb(n * payload)}; Qdrant's rule for dense in RAM (x1.5): "
        f"{gb(n * dense * 1.5)}; scalar + on_disk RAM: {gb(n * (dense / 4 + links))}"
    )


if __name__ == "__main__":
    main()
