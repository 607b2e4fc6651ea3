"""PostgreSQL's planner settings for one statement that the planner's statistics would mislead.

Right after a large import the planner's statistics of the records and of staging still say
what they held before (autovacuum counts them later): it may then look each of a million keys
up one at a time, or walk every record of a source to look up a few staged rows. A statement
whose best plan the caller knows from its own counts runs inside ``key_order_join``.
Elsewhere a no-op.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.db import DatabaseError
from django.db import connection as db

# Plans a key-order join does without: each would be chosen from stale statistics. JIT off too:
# the penalties these settings add to a plan's cost would make it compile the statement (0.16 s).
_KEY_ORDER = {"enable_hashjoin": "off", "enable_nestloop": "off", "enable_bitmapscan": "off",
              "enable_seqscan": "off", "jit": "off"}


@contextmanager
def key_order_join() -> Iterator[None]:
    """PostgreSQL: join two tables by walking both key indexes in order (a merge join), for the
    statements run in the block; the connection's settings again after. The settings are read
    and set with a cursor of their own: the caller's keeps its result."""
    if db.vendor != "postgresql":
        yield
        return
    names = list(_KEY_ORDER)
    with db.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(names)), names)
        previous = dict(zip(names, cursor.fetchone(), strict=True))
    _set(_KEY_ORDER)
    try:
        yield
    except BaseException:
        with suppress(DatabaseError):  # an aborted transaction takes them back as it rolls back
            _set(previous)
        raise
    _set(previous)


def _set(settings: dict[str, str]) -> None:
    with db.cursor() as cursor:
        for name, value in settings.items():
            cursor.execute("SELECT set_config(%s, %s, false)", [name, value])
