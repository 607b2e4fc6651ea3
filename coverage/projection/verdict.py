"""The verdict: which state a connection is in, what its card says, and what the owner can do.

``project`` reads like DESIGN.md: gather the facts, climb the state ladder (``_state``,
the numbered "Composition of verdict.state"), let the state's own function say its
headline, forward sentence and primary action, then add the advisories' actions.
Labels and advisory actions are tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from django.urls import reverse

from connections.connectors.manifest import Manifest
from connections.models import Connection

from ..receipts import build_receipt
from ..words import day, span, zone_name
from ..words import when as when_
from .advisory_words import advisory_actions, forward_for
from .asks import Ask, Say
from .facts import (
    activity_of,
    advisories_of,
    checking_address,
    coverage_of,
    credential_of,
    exports_only,
    judged_by_exports,
    pulled_when_asked,
    push_reference,
    push_reported,
    refused_push,
    replaying,
    runtime_of,
    schedule_of,
    work_of,
)
from .feed_words import (
    TRY_AGAIN,
    failed_once,
    failing_again,
    inside_network,
    no_success_since,
    not_the_calendar,
    on_request,
)
from .types import (
    Action,
    Advisory,
    ConnectionHealth,
    ConnectionRef,
    Coverage,
    Evidence,
    Readiness,
    ReadinessFact,
    Schedule,
    State,
    Verdict,
    Work,
)

FAILING_AFTER = 3  # consecutive failed collections
REFUSED = ("rejected", "expired")  # credential states that stop collection
# Actions that change something: sent as POST (a form), the others are links.
POST_ACTIONS = frozenset({"resume", "retry", "pause", "require_media", "media_optional", "mute", "unmute"})

TONES: dict[str, str] = {
    "setup_required": "neutral",
    "paused": "neutral",
    "failing": "critical",
    "degraded": "warning",
    "attention": "info",
    "healthy": "ok",
}

# Nothing here retries a push: the phone sends again, and the next push Ownerhub can read clears the refusal.
REVIEW_PREVIEW = "Review the upload"  # the action leading to an upload's waiting preview (its receipt page)

_REFUSED_FORWARD = ("Ownerhub could not read what the phone sent. Check the app's server address and settings on the "
                    "phone; the next push Ownerhub can read clears this.")

PAUSED_FORWARD = "Nothing is collected while paused. Resume to continue."  # a paused source that collects

_LABELS = {
    "setup_required": "Finish setup",
    "paused": "Paused",
    "failing": "Can't collect",
    "degraded": "Having trouble",
}


def source_url(slug: str, part: str = "") -> str:
    """Owner page addresses, fixed here so the projection can name them without a request."""
    return f"/sources/{slug}/{part}" if part else f"/sources/{slug}/"


def project(evidence: Evidence, now: datetime) -> ConnectionHealth:
    """The health and coverage of one connection at ``now``. Pure."""
    facts = _Facts.of(evidence, now)
    state = _state(facts)
    say = _SAY[state](facts)
    if facts.checking and state in ("healthy", "attention"):
        say = Say("Checking the new address…", "Ownerhub collects from the new feed address within a minute; "
                  "this card shows what it found.")
    asks = [*_failed_import_asks(facts), *_connect_asks(facts), *say.asks, *_advisory_asks(facts),
            *_media_rule_asks(facts), *_manage_asks(facts, state)]
    conn = evidence.connection
    return ConnectionHealth(
        connection=ConnectionRef(conn.slug, conn.name, conn.connector, evidence.manifest.name,
                                 zone_name(facts.tz)),
        verdict=Verdict(state, _label(state, facts), _tone(state, facts), say.headline, say.forward),
        readiness=Readiness(facts.credential, facts.runtime),
        schedule=facts.schedule,
        work=facts.work,
        coverage=facts.coverage,
        advisories=facts.advisories,
        actions=_actions(conn.slug, asks),
        latest_receipt=(build_receipt(evidence.latest_batch, tz=facts.tz)
                        if evidence.latest_batch is not None else None),
        latest_activity=activity_of(evidence),
    )


def _state(f: _Facts) -> State:
    """DESIGN.md, "Composition of verdict.state": the first that applies."""
    if (f.credential.state == "missing" and not f.exports_only) or not f.has_evidence:
        return "setup_required"
    if f.connection.schedule_policy == Connection.Policy.PAUSED:
        return "paused"
    failures = 0 if f.checking else f.work.consecutive_failures  # they were the old address's
    if f.credential.state in REFUSED or f.blocking or failures >= FAILING_AFTER:
        return "failing"
    if failures or f.runtime.state == "unavailable" or (f.stale_pipe and not f.checking):
        return "degraded"
    if f.advisories:
        return "attention"
    return "healthy"


# ---------------------------------------------------------------- facts the ladder reads


@dataclass(frozen=True)
class _Facts:
    ev: Evidence
    credential: ReadinessFact
    runtime: ReadinessFact
    work: Work
    schedule: Schedule
    coverage: Coverage
    advisories: tuple[Advisory, ...]
    now: datetime

    @classmethod
    def of(cls, ev: Evidence, now: datetime) -> _Facts:
        coverage = coverage_of(ev, now)
        credential = credential_of(ev, now)
        return cls(ev, credential, runtime_of(ev, now), work_of(ev, now), schedule_of(ev, credential, now),
                   coverage, advisories_of(ev, coverage), now)

    @property
    def tz(self) -> tzinfo:
        """The owner's zone; evidence without one is read in UTC."""
        return self.ev.time_zone or UTC

    @property
    def connection(self) -> Connection:
        return self.ev.connection

    @property
    def manifest(self) -> Manifest:
        return self.ev.manifest

    @property
    def has_evidence(self) -> bool:
        ev = self.ev
        return bool(ev.lanes or ev.runs or (ev.summary is not None and ev.summary.latest_batch_id))

    @property
    def exports_only(self) -> bool:
        """It could be connected, but holds only uploaded exports: connecting is a suggestion."""
        return self.credential.state == "missing" and exports_only(self.ev)

    @property
    def only_reading(self) -> bool:
        """Every upload waiting is a file the worker has still to read: no preview to look at yet."""
        ev = self.ev
        return not ev.folder_waiting and ev.previews_reading >= ev.previews_waiting

    @property
    def checking(self) -> bool:
        """A new feed address waits for its first pull (``connections.reconnect``)."""
        return checking_address(self.credential, self.work)

    @property
    def blocking(self) -> tuple[Advisory, ...]:
        return tuple(a for a in self.advisories if a.severity == "blocking")

    @property
    def stale_pipe(self) -> bool:
        """A push or pull source whose data stopped arriving (a manual source, or a pull made only when the
        owner asks, is never degraded for that: its old data is an advisory, ``stale_pull``)."""
        return (not self.manifest.is_manual and not self.exports_only and not pulled_when_asked(self.ev)
                and self.coverage.freshness == "stale")

    @property
    def measured(self) -> bool:
        """Fresh, and nothing about the pipe unknown: only then is it "Up to date"."""
        return self.coverage.freshness == "fresh" and "unknown" not in (self.credential.state, self.runtime.state)

    @property
    def span(self) -> str:
        start, end = self.coverage.earliest_event_at, self.coverage.covered_through
        return f"Covers {span(start, end, self.tz)}" if start and end else ""


