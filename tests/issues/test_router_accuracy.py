"""The router's accuracy floor (issue 15 item 2): a category model trained on the demo's complaint generator
(issues.texts) ranks hand-written complaints it never saw (tests/data/heldout_complaints.jsonl, written apart from
the generator) right: top-1 ≥ 0.7, top-3 ≥ 0.9.

The held-out file is only ever read here, to measure: nothing in the router was tuned on it.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from issues.router.model import top_k_accuracy, train
from issues.texts import CATEGORIES, complaint_text

HELD_OUT = Path(__file__).resolve().parents[1] / "data" / "heldout_complaints.jsonl"
PER_CATEGORY = 600  # ~6,000 texts, as bench/router.py: a district's few months of dispatched tickets


def test_a_model_trained_on_the_demo_texts_ranks_hand_written_complaints_right():
    rng = random.Random(15)
    labels = [category for category in CATEGORIES for _ in range(PER_CATEGORY)]
    fit = train([complaint_text(rng, category) for category in labels], labels, seed=0)
    rows = [json.loads(line) for line in HELD_OUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 100 and {row["category"] for row in rows} <= set(fit.labels)
    top1, top3 = top_k_accuracy(fit.pipeline, [row["text"] for row in rows], [row["category"] for row in rows])
    assert top1 >= 0.7 and top3 >= 0.9, f"held-out top-1 {top1:.3f}, top-3 {top3:.3f}"
