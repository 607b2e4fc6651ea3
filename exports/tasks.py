"""Background tasks of the exports app (django-tasks; the database backend by default)."""

from __future__ import annotations

from django_tasks import task

from . import building


@task()
def build_export(export_id: int) -> str:
    """Build the owner's zip; returns the export's final status. Safe to run twice."""
    return building.build(export_id).status