# ---------------------------------------------------------------- what each state says


def _setup_required(f: _Facts) -> Say:
    noun = f.manifest.record_noun
    if f.work.imports:  # the first import is being saved: nothing to ask yet
        saving = f.work.imports[0]
        return Say(saving.text, "Its data is saved once the background worker is back." if saving.stalled
                   else "Its data appears here once it is saved.")
    if f.credential.state == "missing":
        return Say("Not connected yet", "Connect this source so Ownerhub can start collecting.",
                   (Ask("connect", "Connect", "#connect", "now"),))
    if f.ev.failed_import is not None:  # a failed import is all there is
        return Say(f.advisories[0].detail, forward_for("failed_import", f.manifest),
                   (Ask("add_artifact", "Upload the export", "upload/", "now"),))
    if f.work.previews is not None:  # an upload waits: the next step is its preview, not another upload
        return _first_preview(f)
    if f.manifest.is_manual:
        return Say(f"No {noun[1]} imported yet", "Upload the export to see what data you have.",
                   (Ask("add_artifact", "Upload the export", "upload/", "now"),))
    return Say(f"No {noun[1]} received yet",
               "Finish setting up the source; its data appears here when the first batch arrives.",
               (Ask("connect", "Finish setup", "#connect", "now"),))


def _first_preview(f: _Facts) -> Say:
    """Nothing is held yet and an upload waits: its preview to review, or its file still being read."""
    noun, previews = f.manifest.record_noun, f.work.previews
    if not f.only_reading:
        return Say(f"No {noun[1]} imported yet", "Review the preview of your upload and import it to see what data "
                   "you have.", (Ask("review_preview", REVIEW_PREVIEW, previews.url, "now"),))
    return Say(f"No {noun[1]} imported yet", "Your file is being read; its preview appears here when it is ready."
               if not f.ev.worker_down else "Your file is read once the background worker runs again.")


