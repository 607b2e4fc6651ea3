"""One truth (issue 11, section 3; DESIGN.md "One truth"): no template, view, template tag, command or
API handler reads the coverage summaries, or batches and records to decide what an owner sees about
a source's health. Only the loader (``coverage.evidence``) and the pipeline do; every surface renders
the projection.

Reading batches or records is allowed only where an owner browses them or acts on an import, each
listed below with the reason. A new surface that needs a fact the projection lacks adds it to the
projection instead of reading the evidence itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The surfaces: everything that renders for an owner or an operator's terminal.
SURFACES = [
    *ROOT.glob("templates/**/*.html"),
    *ROOT.glob("coverage/views*.py"),
    *ROOT.glob("coverage/api*.py"),
    *ROOT.glob("coverage/management/commands/*.py"),
    *ROOT.glob("coverage/templatetags/*.py"),
    *ROOT.glob("connections/views*.py"),
    *ROOT.glob("connections/management/commands/*.py"),
    *(p for app in ("search", "exports", "reminders") for p in ROOT.glob(f"{app}/**/*.py") if "migrations" not in p.parts),
]

SUMMARIES = re.compile(r"\b(LaneSummary|CoverageSummary|coverage_summary|lane_rows)\b|\.lanes\.(all|filter|get)\(")
EVIDENCE = re.compile(r"\b(Record|RecordProvenance|AcquisitionBatch)\.objects\b|\.(batches|records)\.(all|filter|get|exclude)\(")

# Surfaces that read batches or records, and why that is not deciding health.
READS_EVIDENCE_BECAUSE = {
    "coverage/views.py": "receipt pages and import flows (upload, preview, commit); the source page's recent receipts",
    "coverage/views_days.py": "record browsing: one day's records",
    "coverage/views_map.py": "record browsing: location points on a map",
    "coverage/views_imports.py": "import flows: the list of imports and undoing one",
    "coverage/views_reread.py": "import flows: re-reading an import",
    "coverage/views_read_again.py": "import flows: reading a set-aside upload again from its receipt",
    "coverage/api_imports.py": "import flows over the API (previews, commits, receipts)",
    "coverage/api_records.py": "record browsing over the API",
    "coverage/api_reread.py": "import flows over the API: re-reading an import",
    "coverage/management/commands/receipt.py": "receipts: one batch's statement",
    "coverage/management/commands/reread.py": "import flows: re-reading imports",
    "coverage/management/commands/remove_import.py": "import flows: removing an import",
    "coverage/management/commands/import_artifact.py": "import flows: importing a file",
    "search/views.py": "record browsing: searching the owner's records",
    "search/backends.py": "record browsing: searching the owner's records",
    "exports/archive.py": "the owner's whole export: every record as stored",
    "exports/views.py": "the owner's whole export",
    "exports/api.py": "the owner's whole export over the API",
}


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _hits(pattern: re.Pattern, paths) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.setdefault(_rel(path), []).append(f"{number}: {line.strip()}")
    return found


def test_no_surface_reads_the_coverage_summaries():
    assert _hits(SUMMARIES, SURFACES) == {}


def test_only_browsing_receipts_and_import_flows_read_batches_or_records():
    readers = _hits(EVIDENCE, SURFACES)
    unexplained = {path: lines for path, lines in readers.items() if path not in READS_EVIDENCE_BECAUSE}
    assert unexplained == {}


def test_the_loader_and_the_pipeline_are_where_summaries_are_read():
    """The patterns above are live: they find the reads where they belong."""
    loader = _hits(SUMMARIES, [ROOT / "coverage/evidence.py", ROOT / "coverage/pipeline/summaries.py"])
    assert set(loader) == {"coverage/evidence.py", "coverage/pipeline/summaries.py"}
    assert _hits(EVIDENCE, [ROOT / "coverage/views_days.py"])  # record browsing does read records


@pytest.mark.django_db
def test_the_source_page_is_drawn_from_the_projection(client, owner, chat):
    """The page's timeline comes from ``health.coverage.timeline`` (no summary rows in its context)."""
    client.force_login(owner)
    response = client.get(f"/sources/{chat.slug}/")
    assert response.status_code == 200
    assert "lane_rows" not in response.context and "holes" not in response.context
    assert response.context["health"].coverage.timeline is None  # nothing imported yet: nothing to draw
