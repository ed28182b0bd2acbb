"""The categories a write may use (issue 15 item 1), and the defaults a new (or flushed) database starts with."""

from __future__ import annotations

from typing import Any

from django.db import router

from campaign.models import Campaign, Category
from campaign.models.categories import DEFAULT_CODES, NAME_MAX_LENGTH


def default_rows() -> list[Category]:
    return [Category(code=code, name=name, position=i) for i, (name, code) in enumerate(DEFAULT_CODES.items())]


def ensure_defaults(using: str = "default", **_: Any) -> None:
    """The default categories, when the table is empty: a new deployment, and a test database just flushed (the
    post_migrate signal, which `flush` sends too). A deployment's own table is never touched once it has a row."""
    if not router.allow_migrate_model(using, Category):
        return
    if not Category.objects.using(using).exists():
        Category.objects.using(using).bulk_create(default_rows(), ignore_conflicts=True)


def allowed_names(campaign: Campaign | None) -> list[str]:
    """The active categories a ticket of `campaign` may take, in their order: the campaign's own, or every active
    category when it names none (or there is no campaign)."""
    rows = Category.objects.usable()
    if campaign is not None and campaign.pk is not None:
        own = rows.filter(campaigns=campaign)
        if own.exists():
            rows = own
    return list(rows.values_list("name", flat=True))


def is_allowed(campaign: Campaign | None, name: str) -> bool:
    """Whether `name` is an active category `campaign` allows (one query, by the unique name). A name no category
    can have (NUL, which PostgreSQL refuses in a query, or too long) is not looked up."""
    if "\x00" in name or len(name) > NAME_MAX_LENGTH:
        return False
    category = Category.objects.usable().filter(name=name).values_list("pk", flat=True).first()
    if category is None:
        return False
    if campaign is None or campaign.pk is None:
        return True
    own = Campaign.categories.through.objects.filter(campaign_id=campaign.pk)
    return not own.exists() or own.filter(category_id=category).exists()
