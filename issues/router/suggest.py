"""Suggestions from a resident's words: the likely categories and lead units of a new ticket (issue 15 item 2).

Used by the intake (`POST /api/v1/tickets/suggest/`). Reads the process's copy of the active models
(issues.router.loading), so a call costs a tokenization and a sparse dot product, never a blob read.
"""

from __future__ import annotations

from issues.models import RouterKind
from issues.router import loading
from issues.router.keywords import keyword_scores

MIN_SUGGESTIONS = 3  # the intake form offers at least three categories to choose from


def suggest(text: str, k: int = MIN_SUGGESTIONS) -> list[tuple[str, float]]:
    """The max(k, 3) likeliest categories of `text` as (category, score in 0..1), best first: from the active
    category model, else (no model trained yet, or not enough tickets) from the keyword list. A model that knows fewer
    than three categories gives as many as it knows."""
    k = max(k, MIN_SUGGESTIONS)
    model = loading.active(RouterKind.CATEGORY)
    if model is None:
        return keyword_scores(text, k)
    return [(str(label), score) for label, score in model.ranked(text, k)]


def suggest_among(text: str, allowed: list[str]) -> list[tuple[str, float]]:
    """The router's ranking of `text` kept to the `allowed` category names (a campaign's), best first: what the
    intake offers and what a dispatch's record of the suggestion compares the chosen category with."""
    names = set(allowed)
    return [(name, score) for name, score in suggest(text, k=100) if name in names]


def suggestion_kept(text: str, allowed: list[str], category: str) -> tuple[str, bool | None]:
    """The router's best category of `allowed` for `text` ("" when it ranks none) and whether `category` — the one a
    dispatch chose — is it (None: nothing was suggested). A dispatch records both (issues.rules.dispatch); the demo
    replays its dispatches with the same (issues.seed_acceptance)."""
    ranked = suggest_among(text, allowed)
    top = ranked[0][0] if ranked else ""
    return top, (top == category) if top else None


def suggest_units(text: str, k: int = MIN_SUGGESTIONS) -> list[tuple[int, float]]:
    """The k likeliest lead units of `text` as (OrgUnit id, score in 0..1), best first; [] while no lead-unit model is
    active (no keyword list knows a deployment's units). A unit may since have been moved or closed: the caller
    checks the ids against the units it may offer."""
    model = loading.active(RouterKind.LEAD_UNIT)
    if model is None:
        return []
    return [(int(label), score) for label, score in model.ranked(text, k)]
