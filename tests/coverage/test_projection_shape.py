"""The verdict reads like DESIGN.md: a short ladder first, then small functions a newcomer can change alone."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from coverage import projection

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted((ROOT / "coverage").glob("projection/*.py")) + [
    ROOT / "coverage" / "words.py",
    ROOT / "coverage" / "templatetags" / "coverage_timeline.py",
    ROOT / "coverage" / "templatetags" / "owner_ui.py",
]
LADDER = ["setup_required", "paused", "failing", "degraded", "attention", "healthy"]


def _functions(path: Path):
    tree = ast.parse(path.read_text())
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_function_of_the_verdict_or_its_words_is_over_60_lines(path):
    long = [(f.name, f.end_lineno - f.lineno + 1) for f in _functions(path) if f.end_lineno - f.lineno + 1 > 60]
    assert long == []
    assert len(path.read_text().splitlines()) < 500


def test_project_is_a_short_ladder():
    assert len(inspect.getsource(projection.project).splitlines()) <= 25


def test_the_ladder_names_the_states_in_designs_order():
    source = inspect.getsource(projection.verdict._state)
    positions = [source.index(f'return "{state}"') for state in LADDER]
    assert positions == sorted(positions)
