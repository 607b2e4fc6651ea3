"""The digest panel of the settings page: the owner's email address, email on or off, a webhook address, a new
secret (shown once, on the page the owner lands on after making it)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from connections.collect import FeedUrlInvalid, entered_feed_url

from .models import SECRET_SHOWN_ONCE, DigestSettings, new_secret


@require_POST
@login_required
def digest_settings(request: HttpRequest) -> HttpResponse:
    digest, _ = DigestSettings.objects.get_or_create(owner=request.user)
    if request.POST.get("new_secret"):
        digest.webhook_secret = new_secret()
        digest.save(update_fields=["webhook_secret"])
        request.session[SECRET_SHOWN_ONCE] = digest.webhook_secret  # the settings page shows it, then forgets it
        messages.success(request, "Made a new signing secret. The old one no longer signs the digest.")
        return redirect("/settings/#digest")
    email = request.POST.get("email", request.user.email).strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            messages.error(request, f"{email} is not an email address. Nothing was changed.")
            return redirect("/settings/#digest")
    url = request.POST.get("webhook_url", "").strip()
    if url:
        try:
            url = entered_feed_url(url)
        except FeedUrlInvalid as exc:
            messages.error(request, f"That webhook address cannot be used. {exc} Nothing was changed.")
            return redirect("/settings/#digest")
    if email != request.user.email:
        request.user.email = email
        request.user.save(update_fields=["email"])
    digest.webhook_url = url
    digest.email_enabled = bool(request.POST.get("email_enabled")) and bool(email)
    digest.save(update_fields=["webhook_url", "email_enabled"])
    messages.success(request, "Saved how your reminder digest reaches you.")
    return redirect("/settings/#digest")
