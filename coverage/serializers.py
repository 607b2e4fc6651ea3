"""The one JSON form of a projection and of a receipt.

Dashboard, CLI ``--json`` and the owner API all call these; nothing else builds
projection or receipt JSON by hand.
"""

from __future__ import annotations

from pydantic import TypeAdapter

from .projection import ConnectionHealth, SystemHealth
from .receipts import Receipt

_receipt = TypeAdapter(Receipt)
_health = TypeAdapter(ConnectionHealth)
_healths = TypeAdapter(list[ConnectionHealth])
_system = TypeAdapter(SystemHealth)


def receipt_json(receipt: Receipt) -> dict:
    return _receipt.dump_python(receipt, mode="json")


def health_json(health: ConnectionHealth) -> dict:
    return _health.dump_python(health, mode="json")


def healths_json(healths: list[ConnectionHealth]) -> list[dict]:
    return _healths.dump_python(healths, mode="json")


def system_json(system: SystemHealth) -> dict:
    return _system.dump_python(system, mode="json")

