"""Time the demo path: ingest the example corpus, then search and answer a few questions.

Usage: .venv/bin/python benchmarks/answer_latency.py   (uses a fresh temporary data dir)
Prints: ingest seconds and chunks/s, search latency, time to first token and total answer time.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from config.settings import load_settings
from ingest.runner import ingest
from pipelines.offline import enforce_offline
from pipelines.query import QueryService

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "Wie viel Verpackungssteuer verlangt Konstanz für ein Einwegbesteck?",
    "Wie hoch ist die Hundesteuer in Bad Boll für einen Hund?",
    "Was kostet eine Stunde Parken in Konstanz?",
]


def main() -> None:
    enforce_offline()
    with tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings("embedded", data_dir=data_dir)
        report = ingest(settings, [str(REPO / "examples" / "corpus")])
        print(
            f"ingest examples/corpus: {len(report.added)} files, {report.chunks_written} chunks, "
            f"{report.seconds:.1f} s ({report.chunks_written / report.seconds:.1f} chunks/s), {len(report.failed)} failed"
        )
        service = QueryService(settings)
        search_times = []
        for q in QUESTIONS * 3:
            t = time.perf_counter()
            service.search(q)
            search_times.append(time.perf_counter() - t)
        print(
            f"search: median {statistics.median(search_times) * 1000:.0f} ms over {len(search_times)} queries"
        )
        t = time.perf_counter()
        service.answer("Test")  # loads the language model once, as the UI does on its first question
        print(f"first question incl. model load: {time.perf_counter() - t:.1f} s")
        for q in QUESTIONS:
            start = time.perf_counter()
            first_token: list[float] = []

            def on_token(_chunk: object, start: float = start, seen: list[float] = first_token) -> None:
                if not seen:
                    seen.append(time.perf_counter() - start)

            answer = service.answer(q, streaming_callback=on_token)
            total = time.perf_counter() - start
            ttft = f"{first_token[0]:.1f} s" if first_token else "n/a (refused without generation)"
            print(f"answer: first token {ttft}, total {total:.1f} s, refused={answer.refused}: {q}")
        service.close()


if __name__ == "__main__":
    main()
