"""manage.py add_connection CONNECTOR SLUG --name NAME --owner USERNAME."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from connections.connectors import all_manifests
from connections.services import ConnectionError_, add_connection


class Command(BaseCommand):
    help = "Add a connection (one configured source) for an owner."

    def add_arguments(self, parser):
        parser.add_argument("connector", help="one of: " + ", ".join(m.id for m in all_manifests()))
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner", required=True, help="username")
        parser.add_argument("--feed-url", default="", help="calendar feed address (ical_feed)")

    def handle(self, *args, connector, slug, name, owner, feed_url, **options):
        user = get_user_model().objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"No owner called {owner!r}.")
        try:
            connection = add_connection(user, connector, slug, name, feed_url=feed_url)
        except ConnectionError_ as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Added {connection.name!r} ({connection.manifest.name}) as {connection.slug}.")
