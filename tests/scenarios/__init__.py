"""The projection's scenario table: one row per situation an owner can be in.

The rows are built of ``tests.scenario_kit``: each scenario builds unsaved evidence rows
(for the pure projection tests) and can save the same rows for an owner (for the
CLI/API/dashboard parity tests). They are kept in three modules, read in this order:
``sources`` (exports, muting, media, credentials), ``runs`` (pauses, failed runs, freshness)
and ``imports`` (what imports cover, failed or waiting imports, refused feeds, gaps).
"""

from __future__ import annotations

from tests.scenario_kit import DAY, NOW, STRICT, Scenario
from tests.scenarios.imports import ROWS as IMPORT_ROWS
from tests.scenarios.runs import ROWS as RUN_ROWS
from tests.scenarios.sources import ROWS as SOURCE_ROWS

__all__ = ["DAY", "NOW", "SCENARIOS", "STRICT", "Scenario"]

# name -> (scenario, expectations). Expectations: state, label, actions (kinds in order, prefix),
# advisories (kinds), and any dotted field -> value.
SCENARIOS: dict[str, tuple[Scenario, dict]] = {**SOURCE_ROWS, **RUN_ROWS, **IMPORT_ROWS}
