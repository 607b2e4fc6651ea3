"""The big parsers are packages a newcomer can find their way in: short modules, short
functions, the hot loops' steps named, the words WhatsApp writes kept as data."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from connections import connectors

CONNECTORS = Path(connectors.__file__).resolve().parent
PACKAGES = ("google_timeline", "whatsapp", "apple_health")


def _functions(path: Path) -> dict[str, int]:
    tree = ast.parse(path.read_text())
    return {
        node.name: node.end_lineno - node.lineno + 1
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


@pytest.mark.parametrize("name", PACKAGES)
def test_a_big_parser_is_a_package_of_short_modules_and_short_functions(name):
    package = CONNECTORS / name
    assert not (CONNECTORS / f"{name}.py").exists()
    modules = sorted(package.glob("*.py"))
    assert len(modules) >= 5
    too_long = [
        f"{p.name} ({n} lines)" for p in modules if (n := len(p.read_text().splitlines())) >= 500
    ]
    long_functions = [
        f"{p.name}:{function} ({lines} lines)"
        for p in modules
        for function, lines in _functions(p).items()
        if lines > 60
    ]
    assert (too_long, long_functions) == ([], [])


@pytest.mark.parametrize("name", PACKAGES)
def test_code_that_imports_a_parser_by_its_old_names_still_works(name):
    module = __import__(
        f"connections.connectors.{name}", fromlist=["MANIFEST", "parse", "PARSER_VERSION"]
    )
    assert module.MANIFEST.id == name
    assert module.MANIFEST.path("owner_artifact").parser is module.parse
    assert module.PARSER_VERSION.startswith(f"{name}/")
    assert connectors.get(name) is module.MANIFEST


@pytest.mark.parametrize(
    "module, loop, steps",
    [
        ("whatsapp/reader.py", "_segment", {"_split", "read_time", "_author_and_body", "finish"}),
        ("google_timeline/records.py", "_consume_records", {"plain", "_careful_record"}),
        ("apple_health/stream.py", "on_start", {"_sample", "_other"}),
    ],
)
def test_each_hot_loop_calls_its_steps_by_name(module, loop, steps):
    tree = ast.parse((CONNECTORS / module).read_text())
    body = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == loop)
    called = {
        call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id
        for call in ast.walk(body)
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute | ast.Name)
    }
    assert steps <= called
    assert _functions(CONNECTORS / module)[loop] <= 60


def test_whatsapp_placeholder_words_are_data_with_their_source_noted():
    words = "".join(p.read_text() for p in sorted((CONNECTORS / "whatsapp" / "words").glob("*.py")))
    reader = (CONNECTORS / "whatsapp" / "reader.py").read_text()
    media = (CONNECTORS / "whatsapp" / "media.py").read_text()
    assert "Sources," in words and "[WJ]" in words
    for phrase in (
        "<Media omitted>",
        "Diese Nachricht wurde gelöscht",
        "file attached",
        "end-to-end encrypted",
    ):
        assert phrase in words
        assert phrase not in reader and phrase not in media
    # No localized phrase is spelled inside a regex or a branch outside the words module.
    assert not re.search(r"gelöscht|weggelassen|adjunto|Anhang|bijlage|Missed", reader + media)
