"""The active router models of this process: loaded once, reloaded when a newer version is active.

A suggestion reads the in-process copy. At most once every RECHECK_S seconds per kind, a process reads the active
row's `version` (one indexed lookup, no blob); only when it changed does it read and unpickle the new `pipeline`. So a
model trained by the nightly task reaches every web process within a minute, and a request never loads a blob unless
it is the first after a change. A row pickled by another scikit-learn version is not loaded (the keyword list
answers until the next training run, which the same code then stores).
"""

from __future__ import annotations

import io
import logging
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from issues.models import RouterModel

log = logging.getLogger(__name__)

RECHECK_S = 60.0

_lock = threading.Lock()
_loaded: dict[str, Loaded | None] = {}
_checked_at: dict[str, float] = {}


@dataclass(frozen=True)
class Loaded:
    version: int
    labels: list[Any]
    pipeline: Any  # a fitted sklearn Pipeline (TF-IDF, then a classifier with predict_proba)

    def ranked(self, text: str, k: int) -> list[tuple[Any, float]]:
        """The k most likely labels of `text` with their probabilities, best first."""
        proba = self.pipeline.predict_proba([text])[0]
        order = np.argsort(-proba, kind="stable")[:k]
        return [(self.labels[i], float(proba[i])) for i in order]


def library_version() -> str:
    """The scikit-learn that pickles and unpickles the pipelines (RouterModel.library)."""
    from importlib.metadata import version

    return f"scikit-learn {version('scikit-learn')}"


def _clock() -> float:
    return time.monotonic()


def active(kind: str) -> Loaded | None:
    """The active model of `kind` in this process, or None when there is none (the caller falls back)."""
    if _clock() - _checked_at.get(kind, -math.inf) < RECHECK_S:
        return _loaded.get(kind)
    with _lock:  # one thread re-checks and loads; the others wait for it rather than unpickle the same blob
        if _clock() - _checked_at.get(kind, -math.inf) >= RECHECK_S:
            _refresh(kind)
            _checked_at[kind] = _clock()
    return _loaded.get(kind)


def _refresh(kind: str) -> None:
    version = RouterModel.objects.filter(kind=kind, active=True).values_list("version", flat=True).first()
    if version is None:
        _loaded[kind] = None
        return
    current = _loaded.get(kind)
    if current is not None and current.version == version:
        return
    row = RouterModel.objects.filter(kind=kind, version=version).values("labels", "pipeline", "library").first()
    if row is None:  # replaced between the two reads: the next check finds its successor
        return
    _loaded[kind] = _unpickle(kind, version, row)


def _unpickle(kind: str, version: int, row: Mapping[str, Any]) -> Loaded | None:
    if row["library"] != library_version():
        log.warning(
            "router %s v%s was trained by %s, not %s: not loaded", kind, version, row["library"], library_version()
        )
        return None
    import joblib

    try:
        pipeline = joblib.load(io.BytesIO(bytes(row["pipeline"])))
    except Exception:  # a broken row must not break intake: the keyword list answers
        log.exception("router %s v%s could not be loaded", kind, version)
        return None
    log.info("router %s v%s loaded", kind, version)
    return Loaded(version=version, labels=list(row["labels"]), pipeline=pipeline)


def warm() -> None:
    """Load now what this process's first suggestion would: jieba's dictionary and scikit-learn's pipeline classes
    (~1 s; 1–3 s of a gunicorn worker's first dispatch under load: bench/README.md, sessions 14–17). Not the model,
    which needs the database: its row is read at the first suggestion. Called by config/wsgi.py when a web process
    starts; a failure here is logged and left to that first use."""
    from issues.router import tokens

    try:
        tokens.analyze("")
        import sklearn.feature_extraction.text
        import sklearn.linear_model
        import sklearn.pipeline  # noqa: F401
    except Exception:  # a web process starts anyway: the first suggestion loads (or fails) as it would have
        log.exception("router: could not load jieba and scikit-learn at start")


def forget() -> None:
    """Drop this process's models: the next suggestion re-reads the active versions (after a training run here)."""
    with _lock:
        _loaded.clear()
        _checked_at.clear()
