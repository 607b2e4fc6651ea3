"""Owner pages for setting up connections: the add-source catalog, create, a phone's token, a feed address.

Each view loads owner-scoped rows, calls a service from ``connections.services`` and
redirects to the source page. Pages that show a source's card (pause, resume, retry,
remove) are coverage's (``coverage.views``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import phone, reconnect, services
from .collect import FeedUrlInvalid
from .connectors import all_manifests
from .connectors import get as get_manifest
from .models import Connection
from .tokens import TokenRefused, issue_device_token

RESERVED_SLUGS = services.RESERVED_SLUGS


def _owned(request: HttpRequest, slug: str) -> Connection:
    return get_object_or_404(Connection.objects.for_owner(request.user), slug=slug)


def _ordered_paths(manifest):
    return sorted(manifest.paths, key=lambda p: not p.recommended)


@require_safe
@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    entries = [{"manifest": m, "paths": _ordered_paths(m)} for m in all_manifests() if not m.extra.get("hidden")]
    return render(request, "connections/catalog.html", {"entries": entries})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def create(request: HttpRequest, connector: str) -> HttpResponse:
    try:
        manifest = get_manifest(connector)
    except LookupError:
        raise Http404("No such kind of source") from None
    needs_feed = any(p.method == "provider_api" and p.needs_credential for p in manifest.paths)
    name = request.POST.get("name", "").strip() if request.method == "POST" else manifest.name
    feed_url = request.POST.get("feed_url", "").strip()
    error = ""
    if request.method == "POST":
        if not name:
            error = "Give the source a name, such as “Family chat”."
        elif needs_feed and feed_url and not feed_url.startswith(("https://", "http://", "webcal://")):
            error = "The feed address should start with https:// or webcal://."
        else:
            slug = services.unique_slug(request.user, name)
            if slug in RESERVED_SLUGS:
                slug = services.unique_slug(request.user, f"{name} source")
            try:
                connection = services.add_connection(request.user, connector, slug, name[:120], feed_url=feed_url)
            except services.ConnectionError_ as exc:
                error = str(exc)
            else:
                messages.success(request, f"Added “{connection.name}”.")
                if manifest.is_manual:  # its data arrives as files: straight to the upload page and its steps
                    return redirect("coverage:upload", connection.slug)
                return redirect("coverage:source", connection.slug)
    context = {"manifest": manifest, "paths": _ordered_paths(manifest), "name": name, "feed_url": feed_url,
               "needs_feed": needs_feed, "error": error}
    return render(request, "connections/create.html", context, status=400 if error else 200)


SHOWN_ONCE = "device_token_shown_once"  # the session key holding a new token until its page is shown


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def device_token(request: HttpRequest, slug: str) -> HttpResponse:
    """POST makes (or replaces) the phone's token, then redirects; GET shows a new token once.

    Only the token's hash is kept; the secret waits in the session for the one page that shows
    it, so reloading that page shows the settings without the secret and never makes a new one.
    """
    connection = _owned(request, slug)
    if request.method == "POST":
        rotate = connection.device_tokens.live().exists()
        try:
            _, secret = issue_device_token(connection, rotate=rotate)
        except TokenRefused as exc:
            raise Http404(str(exc)) from None
        request.session[SHOWN_ONCE] = {"slug": connection.slug, "secret": secret, "rotated": rotate}
        return redirect("connections:device_token", connection.slug)
    held = request.session.get(SHOWN_ONCE) or {}
    secret = held.get("secret") if held.get("slug") == connection.slug else None
    if secret:
        del request.session[SHOWN_ONCE]
    response = render(request, "connections/device_token.html", _phone_context(request, connection, secret, held))
    response["Cache-Control"] = "no-store"
    return response


def _phone_context(request: HttpRequest, connection: Connection, secret: str | None, held: dict) -> dict:
    path = connection.manifest.path("device_sync")
    if path is None:
        raise Http404("This source takes nothing from a phone.")
    user = request.user.get_username()
    apps = []
    for endpoint in path.endpoints:
        url = request.build_absolute_uri(f"/ingest/{endpoint.name}")
        app = {
            "name": endpoint.app,
            "url": url,
            "user": user if endpoint.auth == "basic" else "",
            "setup": format_html(endpoint.setup, url=format_html("<code>{}</code>", url),
                                 user=format_html("<code>{}</code>", user)),
            "qr": None,
        }
        if secret:
            link = (phone.owntracks_link(url, user, secret, connection.slug) if endpoint.name == "owntracks"
                    else phone.overland_link(url, secret, connection.slug) if endpoint.name == "overland" else "")
            if link:
                app["qr"] = phone.qr_svg(link, f"{endpoint.app} settings for {connection.name}")
        apps.append(app)
    return {"connection": connection, "secret": secret, "rotated": held.get("rotated", False), "apps": apps}


@require_POST
@login_required
def feed(request: HttpRequest, slug: str) -> HttpResponse:
    """A new feed address (the reconnect after a refusal): tested first, saved only if it answered.

    The test fetches it once through the safe fetcher and reads it with the connector's parser
    (``connections.reconnect``); a refusal saves nothing. Saved, it is collected within a minute,
    and the card says "Checking the new address…" until that pull has answered.
    """
    connection = _owned(request, slug)
    if connection.manifest.path("provider_api") is None:
        raise Http404("This source has no feed address.")
    url = request.POST.get("feed_url", "").strip()
    try:
        found = reconnect.try_feed_address(connection, url)
    except reconnect.AddressRefused as exc:
        messages.error(request, f"That feed address cannot be used. {exc} Nothing was changed.")
        return redirect(f"{connection_url(connection)}#connect")
    try:
        reconnect.reconnect(connection, url)
    except FeedUrlInvalid as exc:  # its answer moved between the test and the save
        messages.error(request, f"That feed address cannot be used. {exc} Nothing was changed.")
    else:
        messages.success(request, f"Feed address saved: it holds {found.text}. "
                                  "Ownerhub will collect from it within a minute.")
    return redirect(f"{connection_url(connection)}#connect")


def connection_url(connection: Connection) -> str:
    return reverse("coverage:source", args=[connection.slug])
