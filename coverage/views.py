"""Owner pages. They load owner-scoped rows, ask the projection, and render."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .evidence import load_health


@require_GET
@login_required
def dashboard(request):
    from connections.models import Connection

    healths = load_health(Connection.objects.for_owner(request.user))
    return render(request, "coverage/dashboard.html", {"healths": healths})
