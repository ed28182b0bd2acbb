"""The ticket phase's writer: tickets are COPYed as they are walked (bench.city.tickets); their events and co-units,
COPY text too, are spilled to a temporary file meanwhile and COPYed after (one connection, one COPY at a time)."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from typing import IO, Any

import numpy as np

from bench.city.copying import COLUMNS, LINES, NULL, Chunk, copy_model, times
from bench.city.org import City
from bench.city.registries import Registry
from bench.city.tickets import QUARTERS, TicketMaker, iso
from bench.city.visits import DAY_US, MINUTE_US, SHANGHAI_US, Extra, day_weights

CHUNK = 50_000
EVENT_COLUMNS = ["ticket_id", "actor_id", "action", "from_status", "to_status", "note", "payload", "at"]
CO_UNIT_COLUMNS = ["ticket_id", "unit_id", "part", "submitted_at", "submitted_by_id"]
TEXT = ["code", "source", "kind", "category", "requester_name", "requester_phone", "description", "mode", "problem",
        "responsible_person", "extension_reason", "measures", "expected_effect", "status", "satisfaction",
        "public_notice", "result", "public_reply"]  # fmt: skip
NUMBERS = ["id", "campaign_id", "requester_household_id", "unit_id", "lat", "lng", "lead_unit_id", "lead_official_id",
           "supervision", "version", "reopen_count", "unreachable_count", "created_by_id", "visit_id"]  # fmt: skip
MOMENTS = ["created_at", "dispatched_at", "accepted_at", "last_progress_at", "resolved_at", "closed_at", "due_at",
           "requested_due_at"]  # fmt: skip


def created_moments(total: int, *, first: dt.date, days: int, now_us: int, exceptions: dict, seed: int) -> np.ndarray:
    """`total` creation moments over the window, sorted: every day (the hotline never closes), weekends and holidays
    at half a working day, at hotline hours; none after now."""
    rng = np.random.default_rng(seed)
    weights = np.maximum(day_weights(first, days, exceptions), 0.5 * (0.8 + 0.4 * np.arange(days) / max(1, days - 1)))
    per_day = rng.multinomial(total, weights / weights.sum())
    day = np.repeat(np.arange(days), per_day) + (first - dt.date(1970, 1, 1)).days
    quarter = rng.choice(len(QUARTERS), total, p=QUARTERS / QUARTERS.sum())
    at = day * DAY_US - SHANGHAI_US + quarter * 15 * MINUTE_US + rng.integers(0, 15 * MINUTE_US, total)
    late = at >= now_us - 30 * MINUTE_US  # today's after-now tickets move into the morning
    at[late] = now_us - rng.integers(30 * MINUTE_US, 6 * 60 * MINUTE_US, int(late.sum()))
    return np.sort(at)


def _moments(values: list[Any]) -> list[str]:
    arr = np.array([v if v is not None else 0 for v in values], dtype=np.int64)
    out = times(arr)
    return [NULL if v is None else out[i] for i, v in enumerate(values)]


def _ticket_chunk(rows: list[dict[str, Any]], priority: bool, marks: bool, keyed: set[str]) -> dict[str, Any]:
    # Generated text holds no tab, newline or backslash (the pools are ours): str() is the COPY text.
    chunk: dict[str, Any] = {c: [str(r.get(c) or "") for r in rows] for c in TEXT}
    chunk.update({c: [NULL if (v := r.get(c)) is None else str(v) for r in rows] for c in NUMBERS})
    chunk.update({c: _moments([r.get(c) for r in rows]) for c in MOMENTS})
    chunk["updated_at"] = _moments([max(r["events_at"], r["created_at"]) for r in rows])
    chunk["resolved_on_site"] = ["t" if r.get("resolved_on_site") else "f" for r in rows]
    chunk["attachments"] = "[]"
    if priority:  # a stored inbox order written by the builder (issues 0006 makes it a generated column instead)
        chunk["priority"] = [str(r["priority"]) for r in rows]
    if marks:  # issues 0006: the generated priority reads the overdue job's mark
        chunk["passed_due_at"] = _moments([r["passed_due_at"] for r in rows])
    if "district_id" in keyed:  # issues 0008: the ticket's district (the trigger is off during the load)
        chunk["district_id"] = [str(r["district"]) for r in rows]
    if "branch_id" in keyed:  # issues 0010: its street
        chunk["branch_id"] = [str(r["branch"]) for r in rows]
    return chunk


def _spill(rows: list[dict[str, Any]], walks: list[Any], events: IO[str], co_units: IO[str]) -> int:
    pk, actor, action, frm, to, note, payload, at = [], [], [], [], [], [], [], []
    for row, walk in zip(rows, walks, strict=True):
        for e in walk.events:
            pk.append(str(row["id"]))
            actor.append(str(e[1]) if e[1] > 0 else NULL)
            (
                action.append(e[2]),
                frm.append(e[3]),
                to.append(e[4]),
                note.append(e[5]),
                payload.append(e[6]),
                at.append(e[0]),
            )  # type: ignore[func-returns-value]
        parts = dict(row.get("parts", []))
        for unit in row.get("co_units", []):
            when = parts.get(unit)
            co_units.write(f"{row['id']}\t{unit}\t{'已按职责完成协办事项' if when else ''}\t{iso(when) if when else NULL}\t{NULL}\n")  # fmt: skip
    stamps = times(np.array(at, dtype=np.int64))
    events.write("".join(f"{line}\n" for line in map("\t".join, zip(pk, actor, action, frm, to, note, payload, stamps, strict=True))))  # fmt: skip
    return len(pk)


def _file_chunks(handle: IO[str], columns: list[str], lines: int = 200_000) -> Iterator[Chunk]:
    handle.seek(0)
    while True:
        block = [line for _, line in zip(range(lines), handle, strict=False)]
        if not block:
            return
        yield len(block), {COLUMNS: columns, LINES: "".join(block)}


def build_tickets(cursor: Any, city: City, homes: Registry, *, total: int, first: dt.date, days: int, now_us: int,
                  campaign: int, exceptions: dict, seed: int) -> tuple[Extra, dict[str, int]]:  # fmt: skip
    from issues.models import Ticket, TicketCoUnit, TicketEvent, TicketSequence

    maker = TicketMaker(city, homes, campaign=campaign, now=now_us, seed=seed)
    moments = created_moments(total, first=first, days=days, now_us=now_us, exceptions=exceptions, seed=seed)
    fields = [f for f in Ticket._meta.concrete_fields if not getattr(f, "generated", False)]
    priority = any(f.column == "priority" for f in fields)
    marks = any(f.column == "passed_due_at" for f in fields)
    keyed = {f.column for f in fields} & {"district_id", "branch_id"}
    counts = {"events": 0}
    with tempfile.TemporaryFile("w+", encoding="utf-8") as events, tempfile.TemporaryFile("w+", encoding="utf-8") as links:  # fmt: skip

        def chunks() -> Iterator[Chunk]:
            for lo in range(0, total, CHUNK):
                rows, walks = [], []
                for i in range(lo, min(lo + CHUNK, total)):
                    walk = maker.new(i + 1, int(moments[i]))
                    maker.run(walk)
                    maker.supervise(walk)
                    walk.row["events_at"] = walk.events[-1][0]
                    rows.append(walk.row), walks.append(walk)  # type: ignore[func-returns-value]
                counts["events"] += _spill(rows, walks, events, links)
                yield len(rows), _ticket_chunk(rows, priority, marks, keyed)

        copy_model(cursor, Ticket, chunks(), total=total, desc="tickets")
        copy_model(cursor, TicketEvent, _file_chunks(events, EVENT_COLUMNS), total=counts["events"], desc="ticket events")  # fmt: skip
        counts["co_units"] = copy_model(cursor, TicketCoUnit, _file_chunks(links, CO_UNIT_COLUMNS), total=0, desc="co-units")  # fmt: skip
    sequences = [(d, day, last) for (d, day), last in sorted(maker.sequences.items())]
    chunk = {"district_id": [str(s[0]) for s in sequences],
             "day": [str(dt.date(1970, 1, 1) + dt.timedelta(days=int(s[1]))) for s in sequences],
             "last": [str(s[2]) for s in sequences]}  # fmt: skip
    copy_model(cursor, TicketSequence, [(len(sequences), chunk)], total=len(sequences), desc="ticket sequences")
    return maker.extra, counts
