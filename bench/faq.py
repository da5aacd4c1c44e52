"""Benchmark of the FAQ's instant answers (秒回复): accuracy and latency on questions as typed.

    python bench/faq.py            # one JSON line
    python bench/faq.py --misses   # also list, on stderr, every question whose answer is not first

``bench/faq_questions.csv`` holds questions phrased the way enterprises type them (colloquial, abbreviated,
mistyped, in pinyin or English), each with the demo question that answers it, and a part: ``tune`` (the
rows the keywords and synonyms were improved against) or ``holdout`` (never looked at while tuning).
The index is the demo's 98 questions and synonyms (``portal.content.demo_faqs``), built as the portal
builds it; no database. Keys: ``top1`` / ``top3`` the share of questions whose answer is first / in the
first three, overall and per part; ``p50_ms`` / ``p95_ms`` one search's latency; ``build_ms`` the index.
All of these measure the plain index, without votes. ``after_learning_holdout_top1`` / ``_top3`` apart: the
held-out part again, on an index that learned every ``tune`` question as a wording of its answer, as if
visitors had found the answer helpful for it (``LearnedPhrasing``, at most ``LEARNED_MAX_PER_FAQ`` each);
the held-out questions are never learned.
"""

import argparse
import csv
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from portal.content.ranking import demo_index  # noqa: E402
from portal.content.services import LEARNED_MAX_PER_FAQ  # noqa: E402

QUESTIONS = ROOT / "bench" / "faq_questions.csv"


def load(path: Path = QUESTIONS) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the questions not answered first")
    args = parser.parse_args()

    started = time.perf_counter()
    index = demo_index()
    build_ms = (time.perf_counter() - started) * 1000
    rows = load()
    index.search(rows[0]["question"])  # the first search loads pinyin's tables; not a visitor's cost

    hits = {"tune": [0, 0, 0], "holdout": [0, 0, 0]}
    latencies = []
    for row in rows:
        started = time.perf_counter()
        found = [hit.key for hit in index.search(row["question"], limit=3)]
        latencies.append((time.perf_counter() - started) * 1000)
        counts = hits[row["part"]]
        counts[0] += 1
        counts[1] += found[:1] == [row["answer"]]
        counts[2] += row["answer"] in found
        if args.misses and row["part"] == "tune" and found[:1] != [row["answer"]]:
            print(f"{row['part']}\t{row['question']}\t→ {found}\t(want {row['answer']})", file=sys.stderr)

    learned: dict[str, list[str]] = {}
    for row in rows:
        wordings = learned.setdefault(row["answer"], [])
        if row["part"] == "tune" and len(wordings) < LEARNED_MAX_PER_FAQ:
            wordings.append(row["question"])
    after = demo_index(learned=learned)
    holdout = [row for row in rows if row["part"] == "holdout"]
    after_found = [[hit.key for hit in after.search(row["question"], limit=3)] for row in holdout]
    after_top1 = sum(found[:1] == [row["answer"]] for found, row in zip(after_found, holdout, strict=True))
    after_top3 = sum(row["answer"] in found for found, row in zip(after_found, holdout, strict=True))

    total = [sum(part[i] for part in hits.values()) for i in range(3)]
    quantiles = statistics.quantiles(latencies, n=100)
    print(
        json.dumps(
            {
                "questions": total[0],
                "top1": round(total[1] / total[0], 4),
                "top3": round(total[2] / total[0], 4),
                **{
                    f"{part}_{name}": round(counts[i] / counts[0], 4)
                    for part, counts in hits.items()
                    for i, name in ((1, "top1"), (2, "top3"))
                },
                "holdout_questions": hits["holdout"][0],
                "p50_ms": round(quantiles[49], 2),
                "p95_ms": round(quantiles[94], 2),
                "build_ms": round(build_ms, 1),
                "after_learning_holdout_top1": round(after_top1 / len(holdout), 4),
                "after_learning_holdout_top3": round(after_top3 / len(holdout), 4),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
