"""manage.py set_time_zone ZONE --owner USERNAME: the owner's time zone (an IANA name)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from connections.account import UnknownZone, set_time_zone


class Command(BaseCommand):
    help = "Set the owner's time zone: dates are shown in it, and chat exports (no zone written) are read in it."

    def add_arguments(self, parser):
        parser.add_argument("zone", help="an IANA time zone, e.g. Pacific/Auckland")
        parser.add_argument("--owner", required=True, help="username")

    def handle(self, *args, zone, owner, **options):
        user = get_user_model().objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"No owner called {owner!r}.")
        try:
            profile = set_time_zone(user, zone)
        except UnknownZone as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Times for {owner} are now shown in {profile.zone_name}.")
