"""The owner's own settings page: time zone, password, personal access tokens.

Everything an owner needs about their account is here, so nothing requires the Django
admin or the command line. Each change is its own POST to its own address and comes back
to the page with a message (every form works without JavaScript).
"""

from __future__ import annotations

from zoneinfo import available_timezones

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.db import transaction
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from .models import AccessToken, OwnerProfile
from .tokens import issue_access_token, revoke_access_token
from .zoneless import zoneless_connections

ZONES = sorted(available_timezones() - {"localtime", "Factory"})


# Sent inside the transaction that saves a new zone, with ``owner``, ``before`` and ``after`` (zone names):
# the coverage app places what depends on the owner's days at once (a calendar's all-day events).
zone_changed = Signal()


class UnknownZone(ValueError):
    """Not an IANA time zone name."""


def set_time_zone(owner, zone: str) -> OwnerProfile:
    """Make ``zone`` (an IANA name such as ``Pacific/Auckland``) the owner's zone; raises UnknownZone."""
    zone = (zone or "").strip()
    if zone not in ZONES:
        raise UnknownZone(f"{zone or 'That'} is not a time zone Ownerhub knows. Pick one from the list, "
                          "such as Europe/Berlin or America/New_York.")
    with transaction.atomic():
        profile, _ = OwnerProfile.objects.select_for_update().get_or_create(owner=owner)
        before = profile.zone_name
        profile.time_zone = zone
        profile.save(update_fields=["time_zone"])
        if before != zone:
            zone_changed.send(sender=OwnerProfile, owner=owner, before=before, after=zone)
    return profile


def _page(request: HttpRequest, *, password_form: PasswordChangeForm | None = None, new_secret: str = "",
          status: int = 200) -> HttpResponse:
    profile = OwnerProfile.objects.filter(owner=request.user).first()
    context = {
        "zone": profile.zone_name if profile else settings.TIME_ZONE,
        "zones": ZONES,
        "password_form": password_form or _password_form(request.user),
        "tokens": AccessToken.objects.filter(owner=request.user, revoked_at__isnull=True).order_by("-created_at"),
        "new_secret": new_secret,
    }
    return render(request, "connections/settings.html", context, status=status)


def _password_form(user, data=None) -> PasswordChangeForm:
    form = PasswordChangeForm(user, data)
    form.fields["old_password"].widget.attrs.pop("autofocus", None)  # the zone comes first on the page
    return form


@require_safe
@login_required
def owner_settings(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@login_required
def time_zone(request: HttpRequest) -> HttpResponse:
    before = OwnerProfile.objects.filter(owner=request.user).first()
    before = before.zone_name if before else settings.TIME_ZONE
    try:
        profile = set_time_zone(request.user, request.POST.get("time_zone", ""))
    except UnknownZone as exc:
        messages.error(request, str(exc))
        return _page(request, status=400)
    messages.success(request, f"Times are now shown in {profile.zone_name}.")
    if profile.zone_name != before and zoneless_connections(request.user).exists():
        # Chats were read in the old zone: offer to read them again in the new one.
        return redirect("coverage:reread_zone")
    return redirect("connections:settings")


@require_POST
@login_required
def password(request: HttpRequest) -> HttpResponse:
    form = _password_form(request.user, request.POST)
    if not form.is_valid():
        return _page(request, password_form=form, status=400)
    user = form.save()
    update_session_auth_hash(request, user)  # stay logged in here; other sessions end
    messages.success(request, "Your password was changed.")
    return redirect("connections:settings")


@require_POST
@login_required
def create_token(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("name", "").strip()
    if not name:
        messages.error(request, "Give the token a name, such as the script that will use it.")
        return _page(request, status=400)
    _, secret = issue_access_token(request.user, name)
    # Shown once, on this response only: it is never stored and never in a redirect.
    return _page(request, new_secret=secret)


@require_POST
@login_required
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(AccessToken.objects.filter(owner=request.user, revoked_at__isnull=True), pk=token_id)
    revoke_access_token(token)
    messages.success(request, f"The token “{token.name}” no longer works.")
    return redirect("connections:settings")
