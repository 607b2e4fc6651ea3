"""factory-boy factories: one per model, sensible defaults; a scenario overrides only what it is about.

``Factory.build(...)`` makes an unsaved row (the pure projection tests), ``Factory(...)`` or
``Factory.create(...)`` a saved one (the surface tests).
"""

from __future__ import annotations

from datetime import UTC, datetime

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from connections.models import (
    AccessToken,
    CollectionRun,
    Condition,
    Connection,
    DeviceToken,
    OwnerProfile,
    hash_secret,
)
from coverage.models import AcquisitionBatch, CoverageSummary, LaneSummary, Record, RecordProvenance
from exports.models import Export
from reminders.models import DigestSettings

PASSWORD = "correct horse battery"
CREATED = datetime(2025, 10, 21, 12, 0, tzinfo=UTC)


class OwnerFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"owner{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(user, create, extracted, **kwargs):  # noqa: N805 - factory-boy passes the object
        if create:
            user.save()


class OwnerProfileFactory(DjangoModelFactory):
    """The owner's settings: the zone their days are told in."""

    class Meta:
        model = OwnerProfile

    owner = factory.SubFactory(OwnerFactory)
    time_zone = "Europe/Berlin"


class ConnectionFactory(DjangoModelFactory):
    class Meta:
        model = Connection

    owner = factory.SubFactory(OwnerFactory)
    connector = "whatsapp"
    slug = factory.Sequence(lambda n: f"source-{n}")
    name = factory.LazyAttribute(lambda c: c.slug.replace("-", " ").capitalize())
    created_at = CREATED


class DeviceTokenFactory(DjangoModelFactory):
    class Meta:
        model = DeviceToken

    connection = factory.SubFactory(ConnectionFactory)
    token_hash = factory.Sequence(lambda n: hash_secret(f"device-token-{n}"))
    hint = "abcd"


class AccessTokenFactory(DjangoModelFactory):
    class Meta:
        model = AccessToken

    owner = factory.SubFactory(OwnerFactory)
    token_hash = factory.Sequence(lambda n: hash_secret(f"access-token-{n}"))
    hint = "wxyz"


class ConditionFactory(DjangoModelFactory):
    class Meta:
        model = Condition

    connection = factory.SubFactory(ConnectionFactory)
    type = Condition.Type.CREDENTIAL
    status = Condition.Status.READY
    observed_at = CREATED


class CollectionRunFactory(DjangoModelFactory):
    class Meta:
        model = CollectionRun

    connection = factory.SubFactory(ConnectionFactory)
    trigger = "scheduled"
    outcome = CollectionRun.Outcome.SUCCESS
    started_at = CREATED
    finished_at = CREATED


class BatchFactory(DjangoModelFactory):
    """A committed export import, unless the scenario says otherwise."""

    class Meta:
        model = AcquisitionBatch

    connection = factory.SubFactory(ConnectionFactory)
    method = "owner_artifact"
    trigger = "manual"
    status = AcquisitionBatch.Status.COMMITTED
    source_format = "whatsapp_android"
    parser_version = "1"
    created_at = CREATED
    committed_at = factory.LazyAttribute(lambda b: b.created_at if b.status == "committed" else None)
    phases = factory.LazyFunction(dict)


class RecordFactory(DjangoModelFactory):
    class Meta:
        model = Record

    connection = factory.SubFactory(ConnectionFactory)
    first_batch = factory.SubFactory(BatchFactory, connection=factory.SelfAttribute("..connection"))
    stream = "messages"
    key = factory.Sequence(lambda n: f"record-{n:08d}")
    event_at = CREATED
    payload = factory.LazyFunction(dict)


class CoverageSummaryFactory(DjangoModelFactory):
    class Meta:
        model = CoverageSummary

    connection = factory.SubFactory(ConnectionFactory)


class LaneSummaryFactory(DjangoModelFactory):
    class Meta:
        model = LaneSummary

    connection = factory.SubFactory(ConnectionFactory)
    method = "owner_artifact"


class RecordProvenanceFactory(DjangoModelFactory):
    """A later delivery of a record through another method (a push of a point an export brought)."""

    class Meta:
        model = RecordProvenance

    record = factory.SubFactory(RecordFactory)
    batch = factory.SubFactory(
        BatchFactory, connection=factory.SelfAttribute("..record.connection"), method="device_sync", trigger="push"
    )
    method = factory.SelfAttribute("batch.method")


class ExportFactory(DjangoModelFactory):
    """A whole-account export, waiting for the worker unless the scenario says otherwise."""

    class Meta:
        model = Export

    owner = factory.SubFactory(OwnerFactory)
    created_at = CREATED


class DigestSettingsFactory(DjangoModelFactory):
    class Meta:
        model = DigestSettings

    owner = factory.SubFactory(OwnerFactory)
