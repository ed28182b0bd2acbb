"""Benchmark of the router's suggestions (docs/decisions.md, "Issue 15 — the router").

    .venv/bin/python bench/router.py [--texts 6000] [--calls 1000]

Runs on a scratch embedded database (SQLite in a new temporary ZOUFANG_VAR_DIR, migrated; DATABASE_URL and REDIS_URL
are ignored, deleted at the end). Trains the category and lead-unit models on --texts texts of the demo's complaint
generator (issues.texts; each category's tickets led by one of two made-up unit ids, as a district's departments),
stores them as RouterModel rows (issues.router.store.router_store), then times --calls `suggest` and `suggest_units`
calls on fresh generator texts through the real path: the process's copy of the active model, its version re-checked
once a minute. Prints the training time, the held-out top-1 / top-3, the stored size, the first (cold) call, and
p50 / p95 / p99 in ms. Target: p95 < 50 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup(var_dir: Path) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "DATABASE_REPLICA_URL"):
        os.environ.pop(name, None)
    os.environ["ZOUFANG_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def corpus(n: int, seed: int) -> tuple[list[str], list[str], list[int]]:
    """n generator texts over every category, with a category and a lead unit id each."""
    from issues.texts import CATEGORIES, complaint_text

    rng = random.Random(seed)
    categories = [CATEGORIES[i % len(CATEGORIES)] for i in range(n)]
    units = [100 + 2 * CATEGORIES.index(c) + rng.randrange(2) for c in categories]
    return [complaint_text(rng, c) for c in categories], categories, units


def percentiles(ms: list[float]) -> str:
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return f"p50 {cuts[49]:.2f} ms, p95 {cuts[94]:.2f} ms, p99 {cuts[98]:.2f} ms, max {max(ms):.2f} ms"


def timed(call: Callable[[str], object], texts: list[str]) -> list[float]:
    ms = []
    for text in texts:
        started = time.perf_counter()
        call(text)
        ms.append((time.perf_counter() - started) * 1000)
    return ms


def run(n_texts: int, calls: int) -> None:
    from issues.models import RouterModel
    from issues.router import loading
    from issues.router.model import train
    from issues.router.store import router_store
    from issues.router.suggest import suggest, suggest_units

    texts, categories, units = corpus(n_texts, seed=1)
    started = time.perf_counter()
    trained = {"category": train(texts, categories, seed=0), "lead_unit": train(texts, units, seed=0)}
    print(f"trained on {n_texts} texts in {time.perf_counter() - started:.1f} s (each: held-out fit + refit)")
    for kind, fit in trained.items():
        print(f"  {kind}: {len(fit.labels)} labels, held-out top-1 {fit.top1:.3f}, top-3 {fit.top3:.3f}")
    version = router_store(trained)
    loading.forget()
    for row in RouterModel.objects.filter(version=version):
        print(f"  stored {row.kind} v{version}: {len(row.pipeline) / 1e6:.2f} MB")
    probes, _, _ = corpus(calls + 1, seed=2)
    started = time.perf_counter()
    suggest(probes[0])
    print(
        f"first suggest (the active version read, the model unpickled): {(time.perf_counter() - started) * 1000:.0f} ms"
    )
    print(f"suggest × {calls}: {percentiles(timed(suggest, probes[1:]))}")
    suggest_units(probes[0])
    print(f"suggest_units × {calls}: {percentiles(timed(suggest_units, probes[1:]))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=6000)
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="zf-router-"))
    try:
        setup(var_dir)
        run(args.texts, args.calls)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
