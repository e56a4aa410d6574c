"""The boundaries between commands, rules and storage, checked on the source itself.

cli/ knows options and the terminal; output/ renders; services/ hold the rules and take
typed values; tables/ hold every DynamoDB expression; store.py talks to DynamoDB and
messaging.py to SES and SNS.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "budgetcli"
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+")
# Keyword arguments of Store's methods that carry DynamoDB expression syntax.
EXPRESSION_KEYWORDS = {"update", "condition", "key_condition", "filter", "names", "values"}


def modules(under: str) -> list[Path]:
    root = PACKAGE / under
    return sorted(root.rglob("*.py")) if root.is_dir() else [root.with_suffix(".py")]


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> Iterator[str]:
    """Every module `path` imports, at any depth (lazy imports inside functions too)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def imports_any(path: Path, prefixes: tuple[str, ...]) -> list[str]:
    return sorted(
        {name for name in imported(path) for p in prefixes if name == p or name.startswith(p + ".")}
    )


def ids(paths: list[Path]) -> list[str]:
    return [module_name(path) for path in paths]


@pytest.mark.parametrize("path", modules("services"), ids=ids(modules("services")))
def test_services_know_neither_the_terminal_nor_the_commands(path: Path) -> None:
    banned = ("typer", "rich", "budgetcli.cli", "budgetcli.output", "boto3", "botocore")
    assert imports_any(path, banned) == []


@pytest.mark.parametrize("path", modules("tables"), ids=ids(modules("tables")))
def test_tables_know_no_rules(path: Path) -> None:
    banned = ("typer", "rich", "budgetcli.cli", "budgetcli.output", "budgetcli.services")
    assert imports_any(path, banned) == []


@pytest.mark.parametrize("name", ["store", "messaging"])
def test_the_aws_wrappers_know_nothing_of_budgets(name: str) -> None:
    banned = (
        "budgetcli.models",
        "budgetcli.services",
        "budgetcli.tables",
        "budgetcli.cli",
        "budgetcli.output",
    )
    assert imports_any(PACKAGE / f"{name}.py", banned) == []


def test_only_store_and_messaging_import_botocore() -> None:
    users = {module_name(path) for path in modules("") if imports_any(path, ("botocore", "boto3"))}
    assert users == {"budgetcli.store", "budgetcli.messaging"}


@pytest.mark.parametrize("path", modules("output"), ids=ids(modules("output")))
def test_renderers_do_not_reach_commands_or_storage(path: Path) -> None:
    banned = ("budgetcli.cli", "budgetcli.store", "budgetcli.tables", "typer")
    assert imports_any(path, banned) == []


@pytest.mark.parametrize("path", modules("cli"), ids=ids(modules("cli")))
def test_command_modules_never_import_each_other(path: Path) -> None:
    if path.name in ("__init__.py", "common.py"):
        return
    others = [name for name in imports_any(path, ("budgetcli.cli",)) if name != "budgetcli.cli"]
    assert all(name.startswith("budgetcli.cli.common") for name in others), others


def string_constants(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


@pytest.mark.parametrize(
    "path",
    modules("services") + modules("output") + modules("tables"),
    ids=ids(modules("services") + modules("output") + modules("tables")),
)
def test_only_commands_know_option_names(path: Path) -> None:
    """Outside cli/, an option is named with errors.Field, and the command says it."""
    flags = [text for text in string_constants(path) if FLAG.search(text)]
    assert flags == []


@pytest.mark.parametrize("path", modules("services"), ids=ids(modules("services")))
def test_rules_hold_no_dynamodb_expressions(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            keywords = {str(keyword.arg) for keyword in node.keywords} & EXPRESSION_KEYWORDS
            assert not keywords, f"line {node.lineno}: {sorted(keywords)}"
