"""Training the router on the deployment's own dispatched tickets and storing the result, versioned.

Used by the nightly task (issues.tasks.router_train_nightly) and `manage.py train_router`. One run trains two models
on the same tickets, text → category and text → lead unit, and stores those it could train as one new version;
a kind with too little data keeps its previous model (or, with none, the keyword list answers).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max

from issues.models import RouterKind, RouterModel, Status, Ticket
from issues.router import loading

if TYPE_CHECKING:
    from issues.router.model import Trained

log = logging.getLogger(__name__)

# The newest dispatched tickets a run learns from. Cost: a run tokenizes each text twice (held-out fit, then the
# refit) at ~0.2 ms a text and fits two logistic regressions; 50,000 texts take a couple of CPU minutes.
TRAIN_LIMIT = 50_000
MAX_UNIT_LABELS = 200  # the most frequent lead units; a rarer one is left to the dispatcher (and keeps models small)
KEEP_VERSIONS = 5  # per kind, the newest rows kept (the active one and a few to compare with); older ones are deleted
DEFAULT_MIN_EXAMPLES = 50


@dataclass
class TrainReport:
    n_tickets: int
    version: int | None = None  # the version stored, None when neither kind could be trained
    trained: dict[str, Trained] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)  # kind → why not (too few examples or labels)


def training_examples(limit: int = TRAIN_LIMIT, before: dt.datetime | None = None) -> list[tuple[str, str, int | None]]:
    """(description, category, lead unit id) of the newest `limit` dispatched tickets with a category and a
    description: dispatched_at is set once a dispatcher chose the category and lead unit. Left out: cancelled tickets
    (duplicates, mistakes) and those back in `reported` (returned by a lead unit that said "not ours": their lead unit
    is the wrong one until the re-dispatch). Newest by created_at, the order an index serves (ticket_created_idx);
    with `before`, only tickets created before it (the model as a night before then would have trained it)."""
    qs = Ticket.objects.filter(created_at__lt=before) if before is not None else Ticket.objects.all()
    rows = (
        qs.filter(dispatched_at__isnull=False)
        .exclude(status__in=[Status.CANCELLED, Status.REPORTED])
        .exclude(category="")
        .exclude(description="")
        .order_by("-created_at", "-id")
        .values_list("description", "category", "lead_unit_id")[:limit]
    )
    return list(rows)


def router_train(
    *,
    min_examples: int = DEFAULT_MIN_EXAMPLES,
    limit: int = TRAIN_LIMIT,
    seed: int = 0,
    before: dt.datetime | None = None,
) -> TrainReport:
    """Train both kinds on the newest dispatched tickets (created before `before`, if given) and store those trained
    as one new active version.

    Safe to run twice: each run stores a new version from the tickets of its day. Never logs a ticket's words."""
    rows = training_examples(limit, before)
    report = TrainReport(n_tickets=len(rows))
    if len(rows) < min_examples:  # before scikit-learn and jieba are even imported: most days of a new deployment
        for kind in RouterKind.values:
            report.refused[kind] = f"{len(rows)} dispatched tickets (need {min_examples})"
        return report
    from issues.router.model import NotEnoughData, train

    texts = [description for description, _, _ in rows]
    targets: dict[str, tuple[list[Any], int | None]] = {
        RouterKind.CATEGORY.value: ([category for _, category, _ in rows], None),
        RouterKind.LEAD_UNIT.value: ([unit_id for _, _, unit_id in rows], MAX_UNIT_LABELS),
    }
    for kind, (labels, max_labels) in targets.items():
        pairs = [(text, label) for text, label in zip(texts, labels, strict=True) if label is not None]
        try:
            report.trained[kind] = train(
                [text for text, _ in pairs],
                [label for _, label in pairs],
                seed=seed,
                min_examples=min_examples,
                max_labels=max_labels,
            )
        except NotEnoughData as exc:
            report.refused[kind] = str(exc)
    if report.trained:
        report.version = router_store(report.trained)
    for kind, fit in report.trained.items():
        log.info(
            "router %s v%s: %d examples, top-1 %.3f, top-3 %.3f",
            kind,
            report.version,
            fit.n_examples,
            fit.top1,
            fit.top3,
        )
    return report


def _pickled(fit: Trained) -> bytes:
    import joblib

    buffer = io.BytesIO()
    joblib.dump(fit.pipeline, buffer, compress=3)
    return buffer.getvalue()


def router_store(trained: dict[str, Trained]) -> int:
    """Store the trained models as the next version, each made its kind's active model; returns the version.

    Pickles outside the transaction (STYLE 6). Two runs at once: one of them fails on the (kind, version) key and
    stores nothing. This process forgets its loaded models on commit; the others see the new version within
    loading.RECHECK_S."""
    blobs = {kind: _pickled(fit) for kind, fit in trained.items()}
    library = loading.library_version()
    with transaction.atomic():
        version = (RouterModel.objects.aggregate(last=Max("version"))["last"] or 0) + 1
        RouterModel.objects.filter(kind__in=list(trained), active=True).update(active=False)
        RouterModel.objects.bulk_create(
            RouterModel(
                version=version,
                kind=kind,
                n_examples=fit.n_examples,
                top1=fit.top1,
                top3=fit.top3,
                labels=fit.labels,
                pipeline=blobs[kind],
                library=library,
                active=True,
            )
            for kind, fit in trained.items()
        )
        for kind in trained:
            old = (
                RouterModel.objects.filter(kind=kind).order_by("-version").values_list("pk", flat=True)[KEEP_VERSIONS:]
            )
            RouterModel.objects.filter(pk__in=list(old)).delete()
        transaction.on_commit(loading.forget)
    return version
