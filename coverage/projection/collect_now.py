"""Whether "Collect now" can collect a pulled source, read from its projection alone.

A source whose access was refused (or expired) is not asked again until the owner reconnects
(``connections.collect``), even when the owner asks; a paused one collects nothing until it is
resumed; one never connected has nothing to collect from. Each of those is held by an owner's
action the projection already offers (Reconnect, Resume, Connect): every surface that offers
"Collect now" (the runs page, the retry view behind it) asks here instead of the connection's rows,
so none of them promises a collection the schedule will not make.
"""

from __future__ import annotations

from typing import NamedTuple

from .types import Action, ConnectionHealth
from .verdict import PAUSED_FORWARD

REFUSED = ("rejected", "expired")


class Held(NamedTuple):
    """What holds every collection: the owner's action, and the projection's words for why and what to do."""

    action: Action
    text: str  # "Access refused on 4 Dec 2026. Reconnect to let Ownerhub collect again; it will not retry until then."

    def nothing_collected(self, name: str) -> str:
        """The answer to a "Collect now" that collected nothing."""
        return f"Nothing was collected from “{name}”. {self.text}"


def collect_held(health: ConnectionHealth) -> Held | None:
    """The action holding every collection of this source, or None when "Collect now" collects."""
    credential = health.readiness.credential.state
    if health.schedule.policy == "paused":  # first: nothing is collected while paused, whatever else holds it
        holding = "resume"
    elif credential in REFUSED:
        holding = "reconnect"
    elif credential == "missing":
        holding = "connect"
    else:
        return None
    action = next((a for a in health.actions if a.kind == holding and a.audience == "owner"), None)
    if action is None:
        return None
    verdict = health.verdict
    # A refusal's headline says why ("Access refused on 4 Dec 2026"); connecting says it in the forward. A source
    # paused before anything arrived is "Finish setup" on its card, yet paused first: say that.
    text = (f"{verdict.headline}. {verdict.forward}" if holding == "reconnect"
            else PAUSED_FORWARD if holding == "resume" and verdict.state != "paused" else verdict.forward)
    return Held(action, text)
