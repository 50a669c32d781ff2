"""How much a word of a question says, from how many chunks of the index hold it (document frequency).

A word most chunks of the index share ("Gemeinde", "Satzung", "Euro", "Gebühr" in a fee-heavy index)
says little about what a question is about; a rare one ("Hallenbad", "Liegeplatz") says a lot. The
weights are computed from the index itself when `auskunft ingest` / `reindex` commits it (from all chunks,
or from the chunks of a random sample of files in a large index) and stored beside it, so they follow
whatever a municipality indexes instead of a hand-written list of generic words.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.german_terms import terms

FILE_NAME = "term_weights.json"
# a term in more than this share of the chunks is generic: it names no topic
GENERIC_SHARE = 0.05
# a large index is sampled: the chunks of this many randomly chosen files
SAMPLE_FILES = 400
_KEEP_MIN_DF = 2  # rarer terms are not stored: an unknown term is rare


@dataclass
class TermWeights:
    """Document frequencies of keyword terms (pipelines/german_terms.py) over ``chunks`` chunks."""

    chunks: int = 0
    df: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> TermWeights:
        counts: Counter[str] = Counter()
        n = 0
        for text in texts:
            n += 1
            counts.update(set(terms(text)))
        return cls(chunks=n, df={t: c for t, c in counts.items() if c >= _KEEP_MIN_DF})

    def weight(self, term: str) -> float:
        """Inverse document frequency scaled to 0..1: 1 for a term no stored chunk holds, near 0 for a term
        every chunk holds; 1 for every term when nothing was counted."""
        if self.chunks < 2:
            return 1.0
        df = self.df.get(term, 1)
        return max(0.0, math.log((self.chunks + 1) / df) / math.log(self.chunks + 1))

    def generic(self, term: str) -> bool:
        return self.chunks >= 50 and self.df.get(term, 0) > GENERIC_SHARE * self.chunks

    def to_dict(self) -> dict[str, Any]:
        return {"chunks": self.chunks, "df": self.df}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> TermWeights:
        """The weights stored at ``path``; empty weights (every term weighs 1) when there are none."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(chunks=int(data["chunks"]), df={str(k): int(v) for k, v in data["df"].items()})
        except (OSError, ValueError, KeyError, TypeError):
            return cls()


def compute(store: Any, source_ids: list[str], seed: int = 0) -> TermWeights:
    """The weights of the chunks in ``store``: of every chunk, or, for more than ``SAMPLE_FILES`` files, of
    the chunks of ``SAMPLE_FILES`` files drawn at random (fixed ``seed``: the same index gives the same
    weights)."""
    if len(source_ids) <= SAMPLE_FILES:
        documents = store.filter_documents()
    else:
        sample = random.Random(seed).sample(sorted(source_ids), SAMPLE_FILES)
        documents = store.filter_documents(
            filters={"field": "meta.source_id", "operator": "in", "value": sample}
        )
    return TermWeights.from_texts(
        f"{d.meta.get('title') or ''} {d.meta.get('heading') or ''} {d.content or ''}" for d in documents
    )
