"""The router's training and storage (issue 15 item 2): refusing too little data, `manage.py train_router`, versions,
the process's copy of the active model and when it is reloaded."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from issues.models import RouterKind, RouterModel
from issues.router import loading, store
from issues.router.model import NotEnoughData, train
from issues.router.store import router_train, training_examples
from issues.tasks import router_train_nightly
from tests.issues.router_tickets import MATTERS, dispatched_tickets, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_router():
    """Each test starts and ends with no model loaded in this process (the rows of the last test are gone)."""
    loading.forget()
    yield
    loading.forget()


def train_router(**options) -> str:
    out = StringIO()
    call_command("train_router", stdout=out, **options)
    return out.getvalue()


def test_training_refuses_too_few_examples_or_a_single_label():
    import random

    rng = random.Random(0)
    texts = [text_of(rng, category) for category in MATTERS for _ in range(10)]
    labels = [category for category in MATTERS for _ in range(10)]
    with pytest.raises(NotEnoughData, match="40 usable examples"):
        train(texts, labels)
    with pytest.raises(NotEnoughData, match="of 1 labels"):
        train(texts * 2, ["城市管理"] * 80)
    assert train(texts, labels, min_examples=40).n_examples == 40


def test_too_few_dispatched_tickets_store_nothing_and_say_so(org):
    dispatched_tickets(org, 20)
    out = train_router()
    assert "20 dispatched ticket(s)" in out and "category: not trained" in out and "lead_unit: not trained" in out
    assert not RouterModel.objects.exists()


def test_only_dispatched_tickets_still_standing_are_learnt(org):
    dispatched_tickets(org, 8)
    dispatched_tickets(org, 2, seed=2, status="cancelled")
    dispatched_tickets(org, 2, seed=3, status="reported")  # returned by the lead unit: its unit was wrong
    dispatched_tickets(org, 2, seed=4, status="reported", dispatched_at=None)
    dispatched_tickets(org, 2, seed=5, category="")
    assert len(training_examples()) == 8
    assert len(training_examples(limit=3)) == 3


def test_train_router_stores_an_active_version_and_deactivates_the_previous(org):
    dispatched_tickets(org, 120)
    first = train_router()
    assert "category: n=120 labels=4" in first and "version=1" in first
    second = train_router(min_examples=100)
    assert "version=2" in second
    rows = RouterModel.objects.order_by("kind", "version")
    assert [(r.kind, r.version, r.active) for r in rows] == [
        ("category", 1, False),
        ("category", 2, True),
        ("lead_unit", 1, False),
        ("lead_unit", 2, True),
    ]
    for row in rows:
        assert 0 <= row.top1 <= row.top3 <= 1 and row.n_examples == 120 and row.library.startswith("scikit-learn ")
    assert rows[1].labels == sorted(MATTERS)
    assert sorted(rows[3].labels) == sorted(getattr(org, unit).pk for unit, _ in MATTERS.values())


def test_only_the_newest_versions_are_kept(org, monkeypatch):
    monkeypatch.setattr(store, "KEEP_VERSIONS", 2)
    dispatched_tickets(org, 60)
    for _ in range(3):
        router_train()
    assert list(RouterModel.objects.filter(kind="category").order_by("version").values_list("version", flat=True)) == [
        2,
        3,
    ]


def test_the_nightly_task_trains_and_returns_the_version(org):
    assert router_train_nightly.apply().get() is None  # no tickets yet: nothing stored
    dispatched_tickets(org, 60)
    assert router_train_nightly.apply().get() == 1
    assert RouterModel.objects.filter(active=True).count() == 2


def test_a_process_picks_up_a_newer_version_within_a_minute(org, monkeypatch):
    dispatched_tickets(org, 60)
    router_train()
    assert loading.active(RouterKind.CATEGORY).version == 1
    # Another process trains (this one is not told: the test's transaction never commits, so no on_commit forget).
    router_train()
    assert loading.active(RouterKind.CATEGORY).version == 1
    later = loading._clock() + loading.RECHECK_S + 1
    monkeypatch.setattr(loading, "_clock", lambda: later)
    assert loading.active(RouterKind.CATEGORY).version == 2
    assert loading.active(RouterKind.LEAD_UNIT).version == 2


def test_training_here_makes_this_process_reload_on_commit(org, django_capture_on_commit_callbacks):
    dispatched_tickets(org, 60)
    with django_capture_on_commit_callbacks(execute=True):
        router_train()
    assert loading.active(RouterKind.CATEGORY).version == 1
    with django_capture_on_commit_callbacks(execute=True):
        router_train()
    assert loading.active(RouterKind.CATEGORY).version == 2


def test_a_model_pickled_by_another_library_version_is_not_loaded(org):
    dispatched_tickets(org, 60)
    router_train()
    RouterModel.objects.update(library="scikit-learn 0.24.2")
    assert loading.active(RouterKind.CATEGORY) is None


def test_a_name_or_number_written_once_never_enters_the_model(org):
    dispatched_tickets(org, 60)
    dispatched_tickets(org, 1, seed=9, description="我叫欧阳娜娜，电话13912345678，门口有人占道经营摆摊")
    router_train()
    loaded = loading.active(RouterKind.CATEGORY)
    vocabulary = loaded.pipeline.named_steps["tfidf"].vocabulary_
    assert not [term for term in vocabulary if "欧阳" in term or "娜娜" in term or any(c.isdigit() for c in term)]
    assert "占道" in "".join(vocabulary)
