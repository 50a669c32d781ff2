"""Precision and recall of the personal-data masker on the labelled sample ``tests/data/pii_sample.jsonl``.

    .venv/bin/python benchmarks/pii.py [--sample FILE] [--show]

The sample holds short passages cut from the development corpus (``../shared/corpus``: Erlangen
minutes, Linsengericht and Bad Boll/Schwieberdingen statutes, Karlsruhe OParl texts, federal laws) and
synthetic passages (``"synthetic": true``) for kinds the corpus lacks (IBANs, dates of birth, forms of
private applicants). Each passage lists the spans that must be masked (kind, text); passages with office
holders, streets without numbers and plan names list none. Labelling policy: names only of private
persons (members of councils and advisory boards, staff and invited speakers acting in their role are
not private); every street address with a house number, phone number and e-mail address counts (also an
office's). A found span counts as correct when it overlaps an expected span of the same kind.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pipelines.components.personal_data_masker import KINDS, find_personal_data

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "pii_sample.jsonl"


def expected_spans(row: dict[str, Any]) -> list[tuple[int, int, str]]:
    """Where the labelled texts are: each one at its first place not yet taken by another label."""
    spans: list[tuple[int, int, str]] = []
    for item in row["spans"]:
        start = row["text"].find(item["text"])
        while any(s < start + len(item["text"]) and start < e for s, e, _ in spans):
            start = row["text"].find(item["text"], start + 1)
        spans.append((start, start + len(item["text"]), item["kind"]))
    return spans


def score(rows: list[dict[str, Any]], show: bool = False) -> dict[str, dict[str, int]]:
    counts = {kind: {"tp": 0, "fp": 0, "fn": 0} for kind in KINDS}
    for row in rows:
        found = [(s.start, s.end, s.kind) for s in find_personal_data(row["text"])]
        wanted = expected_spans(row)
        for start, end, kind in found:
            hit = any(kind == k and start < e and s < end for s, e, k in wanted)
            counts[kind]["tp" if hit else "fp"] += 1
            if show and not hit:
                print(f"FP {row['id']} {kind}: {row['text'][start:end]!r}")
        for start, end, kind in wanted:
            if not any(kind == k and s < end and start < e for s, e, k in found):
                counts[kind]["fn"] += 1
                if show:
                    print(f"FN {row['id']} {kind}: {row['text'][start:end]!r}")
    return counts


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "–"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--show", action="store_true", help="print every miss and every wrong find")
    parser.add_argument("--corpus-only", action="store_true", help="leave out the synthetic passages")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.sample.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.corpus_only:
        rows = [r for r in rows if not r["synthetic"]]
    counts = score(rows, args.show)
    real = sum(not r["synthetic"] for r in rows)
    print(f"{len(rows)} passages ({real} from the corpus, {len(rows) - real} synthetic)")
    print(
        f"{'kind':<10} {'expected':>8} {'found':>6} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>9} {'recall':>6}"
    )
    total = {"tp": 0, "fp": 0, "fn": 0}
    for kind, c in counts.items():
        for key in total:
            total[key] += c[key]
        print(
            f"{kind:<10} {c['tp'] + c['fn']:>8} {c['tp'] + c['fp']:>6} {c['tp']:>4} {c['fp']:>4} {c['fn']:>4} "
            f"{_ratio(c['tp'], c['tp'] + c['fp']):>9} {_ratio(c['tp'], c['tp'] + c['fn']):>6}"
        )
    t = total
    print(
        f"{'total':<10} {t['tp'] + t['fn']:>8} {t['tp'] + t['fp']:>6} {t['tp']:>4} {t['fp']:>4} {t['fn']:>4} "
        f"{_ratio(t['tp'], t['tp'] + t['fp']):>9} {_ratio(t['tp'], t['tp'] + t['fn']):>6}"
    )


if __name__ == "__main__":
    main()
