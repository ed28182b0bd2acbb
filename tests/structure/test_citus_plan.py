"""The Citus plan (config/citus_plan.py, docs/scaling.md) held against the models: every model is classified, every
distributed table carries the district key, every unique key and foreign key of a distributed table is compatible
with it; whatever is not yet, the plan lists as a gap, exactly (a change that closes a gap must strike it off, a
change that opens one must add it). Citus itself cannot be installed here."""

from __future__ import annotations

from collections.abc import Iterator

from django.apps import apps
from django.db import models
from django.db.models.expressions import F

from config import citus_plan as plan


def all_models() -> dict[str, type[models.Model]]:
    return {model._meta.label: model for model in apps.get_models(include_auto_created=True)}


def distributed() -> dict[str, type[models.Model]]:
    return {label: model for label, model in all_models().items() if label in plan.DISTRIBUTED}


def field_names(model: type[models.Model]) -> set[str]:
    return {f.name for f in model._meta.concrete_fields} | {f.attname for f in model._meta.concrete_fields}


def expression_fields(expression: object) -> Iterator[str]:
    if isinstance(expression, F):
        yield expression.name
    for source in getattr(expression, "get_source_expressions", list)():
        yield from expression_fields(source)


def unique_keys(model: type[models.Model]) -> Iterator[tuple[str, set[str]]]:
    """(name, fields) of every unique key: the primary key, unique fields, unique_together, UniqueConstraints."""
    meta = model._meta
    yield "pk", {meta.pk.name}
    for f in meta.concrete_fields:
        if f.unique and not f.primary_key:
            yield f"unique:{f.name}", {f.name}
    for group in meta.unique_together:
        yield "unique_together:" + ",".join(group), set(group)
    for constraint in meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            names = set(constraint.fields) | {n for e in constraint.expressions for n in expression_fields(e)}
            yield constraint.name, names


def test_every_model_is_classified_exactly_once():
    groups = [set(plan.DISTRIBUTED), set(plan.REFERENCE), set(plan.LOCAL)]
    assert sum(len(g) for g in groups) == len(set().union(*groups)), "a model is in two groups"
    assert set().union(*groups) == set(all_models())
    assert {"campaign.OrgUnit", "campaign.User", "campaign.CalendarDay"} <= plan.REFERENCE
    assert {"visits.Visit", "issues.Ticket", "issues.TicketEvent", "dashboard.DailyRollup"} <= set(plan.DISTRIBUTED)


def test_every_distributed_table_carries_the_key_or_is_listed_to_get_it():
    key = plan.KEY
    assert set(plan.DISTRIBUTED.values()) == {key}
    missing = {label for label, model in distributed().items() if key not in field_names(model)}
    assert missing == set(plan.KEY_TO_ADD)
    assert "issues.TicketSequence" not in missing  # ticket codes are already drawn per district
    for label, model in distributed().items():
        if label not in missing:
            field = model._meta.get_field(key)
            assert field.is_relation and field.related_model._meta.label == "campaign.OrgUnit", label


def test_every_unique_key_of_a_distributed_table_includes_the_key_or_is_listed_to_widen():
    narrow = {
        f"{label}: {name}"
        for label, model in distributed().items()
        for name, fields in unique_keys(model)
        if not fields & {plan.KEY, f"{plan.KEY}_id"}
    }
    assert narrow == set(plan.UNIQUE_TO_WIDEN)
    sequence = dict(unique_keys(all_models()["issues.TicketSequence"]))
    assert sequence["ticket_sequence_unique"] == {"district", "day"}


def foreign_keys() -> Iterator[tuple[str, str, str]]:
    for label, model in all_models().items():
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model is not None:
                yield label, f.name, f.related_model._meta.label


def test_foreign_keys_fit_the_plan():
    # Citus refuses a FK from a reference or local table into a distributed one: there must be none
    into_shards = {(s, f, t) for s, f, t in foreign_keys() if t in plan.DISTRIBUTED and s not in plan.DISTRIBUTED}
    assert into_shards == set()
    # between distributed tables: co-located on the key, which Django cannot declare: each one is listed
    between = {f"{s}.{f}" for s, f, t in foreign_keys() if s in plan.DISTRIBUTED and t in plan.DISTRIBUTED}
    assert between == set(plan.FK_TO_COLOCATE)