def _paused(f: _Facts) -> Say:
    forward = ("While paused, uploads still work and Ownerhub stops reminding you to upload a newer export. "
               "Resume to be reminded again." if f.manifest.is_manual
               else PAUSED_FORWARD)
    return Say(f"Paused · {f.span}" if f.span else "Paused", forward, (Ask("resume", "Resume", "resume/"),))


def _failing(f: _Facts) -> Say:
    if said := not_the_calendar(f.credential, f.work, f.schedule, f.tz, "now"):
        return said
    if said := inside_network(f.credential):
        return said
    if f.credential.state in REFUSED:
        verb = "refused" if f.credential.state == "rejected" else "expired"
        return Say(f"Access {verb} on {day(f.credential.observed_at, f.tz)}",
                   "Reconnect to let Ownerhub collect again; it will not retry until then.",
                   (Ask("reconnect", "Reconnect", "#connect", "now", blocking=True),))
    if f.blocking:
        first = f.blocking[0]
        kind, label, part = advisory_actions(first.kind, f.manifest)[0]
        return Say(first.detail, forward_for(first.kind, f.manifest, blocking=True),
                   (Ask(kind, label, part, "now", blocking=True),))
    if refused_push(f.ev) is not None:
        return Say("The phone's pushes keep being refused", _REFUSED_FORWARD,
                   (Ask("check_device", "Check the phone", "#connect", "now", blocking=True),))
    return Say(f"The last {f.work.consecutive_failures} collections failed",
               failing_again(f.schedule), (Ask("retry", TRY_AGAIN, "retry/", "now", blocking=True),))


def _degraded(f: _Facts) -> Say:
    if said := not_the_calendar(f.credential, f.work, f.schedule, f.tz, "soon"):
        return said
    if f.work.consecutive_failures and refused_push(f.ev) is not None:
        return Say(f"The phone's last push was refused on {day(f.work.last_failure_at, f.tz)}", _REFUSED_FORWARD,
                   (Ask("check_device", "Check the phone", "#connect"),))
    if f.work.consecutive_failures:
        return Say(f"The last collection failed on {day(f.work.last_failure_at, f.tz)}",
                   failed_once(f.schedule, f.tz, f.now), (Ask("retry", TRY_AGAIN, "retry/"),))
    if f.runtime.state == "unavailable":
        return Say("The collector for this source is not running",
                   "Collection resumes when the collector is back; an operator has been told.",
                   (Ask("check_runtime", "Check the collector", audience="operator"),))
    if f.manifest.path("device_sync") and replaying(f.ev, f.now):
        noun, newest = f.manifest.record_noun, day(push_reference(f.ev), f.tz)
        return Say(f"The newest {noun[0]} is from {newest}",
                   f"The phone sent data {when_(push_reported(f.ev), f.tz, f.now)}, but its newest {noun[0]} is from "
                   f"{newest}: the phone's clock may be wrong, or it is sending old {noun[1]} again. "
                   "Check the date and time on the phone.",
                   (Ask("check_device", "Check the phone", "#connect"),))
    if f.manifest.path("device_sync"):
        return Say(f"The phone has not reported since {day(push_reported(f.ev), f.tz)}",
                   "Open the app on your phone and check its server address and token.",
                   (Ask("check_device", "Check the phone", "#connect"),))
    return Say(f"No successful collection since {day(f.work.last_success_at, f.tz)}",
               no_success_since(f.schedule), (Ask("retry", TRY_AGAIN, "retry/"),))


def _attention(f: _Facts) -> Say:
    forward = forward_for(f.advisories[0].kind, f.manifest)
    if f.exports_only and f.advisories[0].kind == "stale_owner_artifact":
        forward = f"{_connect_sentence(f)} or upload a newer export."
    return Say(f.span or f"No {f.manifest.record_noun[1]} yet", forward)


def _healthy(f: _Facts) -> Say:
    headline = f.span if f.measured else f"{f.span} · not measured yet" if f.span else "Not measured yet"
    if f.exports_only:
        return Say(headline, f"Nothing needs you now. {_connect_sentence(f)}, or upload a newer export when you like.",
                   (Ask("add_artifact", "Upload a newer export", "upload/"),))
    if f.manifest.is_manual:
        return Say(headline, "Nothing needs you now. Upload a newer export whenever you like.",
                   (Ask("add_artifact", "Upload a newer export", "upload/"),))
    if f.schedule.waits_for == "worker":
        return Say(headline, "Nothing needs you now. The next collection waits for the background worker.")
    if f.schedule.next_due_at and f.schedule.policy == "interval":
        return Say(headline, f"Nothing needs you now. Next collection {when_(f.schedule.next_due_at, f.tz, f.now)}.")
    if f.manifest.path("provider_api") and on_request(f.schedule):
        return Say(headline, "Nothing needs you now. Ownerhub collects only when you ask.")
    return Say(headline, "Nothing needs you now. New data arrives as the source sends it.")


