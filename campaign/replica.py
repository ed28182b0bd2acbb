"""Which reads may be served by the read replica: the apps mark them here; config/routers.py decides where they go.

A block under `replica_reads(user)`, or a view under `@reads_from_replica`, says "these reads may come from a copy a
few seconds behind the primary": the dashboard, the statistics API, the exports (campaign.exports) and the GeoJSON
map layers. config.routers.ReplicaRouter then sends the block's reads to the replica unless it lags too much or the
user wrote something it has not replayed yet (config/replica.py), and decides once per block, so one page never
mixes the two. Outside a block every read goes to the primary. Writes always go to the primary; after one, the rest
of its block reads the primary too (it may read what it wrote). Without DATABASE_REPLICA_URL there is no router
and a block is only a marker.

Mark reads only, after whatever must be current: a display link is resolved on the primary (a revoked link answers
404 at once) before its wall's figures are read in a block.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model
from django.http import HttpRequest

View = TypeVar("View", bound=Callable[..., Any])


@dataclass
class ReplicaBlock:
    """The reads of one block: whose they are (None: nobody's, a display link) and, once the router decided, where
    they go."""

    user_id: int | None
    alias: str | None = None  # set by the router at the block's first read (or write)


_block: ContextVar[ReplicaBlock | None] = ContextVar("zoufang_replica_block", default=None)


def current_block() -> ReplicaBlock | None:
    """The innermost block being run, or None (then every read goes to the primary). Used by config.routers."""
    return _block.get()


@contextmanager
def replica_reads(user: Any) -> Iterator[ReplicaBlock]:
    """Reads inside may come from the replica; `user` (or None) is who reads, so they see their own writes."""
    user_id = user.pk if user is not None and user.is_authenticated else None
    block = ReplicaBlock(user_id=user_id)
    token = _block.set(block)
    try:
        yield block
    finally:
        _block.reset(token)


def reads_from_replica(view: View) -> View:
    """A view whose reads may come from the replica (after login_required: the user is loaded from the primary).
    On a class's method, through django.utils.decorators.method_decorator: after DRF authenticated the request."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        with replica_reads(getattr(request, "user", None)):
            return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def read_connection(model: type[Model]) -> BaseDatabaseWrapper:
    """The connection a raw SQL read of `model`'s table goes to: the one the ORM's read would use (in a block, the
    replica when the router chose it). A raw cursor of django.db.connection is always the primary's."""
    return connections[router.db_for_read(model)]
