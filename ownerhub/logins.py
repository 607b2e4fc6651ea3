"""The log-in pause: what a person sees after too many wrong passwords.

django-axes counts failed log-ins per account and per client address in the
database (``AXES_HANDLER``), so every web process sees the same count. When
either reaches ``AXES_FAILURE_LIMIT`` it calls ``locked_out`` (our
``AXES_LOCKOUT_CALLABLE``) instead of letting the password be checked: the
log-in page again, with the time left to wait, answered 429 with Retry-After.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from axes.helpers import get_client_ip_address, get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def time_to_wait(username: str | None, address: str | None, cool_off: timedelta, now: datetime) -> timedelta:
    """How long until neither this account nor this address is paused (an upper bound).

    A pause ends ``cool_off`` after the last counted failure of its account or
    address; attempts refused during a pause are not counted
    (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False``), so the wait
    shown only ever counts down.
    """
    match = Q(ip_address=address) if address else Q(pk__in=[])
    if username:
        match |= Q(username=username)
    last = AccessAttempt.objects.filter(match, attempt_time__gte=now - cool_off).aggregate(
        last=Max("attempt_time")
    )["last"]
    if last is None:
        return timedelta(0)
    return max(timedelta(0), last + cool_off - now)


def minutes_words(wait: timedelta) -> str:
    """'1 minute', '15 minutes': whole minutes, rounded up (never '0 minutes')."""
    n = max(1, math.ceil(wait.total_seconds() / 60))
    return f"{n} minute{'s' if n != 1 else ''}"


def locked_out(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    cool_off = get_cool_off(request) or timedelta(0)
    wait = time_to_wait(
        get_client_username(request, credentials),
        getattr(request, "axes_ip_address", None) or get_client_ip_address(request),
        cool_off,
        timezone.now(),
    )
    context = {
        "form": AuthenticationForm(request),
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "paused_for": minutes_words(wait or cool_off),
    }
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(math.ceil((wait or cool_off).total_seconds()))
    return response