_SAY = {
    "setup_required": _setup_required,
    "paused": _paused,
    "failing": _failing,
    "degraded": _degraded,
    "attention": _attention,
    "healthy": _healthy,
}


def _connect_sentence(f: _Facts) -> str:
    what = "the phone" if f.manifest.path("device_sync") else "this source"
    return f"Connect {what} so new {f.manifest.record_noun[1]} arrive by themselves"


def _connect_asks(f: _Facts) -> tuple[Ask, ...]:
    """A source holding only exports may be connected: a suggestion, never urgent."""
    if not f.exports_only:
        return ()
    return (Ask("connect", "Connect the phone" if f.manifest.path("device_sync") else "Connect", "#connect"),)


def _tone(state: State, f: _Facts) -> str:
    """The state's tone; never a green tick for what was not measured."""
    return "neutral" if state == "healthy" and not f.measured else TONES[state]


def _label(state: State, f: _Facts) -> str:
    """The pill (UI.md): one word per state; attention and healthy say which kind."""
    if state == "healthy":
        return "Up to date" if f.measured else "Not measured yet"
    if state == "setup_required" and f.work.imports and f.ev.failed_import is None:
        return "Not measured yet"  # the first import is being saved: nothing to finish
    if state == "setup_required" and f.work.previews and f.only_reading:
        return "Not measured yet"  # the first file is being read: nothing to finish yet
    if state == "attention":
        kinds = {a.kind for a in f.advisories}
        if kinds == {"missing_media"}:
            return f"{f.manifest.media_word.capitalize()} missing"
        return "Needs a refresh" if kinds & {"stale_owner_artifact", "stale_pull", "partial_artifact"} else "Needs a look"
    return _LABELS[state]


# ---------------------------------------------------------------- advisories: actions and forward sentences

def _failed_import_asks(f: _Facts) -> tuple[Ask, ...]:
    if f.ev.failed_import is None:
        return ()
    # Nothing else can bring that file in: trying again is the first thing to offer.
    return (Ask("retry", TRY_AGAIN, "import/retry/", "now"), Ask("add_artifact", "Upload the file again", "upload/"))


def _advisory_asks(f: _Facts) -> list[Ask]:
    return [
        Ask(kind, label, part, blocking=advisory.severity == "blocking" and i == 0)
        for advisory in f.advisories
        for i, (kind, label, part) in enumerate(advisory_actions(advisory.kind, f.manifest))
    ]


def _media_rule_asks(f: _Facts) -> tuple[Ask, ...]:
    """The owner's rule for a source that holds media: missing media may be made blocking, and back."""
    if f.connection.media_required:
        return (Ask("media_optional", "Stop requiring every media file", "media/optional/"),)
    if not f.coverage.media.declared:
        return ()
    return (Ask("require_media", "Require every media file", "media/required/",
                 confirm="Require every media file? While any is missing, this source shows as can't collect."),)


def _manage_asks(f: _Facts, state: State) -> tuple[Ask, ...]:
    """Pause where something is collected (a push or a pull); on a source of exports, mute its reminders."""
    if state == "paused":
        return ()  # its say asks to resume
    if f.connection.schedule_policy == Connection.Policy.PAUSED:  # paused before anything arrived: never "Pause"
        return (Ask("resume", "Resume", "resume/"),)
    if not judged_by_exports(f.ev):
        return (Ask("pause", "Pause", "pause/"),)
    if state == "setup_required":
        return ()  # nothing imported yet: nothing to remind of
    if f.connection.reminders_muted:
        return (Ask("unmute", "Turn reminders back on", "unmute/"),)
    return (Ask("mute", "Mute reminders", "mute/"),)


def _address(slug: str, part: str) -> str:
    """A page of this source: a part of its address, or a url name ("coverage:reread") taking the slug."""
    if part.startswith("/"):  # a page of its own: an upload's preview (``facts.previews_of``)
        return part
    return reverse(part, args=[slug]) if part.startswith("coverage:") else source_url(slug, part)


def _actions(slug: str, asks: list[Ask]) -> tuple[Action, ...]:
    """The first ask of each kind, in order, with its address; the first is the primary action."""
    actions: dict[str, Action] = {}
    for ask in asks:
        if ask.kind not in actions:
            method = "POST" if ask.kind in POST_ACTIONS else "GET"
            actions[ask.kind] = Action(ask.kind, ask.label, _address(slug, ask.part), ask.blocking, ask.audience,
                                       ask.urgency, method, ask.confirm)
    return tuple(actions.values())
