"""The backup file: a file cut short, edited, or not a backup at all is refused with one
line naming what is wrong, before any request (so nothing can be half-written); its items
keep every DynamoDB type exactly. No engine is needed."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.errors import ExitCode
from budgetcli.services.backup import format as backup_format
from tests.test_backup import FIXTURE

pytestmark = pytest.mark.usefixtures("no_storage")
LINES = FIXTURE.read_bytes().splitlines(keepends=True)
OTHER_ACCOUNT = "0d1e2f3a-4b5c-4d6e-8f7a-8b9c0d1e2f3a"
DANA = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"


def sealed(lines: list[bytes]) -> list[bytes]:
    """`lines` (header and items) with a closing line that matches them, as budgetcli
    would have written it: for files whose items were changed on purpose."""
    counts: dict[str, int] = {}
    for line in lines[1:]:
        kind = json.loads(line)["kind"]
        counts[kind] = counts.get(kind, 0) + 1
    closing = {
        "end": "budgetcli-backup",
        "items": sum(counts.values()),
        "counts": counts,
        "sha256": hashlib.sha256(b"".join(lines)).hexdigest(),
    }
    return [*lines, json.dumps(closing).encode() + b"\n"]


def edited(number: int, change: Callable[[dict[str, Any]], None]) -> list[bytes]:
    """The fixture with line `number` (from 1) changed, and sealed again."""
    lines = LINES[:-1]
    document = json.loads(lines[number - 1])
    change(document)
    lines[number - 1] = json.dumps(document).encode() + b"\n"
    return sealed(lines)


def set_item(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda document: document["item"].__setitem__(name, value)


def with_rules_of(key_owner: str, owner_user_id: str) -> list[bytes]:
    """The fixture with a rules item added after the markers, and sealed again."""
    rules = {
        "kind": "rules",
        "item": {
            "owner_user_id": {"S": owner_user_id},
            "rules": {"L": []},
            "user_id": {"S": f"RULES#{key_owner}"},
        },
    }
    return sealed([*LINES[:4], json.dumps(rules).encode() + b"\n", *LINES[4:-1]])


DAMAGED: dict[str, tuple[list[bytes], str]] = {
    "empty": ([], "the file is empty: it is not a budgetcli backup"),
    "a CSV": (
        [b"date,amount\n", b"2026-11-01,1.00\n"],
        "not a budgetcli backup (its first line is not a backup header)",
    ),
    "without its closing line": (
        LINES[:-1],
        "the file is truncated: it ends at line 16 without its closing line",
    ),
    "cut in the middle of a line": (
        [*LINES[:9], LINES[9][:40]],
        "the file is truncated: its last line, 10, is cut short",
    ),
    "an amount edited": (
        [line.replace(b'"N":"12.50"', b'"N":"1250"') for line in LINES],
        "it was changed after it was written (its checksum does not match)",
    ),
    "a line removed": (
        LINES[:8] + LINES[9:],
        "it holds 14 items but its closing line says 15: lines were removed or added",
    ),
    "a line twice": (
        LINES[:8] + LINES[7:],
        "it holds 16 items but its closing line says 15",
    ),
    "a line that is not JSON": (
        [*LINES[:5], b"{oops\n", *LINES[5:]],
        "line 6 is not JSON (Expecting property name enclosed in double quotes)",
    ),
    "a line after the closing line": ([*LINES, LINES[3]], "line 18 comes after the closing line"),
    "a newer format": (
        [LINES[0].replace(b'"version":1', b'"version":2'), *LINES[1:]],
        "written by a newer budgetcli (backup format 2; this one reads formats 1 to 1): "
        "upgrade budgetcli to restore it",
    ),
    "an expense of another account, sealed again": (
        edited(9, set_item("user_id", {"S": OTHER_ACCOUNT})),
        "line 9: the expense 1c9a7b63-2d4e-4f60-9bac-1d2e3f4a5b6c is another account's, "
        "not dana's: the file was edited",
    ),
    "a marker of another name, sealed again": (
        edited(3, set_item("user_id", {"S": "USERNAME#root"})),
        "its username-marker 'USERNAME#root' is not dana's",
    ),
    "another account's rules, sealed again": (
        with_rules_of(OTHER_ACCOUNT, OTHER_ACCOUNT),
        f"line 5: the rules RULES#{OTHER_ACCOUNT} is another account's, not dana's: "
        "the file was edited",
    ),
    "rules that name another owner, sealed again": (
        with_rules_of(DANA, OTHER_ACCOUNT),
        f"line 5: the rules RULES#{DANA} is no account's, not dana's: the file was edited",
    ),
    "an unknown kind, sealed again": (
        edited(9, lambda document: document.__setitem__("kind", "invoice")),
        "line 9 has an unknown kind of item 'invoice'",
    ),
    "a number that is not one, sealed again": (
        edited(9, set_item("amount", {"N": "twelve"})),
        "line 9: the expense item is not valid: amount is not a number",
    ),
    "a value with no type, sealed again": (
        edited(9, set_item("amount", "12.50")),
        "line 9: the expense item is not valid: amount is not one typed DynamoDB value",
    ),
    "no user, sealed again": (
        sealed([LINES[0], *LINES[2:-1]]),
        "it holds 0 user items, not one",
    ),
}


@pytest.mark.parametrize("damage", DAMAGED, ids=list(DAMAGED))
def test_a_damaged_backup_is_refused_in_one_line_before_any_request(
    runner: CliRunner, tmp_path: Path, damage: str
) -> None:
    lines, reason = DAMAGED[damage]
    path = tmp_path / "backup.jsonl"
    path.write_bytes(b"".join(lines))
    result = runner.invoke(app, ["restore", str(path)])
    assert result.exit_code == ExitCode.ERROR
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {path}: {reason}"), result.stderr
    assert result.stderr.count("\n") == 1


def test_stdin_is_checked_whole_before_any_request(runner: CliRunner) -> None:
    result = runner.invoke(app, ["restore", "-"], input=b"".join(LINES[:-3]))
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr == (
        "error: stdin: the file is truncated: it ends at line 14 without its closing line "
        "(make the backup again)\n"
    )


def test_a_line_longer_than_any_item_is_refused_without_reading_it_whole(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup_format, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "backup.jsonl"
    path.write_bytes(LINES[0] + b"{" + b" " * 5000 + b"}\n")
    result = runner.invoke(app, ["restore", str(path)])
    assert result.exit_code == ExitCode.ERROR
    assert "line 2 is longer than any item can be: not a backup" in result.stderr


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda tmp: tmp / "missing.jsonl", "does not exist"),
        (lambda tmp: tmp, "is a directory: give a file name"),
    ],
)
def test_a_file_that_cannot_be_read_is_one_line(
    runner: CliRunner, tmp_path: Path, make: Callable[[Path], Path], reason: str
) -> None:
    path = make(tmp_path)
    result = runner.invoke(app, ["restore", str(path)])
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr == f"error: {path} {reason}\n"


def test_backup_needs_a_login_and_leaves_no_file(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    result = runner.invoke(app, ["backup", str(folder / "backup.jsonl")])
    assert result.exit_code == ExitCode.AUTH
    assert list(folder.iterdir()) == []


def test_backup_into_a_missing_directory_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "backup.jsonl"
    result = runner.invoke(app, ["backup", str(target)])
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr == f"error: cannot write {target}: {target.parent} does not exist\n"


def test_a_backup_is_not_written_to_a_terminal(tmp_path: Path) -> None:
    budget = Path(sys.executable).with_name("budget")
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run(
            [str(budget), "backup", "-"],
            stdout=terminal,
            stderr=subprocess.PIPE,
            env={**os.environ, "BUDGET_ENDPOINT_URL": "http://127.0.0.1:9"},
            timeout=60,
            text=True,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert result.returncode == ExitCode.ERROR
    assert result.stderr == (
        "error: a backup holds your password hash, so it is not shown on a terminal: give "
        "a FILE (created with mode 0600), or pipe stdout to where it should go\n"
    )


# --- the items' values --------------------------------------------------------------------


def test_every_dynamodb_type_survives_the_file_exactly() -> None:
    item = {
        "text": "café \u2028 [red]x[/red]",
        "amount": Decimal("12.50"),
        "big": Decimal("123456789012345678901234567890.123"),
        "count": 3,
        "flag": False,
        "nothing": None,
        "blob": b"\x00\xffbytes",
        "names": {"b", "a"},
        "numbers": {Decimal("1.5"), Decimal("2")},
        "blobs": {b"x", b"y"},
        "nested": {"list": [Decimal("1"), "two", None, {"deep": True}], "empty": {}},
        "empty_list": [],
    }
    line = json.dumps(backup_format.encode_item(item))
    assert backup_format.decode_item(json.loads(line)) == item


def test_floats_and_nan_are_not_numbers_in_a_backup() -> None:
    with pytest.raises(backup_format.BadItem, match="amount is not a valid 'N' value"):
        backup_format.decode_item({"amount": {"N": 12.5}})
    with pytest.raises(backup_format.BadItem, match=r"a type DynamoDB does not have \('F'\)"):
        backup_format.decode_item({"amount": {"F": "12.5"}})
    with pytest.raises(backup_format.BadItem, match="is not a number"):
        backup_format.decode_item({"amount": {"N": "NaN"}})
