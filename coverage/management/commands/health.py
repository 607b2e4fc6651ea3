"""manage.py health [SLUG] [--owner USERNAME] [--json]: print the one projection."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from connections.models import Connection
from coverage import words
from coverage.evidence import load_health, load_system
from coverage.projection import summarize
from coverage.serializers import health_json, healths_json


class Command(BaseCommand):
    help = "Show the health and coverage of connections (the same projection as the dashboard and API)."

    def add_arguments(self, parser):
        parser.add_argument("slug", nargs="?", help="one connection; all of the owner's when omitted")
        parser.add_argument("--owner", help="username (needed when more than one owner exists)")
        parser.add_argument("--json", action="store_true", help="print the API's JSON")

    def handle(self, *args, slug=None, owner=None, json=False, **options):
        connections = Connection.objects.all()
        if owner:
            user = get_user_model().objects.filter(username=owner).first()
            if user is None:
                raise CommandError(f"No owner called {owner!r}.")
            connections = connections.filter(owner=user)
        elif connections.values("owner").distinct().count() > 1:
            raise CommandError("More than one owner has connections: name one with --owner.")
        if slug:
            connections = connections.filter(slug=slug)
            if not connections.exists():
                raise CommandError(f"No connection {slug!r}" + (f" for {owner!r}." if owner else "."))
        healths = load_health(connections, timeline=bool(slug))  # one source: its timeline too, as its page
        if json:
            data = health_json(healths[0]) if slug else healths_json(healths)
            self.stdout.write(_dumps(data))
            return
        system = load_system(tz=words.zone(healths[0].connection.time_zone) if healths else None)
        if system.state != "healthy":  # the installation's runtime, once, above the sources
            self.stdout.write(f"Ownerhub: {system.headline}")
        if not healths:
            self.stdout.write("No connections yet. Add one with: manage.py add_connection CONNECTOR SLUG --name NAME")
            return
        self.stdout.write(_table(summarize(healths).cards))  # the dashboard's order: most urgent first


def _dumps(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def _table(healths) -> str:
    rows = [("SOURCE", "STATE", "COVERED THROUGH", "RECORDS", "HEADLINE / NEXT")]
    for h in healths:
        through = words.day(h.coverage.covered_through, words.zone(h.connection.time_zone), missing="-")
        primary = h.actions[0].label if h.actions else ""
        rows.append((h.connection.slug, h.verdict.label, through, f"{h.coverage.record_count:,}", h.verdict.headline))
        # What the card says under its headline: freshness, then every advisory.
        notes = [h.coverage.freshness_text] if h.coverage.freshness_text else []
        notes += [f"{'Blocking: ' if a.severity == 'blocking' else ''}{a.detail}" for a in h.advisories]
        # What the card says about the pipe and the owner's work: the same lines, in the same order.
        notes += [saving.text for saving in h.work.imports]
        notes += [h.work.previews.text] if h.work.previews else []
        notes += [h.schedule.text] if h.schedule.waits_for == "worker" else []
        notes += [h.work.skipped.text] if h.work.skipped else []
        rows.extend(("", "", "", "", f"  - {note}") for note in notes)
        rows.append(("", "", "", "", f"  {h.verdict.forward}" + (f" [{primary}]" if primary else "")))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4] for r in rows)
