"""The reminder digest: one message per owner, at most once a day, about what changed.

A source is reported when it needs the owner or has stopped collecting: a manual export past
its cadence (``attention``), a live source gone quiet or failing (``degraded``), a credential
refused (``failing``). Each comes from the projection (``coverage.evidence.load_health``), with
its headline and its first owner action: the digest decides nothing the cards do not say.
A digest lists only the sources whose state changed since the last one (a source that stays
stale is not reported twice), and is sent at most once per ``EVERY`` per owner. It goes by
email (Django's mail settings: the console backend by default, so the embedded set-up prints
it) and, when the owner set one, to a webhook: JSON, signed with the owner's secret
(``X-Ownerhub-Signature: sha256=<hex HMAC of the body>``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.request
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import timezone

from connections.fetch import FeedAddressInside, check_feed_address
from connections.models import Connection
from coverage.evidence import load_health
from coverage.projection.types import MANAGE_ACTIONS

from .models import DigestSettings

log = logging.getLogger(__name__)

EVERY = timedelta(days=1)
REPORTED = ("failing", "degraded", "attention")
WEBHOOK_TIMEOUT = 10


@dataclass(frozen=True)
class Item:
    slug: str
    name: str
    state: str
    label: str
    headline: str
    action: str
    url: str


def base_url() -> str:
    return getattr(settings, "OWNERHUB_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def _key(health) -> str:
    return health.verdict.state + ":" + ",".join(sorted(a.kind for a in health.advisories))


def current_items(owner, now: datetime) -> tuple[list[Item], dict[str, str]]:
    """The owner's sources that need them now, and the key of every source's state."""
    items, keys = [], {}
    for health in load_health(Connection.objects.for_owner(owner).filter(reminders_muted=False), now):  # muted: not named
        if health.verdict.state not in REPORTED:
            continue
        keys[health.connection.slug] = _key(health)
        action = next((a for a in health.actions if a.audience == "owner" and a.kind not in MANAGE_ACTIONS), None)
        items.append(Item(
            slug=health.connection.slug,
            name=health.connection.name,
            state=health.verdict.state,
            label=health.verdict.label,
            headline=health.verdict.headline,
            action=action.label if action else health.verdict.forward,
            url=base_url() + (action.url if action and action.method == "GET" else f"/sources/{health.connection.slug}/"),
        ))
    return items, keys


def text_of(items: list[Item]) -> str:
    lines = [f"{len(items)} of your sources {'has' if len(items) == 1 else 'have'} changed since the last digest:", ""]
    for item in items:
        lines += [f"{item.name}: {item.label}. {item.headline}", f"  Next: {item.action} {item.url}", ""]
    lines.append(f"Every source: {base_url()}/")
    return "\n".join(lines)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_digest(owner, now: datetime | None = None, *, force: bool = False) -> list[Item] | None:
    """Send the owner's digest if something changed and none went in the last day; returns what it said."""
    now = now or timezone.now()
    digest, _ = DigestSettings.objects.get_or_create(owner=owner)
    if not force and digest.last_sent_at and now - digest.last_sent_at < EVERY:
        return None
    items, keys = current_items(owner, now)
    changed = [i for i in items if digest.last_items.get(i.slug) != keys[i.slug]]
    if not changed:
        if keys != digest.last_items:  # sources back to health: forget them, so a relapse is news
            digest.last_items = keys
            digest.save(update_fields=["last_items"])
        return None
    subject = f"Ownerhub: {len(changed)} source{'' if len(changed) == 1 else 's'} need{'s' if len(changed) == 1 else ''} you"
    if digest.email_enabled and owner.email:
        send_mail(subject, text_of(changed), None, [owner.email])
    if digest.webhook_url:
        _post_webhook(digest, subject, changed, now)
    digest.last_sent_at, digest.last_items = now, keys
    digest.save(update_fields=["last_sent_at", "last_items"])
    return changed


def _post_webhook(digest: DigestSettings, subject: str, items: list[Item], now: datetime) -> None:
    body = json.dumps({"subject": subject, "sent_at": now.isoformat(), "items": [asdict(i) for i in items]}).encode()
    try:
        check_feed_address(digest.webhook_url)  # never inside the network, unless the installation allows it
        request = urllib.request.Request(digest.webhook_url, data=body, method="POST", headers={
            "Content-Type": "application/json",
            "X-Ownerhub-Signature": sign(digest.webhook_secret, body),
        })
        with _OPENER.open(request, timeout=WEBHOOK_TIMEOUT) as response:
            response.read(1024)
    except (OSError, FeedAddressInside) as exc:
        log.warning("digest webhook of owner %s failed: %s", digest.owner_id, exc)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is not followed: its target was never checked against the inside-address rule."""

    def redirect_request(self, *args, **kwargs):
        return None


# No proxy from the environment (it would connect on our behalf to an address never checked).
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


def send_due_digests(now: datetime | None = None) -> int:
    """Every owner's digest that is due (the worker's job, and ``send_digests``); returns how many went."""
    now = now or timezone.now()
    sent = 0
    for owner in get_user_model().objects.filter(is_active=True, connections__isnull=False).distinct():
        if send_digest(owner, now):
            sent += 1
    return sent
