"""The runs of a pulled source: what each collection did, "Collect now", and the schedule the owner picks."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from connections import schedule
from connections.models import CollectionRun, Connection

from . import words
from .evidence import load_one
from .projection.collect_now import collect_held

RUNS_PER_PAGE = 30
Outcome = CollectionRun.Outcome
OUTCOME_WORDS = {  # by value: "skipped" (pulls not made while access was refused or no worker ran) is newer
    "running": "Collecting",
    "success": "Collected",
    "failure": "Could not collect",
    "not_modified": "Nothing new",
    "skipped": "Skipped",
}


def _pulled(request: HttpRequest, slug: str) -> Connection:
    connection = get_object_or_404(Connection.objects.for_owner(request.user), slug=slug)
    if connection.manifest.path("provider_api") is None:
        raise Http404("This source is not collected by Ownerhub: it has no runs.")
    return connection


def _row(run: CollectionRun, noun: tuple[str, str]) -> dict:
    took = run.duration
    return {
        "run": run,
        "outcome": OUTCOME_WORDS.get(run.outcome, run.outcome),
        "duration": "" if took is None else _seconds(took.total_seconds()),
        "records": words.count(run.records, noun) if run.outcome == Outcome.SUCCESS else "",
        # The run's words, written by the pull from what it read and changed (the facts its receipt tells).
        "detail": run.message,
    }


def _seconds(total: float) -> str:
    if total < 1:
        return "under a second"
    if total < 120:
        return words.count(round(total), ("second", "seconds"))
    return words.count(round(total / 60), ("minute", "minutes"))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def runs(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the run history and the schedule; POST ``schedule``: the owner's new schedule."""
    connection = _pulled(request, slug)
    if request.method == "POST":
        choice = request.POST.get("schedule", "")
        if choice not in schedule.CHOICES:
            messages.error(request, "Choose how often to collect.")
        else:
            schedule.set_schedule(connection, choice)
            messages.success(request, f"Schedule for “{connection.name}” saved: {schedule.CHOICES[choice][0]}.")
        return redirect("coverage:runs", connection.slug)
    health = load_one(connection)
    page = Paginator(connection.runs.all(), RUNS_PER_PAGE).get_page(request.GET.get("page"))
    noun = connection.manifest.record_noun
    context = {
        "connection": connection,
        "page": page,
        "rows": [_row(run, noun) for run in page.object_list],
        "choices": [(key, label) for key, (label, _) in schedule.CHOICES.items()],
        "current": schedule.current_choice(connection),
        # The schedule's words and what holds collecting (Reconnect, Resume, Connect) are the projection's,
        # as on the card: this page never works out the next collection itself.
        "health": health,
        "held": collect_held(health),
    }
    return render(request, "coverage/runs.html", context)
