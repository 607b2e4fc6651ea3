"""The dashboard's loader finds imports read by an older reader through the index of imports by
reader: a feed's thousands of pulls and a phone's pushes are never read for it (issue 11: the
dashboard costs the same for 10k and 1M batches)."""

from __future__ import annotations

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from connections.connectors.whatsapp import PARSER_VERSION
from connections.models import Connection
from coverage.evidence import load_health
from coverage.models import AcquisitionBatch
from tests.factories import BatchFactory, ConnectionFactory

pytestmark = pytest.mark.django_db


def test_an_older_readers_imports_are_counted_without_reading_the_sources_pulls(owner):
    chat = ConnectionFactory(owner=owner, connector="whatsapp", slug="family-chat")
    BatchFactory(connection=chat, method="owner_artifact", status="committed", parser_version="whatsapp/1",
                            artifact_sha256="a" * 64, artifact_name="artifacts/old.zip")
    BatchFactory(connection=chat, method="owner_artifact", status="committed", parser_version=PARSER_VERSION,
                            artifact_sha256="b" * 64, artifact_name="artifacts/new.zip")
    with CaptureQueriesContext(db) as queries:
        health = load_health(Connection.objects.filter(pk=chat.pk))[0]
    assert "1 import was read by an older reader" in " ".join(a.detail for a in health.advisories)
    if db.vendor != "sqlite":
        pytest.skip("the plan is checked on SQLite, whose planner chooses by the schema alone")
    loader = next(q["sql"] for q in queries.captured_queries if "parser_version" in q["sql"])
    with db.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {loader}")
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "batch_by_reader" in plan
    assert AcquisitionBatch.objects.count() == 2
