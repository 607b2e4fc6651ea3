"""manage.py device_token SLUG --owner USERNAME [--rotate] [--revoke]."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from connections.models import Connection
from connections.tokens import TokenRefused, issue_device_token, revoke_device_tokens


class Command(BaseCommand):
    help = "Create a device token for a phone source (printed once), rotate it, or revoke all."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--owner", required=True, help="username")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--rotate", action="store_true", help="revoke the other tokens first")
        group.add_argument("--revoke", action="store_true", help="revoke every token; print none")

    def handle(self, *args, slug, owner, rotate, revoke, **options):
        user = get_user_model().objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"No owner called {owner!r}.")
        connection = Connection.objects.for_owner(user).filter(slug=slug).first()
        if connection is None:
            raise CommandError(f"{owner} has no source called {slug!r}.")
        if revoke:
            count = revoke_device_tokens(connection)
            self.stdout.write(f"Revoked {count} token{'s' if count != 1 else ''} of {connection.name!r}.")
            return
        try:
            token, secret = issue_device_token(connection, rotate=rotate)
        except TokenRefused as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(
            f"New device token …{token.hint} for {connection.name!r}"
            + (" (the previous ones are revoked)" if rotate else "")
            + ". It is shown only this once:"
        )
        self.stdout.write(secret)
