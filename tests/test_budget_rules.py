"""The rules of budgets, without an engine: what a limit may be, what a status says, and
bad input refused before any request (the `no_storage` fixture fails a test that makes
one, which also proves that nothing was written)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.errors import ExitCode, InvalidInput
from budgetcli.models import Budget, BudgetStatus
from budgetcli.services.budgets import DEFAULT_THRESHOLD, Limit
from budgetcli.tables.budgets import budget_id_for

pytestmark = pytest.mark.usefixtures("no_storage")


def status(amount: str, spent: str) -> BudgetStatus:
    budget = Budget("budget-1", "user-1", "food", Decimal(amount), 80, "")
    return BudgetStatus(budget, Decimal(spent))


@pytest.mark.parametrize(
    "amount, threshold, message",
    [
        ("0", 80, "amount 0 must be more than zero"),
        ("-5", 80, "amount -5 must be positive"),
        ("10.001", 80, "amount 10.001 has more than two decimal places"),
        ("1000000000.01", 80, "amount 1000000000.01 is over the limit of 1000000000"),
        ("10", 0, "threshold 0 is out of range: give a percentage from 1 to 100, like 80"),
        ("10", 150, "threshold 150 is out of range: give a percentage from 1 to 100, like 80"),
    ],
)
def test_a_limit_refuses_bad_amounts_and_thresholds(
    amount: str, threshold: int, message: str
) -> None:
    """A Limit is checked when it is made, so set_budget never sees a bad one."""
    with pytest.raises(InvalidInput) as refused:
        Limit(Decimal(amount), threshold)
    assert str(refused.value) == message


def test_a_limit_takes_thresholds_from_1_to_100_and_warns_at_80_by_default() -> None:
    assert Limit(Decimal("0.01"), 1).threshold == 1
    assert Limit(Decimal("1000000000"), 100).threshold == 100
    assert Limit(Decimal("400")).threshold == DEFAULT_THRESHOLD == 80


def test_status_is_remaining_and_percent_of_the_limit() -> None:
    over = status("100", "120.10")
    assert (over.remaining, over.percent) == (Decimal("-20.10"), Decimal("120.10"))
    nothing = status("50", "0")
    assert (nothing.remaining, nothing.percent) == (Decimal(50), Decimal(0))
    # Cut, not rounded: 79.999% must not read as 80.00% beside an 80% threshold.
    assert status("1000", "799.99").percent == Decimal("79.99")
    assert status("3", "1").percent == Decimal("33.33")


def test_budget_ids_are_one_per_user_and_category_forever() -> None:
    """Two concurrent `budget set` of one category write the same item because of this id."""
    assert budget_id_for("user-1", "food") == "cb560f21-2baf-5a8c-96a0-1d0c76b2b98f"
    assert budget_id_for("user-1", "food") == budget_id_for("user-1", "food")
    ids = {budget_id_for(user, category) for user in ("u1", "u2") for category in ("food", "rent")}
    assert len(ids) == 4


# --- the commands refuse before any request ------------------------------------------


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(app, ["budget", *args])


@pytest.mark.parametrize(
    "args, message",
    [
        (["set", "food", "-5"], "amount '-5' must be positive"),
        (["set", "food", "--", "-5"], "amount '-5' must be positive"),
        (["set", "food", "0"], "amount '0' must be more than zero"),
        (["set", "food", "abc"], "amount 'abc' is not a number: write it like 12.50"),
        (
            ["set", "food", "10", "--threshold", "0"],
            "--threshold 0 is out of range: give a percentage from 1 to 100, like 80",
        ),
        (
            ["set", "food", "10", "--threshold", "150"],
            "--threshold 150 is out of range: give a percentage from 1 to 100, like 80",
        ),
        (["set", " ", "10"], "category is empty"),
        (["rm", " "], "category is empty"),
        (["list", "--month", "2026-13"], "month '2026-13' has no month 13"),
    ],
)
def test_bad_input_is_one_line_exit_1_and_writes_nothing(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = invoke(runner, *args)
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr.startswith(f"error: {message}")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


@pytest.mark.parametrize("args", [["list"], ["set", "food", "100"], ["rm", "food"]])
def test_commands_need_a_login(runner: CliRunner, args: list[str]) -> None:
    result = invoke(runner, *args)
    assert result.exit_code == ExitCode.AUTH
    assert result.stderr == "error: not logged in: run `budget login USERNAME`\n"
    assert result.stdout == ""
