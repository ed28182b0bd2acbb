"""Suggestions from a resident's words (issue 15 item 2): the keyword list before there is a model, then the model's
categories and lead units, always at least three categories with scores in 0..1, best first."""

from __future__ import annotations

import pytest

from campaign.models.campaigns import DEFAULT_CATEGORIES
from issues.router import loading
from issues.router.keywords import KEYWORDS, OTHER, keyword_scores
from issues.router.store import router_train
from issues.router.suggest import suggest, suggest_units
from issues.router.tokens import analyze
from tests.issues.router_tickets import MATTERS, dispatched_tickets

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_router():
    loading.forget()
    yield
    loading.forget()


@pytest.fixture
def trained(org):
    dispatched_tickets(org, 120)
    router_train()


def assert_ranked(suggestions, n):
    scores = [score for _, score in suggestions]
    assert len(suggestions) == n and all(0 <= s <= 1 for s in scores)
    assert scores == sorted(scores, reverse=True)


def test_every_default_category_but_other_has_a_dozen_keywords():
    assert set(KEYWORDS) == set(DEFAULT_CATEGORIES) - {OTHER}
    assert all(len(set(words)) >= 12 for words in KEYWORDS.values())


def test_without_a_model_the_keyword_list_answers():
    suggestions = suggest("我们小区门口长期有人占道经营，路灯也不亮")
    assert suggestions[0][0] == "城市管理"
    assert_ranked(suggestions, 3)
    assert suggest_units("我们小区门口长期有人占道经营") == []


def test_a_text_no_keyword_matches_still_gets_three_categories_other_first():
    suggestions = suggest("今天想说一件事")
    assert suggestions[0][0] == OTHER
    assert_ranked(suggestions, 3)
    assert len(keyword_scores("", 10)) == 10 and sum(score for _, score in keyword_scores("", 10)) == pytest.approx(1)


def test_the_model_ranks_the_right_category_first_among_at_least_three(trained):
    for category, (_, matters) in MATTERS.items():
        suggestions = suggest(f"您好，{matters[0]}，希望尽快处理。", k=1)
        assert suggestions[0][0] == category
        assert_ranked(suggestions, 3)
    assert_ranked(suggest("路口红绿灯坏了", k=10), len(MATTERS))  # as many as the model knows


def test_the_units_model_returns_the_lead_units_ids(org, trained):
    suggestions = suggest_units("河道里的污水发出臭味", k=2)
    assert suggestions[0][0] == org.street1.pk and isinstance(suggestions[0][0], int)
    assert_ranked(suggestions, 2)
    assert {unit for unit, _ in suggest_units("养老金没有按时发放", k=4)} == {
        getattr(org, unit).pk for unit, _ in MATTERS.values()
    }


def test_the_features_are_words_and_bigrams_without_digits_or_stop_words():
    features = analyze("我家楼下的垃圾桶满了，电话13912345678")
    assert "垃圾桶" in features and "_垃圾" in features and "_圾桶" in features
    assert not [f for f in features if any(c.isdigit() for c in f)]
    assert "的" not in features and "我家" not in features
