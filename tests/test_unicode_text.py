"""Text people write is kept exactly: emoji joined with ZWJ, right-to-left marks, the
ZWNJ of Persian. Only real control characters are refused. Categories are compared
(and stored) in a form where `İstanbul` has no stray combining dot, and categories
stored by earlier versions still match."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.errors import ExitCode, InvalidInput
from budgetcli.models import User, category_key
from budgetcli.parsing import parse_category, parse_description
from budgetcli.store import Store
from tests.helpers import spend

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # man ZWJ woman ZWJ girl
RTL = "\u200fשלום\u200f and \u200eabc\u200e"  # right-to-left and left-to-right marks
PERSIAN = "می\u200cخواهم"  # ZWNJ keeps the letters apart, as Persian spells it
FLAG = "\U0001f1f3\U0001f1f1"  # regional indicators
WRITTEN = [FAMILY + " dinner", RTL, PERSIAN, FLAG, "café", "cafe\u0301", "İstanbul", "\u00a0x"]


@pytest.mark.parametrize("text", WRITTEN)
def test_descriptions_people_write_are_kept_exactly(text: str) -> None:
    assert parse_description(text) == text.strip()


@pytest.mark.parametrize(
    "text, code",
    [
        ("a\tb", "U+0009"),
        ("two\nlines", "U+000A"),
        ("bell\x07", "U+0007"),
        ("esc\x1b[31m", "U+001B"),
        ("next\x85line", "U+0085"),
        ("nul\x00", "U+0000"),
        ("lone \ud800 surrogate", "U+D800"),
    ],
)
def test_only_control_characters_are_refused_and_named(text: str, code: str) -> None:
    expected = re.escape(f"contains the control character {code}: write it as one line")
    with pytest.raises(InvalidInput, match=expected):
        parse_description(text)
    with pytest.raises(InvalidInput, match=expected):
        parse_category(text)


@given(st.text(max_size=80))
@example(FAMILY)
@example("\u200d")
def test_a_description_is_kept_as_written_or_refused_for_a_control_character(text: str) -> None:
    controls = [ch for ch in text.strip() if unicodedata.category(ch) in ("Cc", "Cs")]
    try:
        description = parse_description(text)
    except InvalidInput as refused:
        assert controls, (text, refused)
        return
    assert not controls and description == text.strip()


@pytest.mark.parametrize("written", ["İstanbul", "ISTANBUL", "istanbul", "i\u0307stanbul"])
def test_istanbul_is_one_category_with_no_combining_dot(written: str) -> None:
    """ "İ".lower() is "i" + U+0307 COMBINING DOT ABOVE, which misaligned tables; the
    form 0.2 stored ("i̇stanbul") must still match."""
    assert category_key(written) == "istanbul"
    assert parse_category(written) == "istanbul"


def test_categories_keep_format_characters_and_refuse_invisible_ones() -> None:
    assert parse_category(FAMILY + " Fun") == FAMILY + " fun"
    assert parse_category(PERSIAN) == PERSIAN
    for invisible in ("\u200d", "\u200f \u200e", "\u0307"):
        with pytest.raises(InvalidInput, match="category is empty"):
            parse_category(invisible)


@given(st.text(max_size=40))
def test_category_keys_are_stable(text: str) -> None:
    key = category_key(text)
    assert category_key(key) == key
    assert "i\u0307" not in key
    assert category_key(text.upper()) == category_key(key.upper())


# --- through the commands, stored and read back on both engines --------------------------


@pytest.mark.parametrize("text", [FAMILY + " dinner", RTL, PERSIAN])
def test_add_and_list_keep_the_text(
    store: Store, alice: User, runner: CliRunner, text: str
) -> None:
    added = runner.invoke(app, ["add", "12.50", FAMILY, text, "--format", "json"])
    assert added.exit_code == 0, added.stderr
    listed = json.loads(runner.invoke(app, ["list", "--format", "json"]).stdout)
    assert [(e["category"], e["description"]) for e in listed] == [(FAMILY, text)]


def test_import_keeps_the_text(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    statement = tmp_path / "statement.csv"
    statement.write_text(
        f"date,amount,category,description\n2026-11-03,4.50,{PERSIAN},{FAMILY} dinner\n"
        f"2026-11-04,5.00,food,{RTL}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", str(statement), "--format", "json"])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["imported"] == 2
    listed = json.loads(runner.invoke(app, ["list", "--format", "json"]).stdout)
    assert {(e["category"], e["description"]) for e in listed} == {
        (PERSIAN, FAMILY + " dinner"),
        ("food", RTL),
    }


def test_a_category_stored_with_the_combining_dot_still_matches(
    store: Store, alice: User, runner: CliRunner
) -> None:
    """budgetcli 0.2 stored `İstanbul` as "i̇stanbul"; new expenses store "istanbul"."""
    spend(store, alice, "10.00", "i\u0307stanbul", date(2026, 11, 3))
    added = runner.invoke(app, ["add", "5.00", "İstanbul", "--date", "2026-11-04"])
    assert added.exit_code == 0, added.stderr
    for wanted in ("İstanbul", "istanbul", "ISTANBUL"):
        listed = runner.invoke(app, ["list", "--category", wanted, "--format", "json"])
        amounts = sorted(Decimal(e["amount"]) for e in json.loads(listed.stdout))
        assert amounts == [Decimal("5.00"), Decimal("10.00")], wanted
    report = runner.invoke(app, ["report", "--month", "2026-11", "--format", "json"])
    assert json.loads(report.stdout) == [{"category": "istanbul", "total": "15.00", "count": 2}]


@pytest.mark.usefixtures("no_storage")
def test_a_control_character_is_refused_before_storage(runner: CliRunner) -> None:
    result = runner.invoke(app, ["add", "1", "food", "tab\there"])
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr.startswith("error: description contains the control character U+0009")
    assert result.stderr.count("\n") == 1
