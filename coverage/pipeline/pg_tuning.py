"""PostgreSQL's planner settings for one statement that the planner's statistics would mislead.

Right after a large import the planner's statistics of the records and of staging still say
what they held before (autovacuum counts them later): it may then look each of a million keys
up one at a time, or walk every record of a source to look up a few staged rows. A statement
whose best plan the caller knows from its own counts runs inside ``key_order_join``.
Elsewhere a no-op.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection as db
from django.db import transaction

# Plans a key-order join does without: each would be chosen from stale statistics. JIT off too:
# the penalties these settings add to a plan's cost would make it compile the statement (0.16 s).
_KEY_ORDER = {"enable_hashjoin": "off", "enable_nestloop": "off", "enable_bitmapscan": "off",
              "enable_seqscan": "off", "jit": "off"}


@contextmanager
def key_order_join() -> Iterator[None]:
    """PostgreSQL: join two tables as a merge join (each side in key order: walked along its key
    index, or sorted), for the statements run in the block.

    The block is a transaction of its own (a savepoint inside the caller's) and the settings are
    local to it (``set_config(…, true)``): they end with it, whatever ends it, and never outlive
    it on a server connection that a pooler hands on to another client. Inside the caller's
    transaction they are set back as the block ends, so the caller's next statements plan as
    before; an error rolls the savepoint back, settings included. The settings are read and set
    with a cursor of their own: the caller's keeps its result.
    """
    if db.vendor != "postgresql":
        yield
        return
    names = list(_KEY_ORDER)
    with transaction.atomic():
        with db.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(names)), names)
            previous = dict(zip(names, cursor.fetchone(), strict=True))
        _set(_KEY_ORDER)
        yield
        _set(previous)


def _set(settings: dict[str, str]) -> None:
    with db.cursor() as cursor:
        for name, value in settings.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
