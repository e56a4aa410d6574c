"""The rules of alerts, without an engine: levels at their exact boundaries, the messages,
the notification ids that make each alert fire once, and the refusals that come before
anything is written (the `no_storage` fixture fails a test that makes a request)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli import config
from budgetcli.cli import app
from budgetcli.errors import ConfigError, ExitCode, InvalidInput
from budgetcli.models import (
    Alert,
    Budget,
    BudgetStatus,
    DeliveryMethod,
    DeliveryStatus,
    Level,
    User,
)
from budgetcli.services.alerts import (
    MAX_HISTORY,
    AlertRun,
    alert_history,
    alert_message,
    due_alerts,
    notification_id_for,
)
from budgetcli.services.delivery import deliverer_for
from budgetcli.store import connect

pytestmark = pytest.mark.usefixtures("no_storage")

ALICE = User("user-alice", "alice", "alice@example.com", "+15555550100")
BOB = User("user-bob", "bob", "bob@example.com")
NOVEMBER = "2026-11"


def budget(category: str = "food", amount: str = "100", threshold: int = 80) -> Budget:
    return Budget(
        budget_id=f"budget-{category}",
        user_id=ALICE.user_id,
        category=category,
        amount=Decimal(amount),
        threshold=threshold,
        created_at="2026-11-01T00:00:00+00:00",
    )


def status(spent: str, **limit: Any) -> BudgetStatus:
    return BudgetStatus(budget(**limit), Decimal(spent))


# --- levels ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "spent, expected",
    [
        ("399.95", []),  # 79.99%
        ("400.00", [Level.WARNING]),  # 80%
        ("500.00", [Level.WARNING]),  # 100%: at the limit, not over it
        ("500.05", [Level.WARNING, Level.EXCEEDED]),  # 100.01%
    ],
)
def test_levels_at_the_exact_boundaries(spent: str, expected: list[Level]) -> None:
    assert status(spent, amount="500").levels == expected


@pytest.mark.parametrize(
    "spent, expected",
    [
        ("49.99", []),
        ("50.00", [Level.WARNING]),
        ("50.01", [Level.WARNING, Level.EXCEEDED]),
    ],
)
def test_a_threshold_of_100_warns_at_the_limit(spent: str, expected: list[Level]) -> None:
    assert status(spent, amount="50", threshold=100).levels == expected


# --- messages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "spent, level, message",
    [
        (
            "85",
            Level.WARNING,
            "Budget warning: food for 2026-11 has reached its 80% threshold, "
            "85.00 of 100.00 spent (85.00%).",
        ),
        (
            "105",
            Level.EXCEEDED,
            "Budget exceeded: food for 2026-11 is 5.00 over its limit, 105.00 of 100.00 spent "
            "(105.00%).",
        ),
        (
            "100.01",
            Level.WARNING,
            "Budget warning: food for 2026-11 has reached its 80% threshold, 100.01 of 100.00 "
            "spent (100.01%).",
        ),
        (
            "100.01",
            Level.EXCEEDED,
            "Budget exceeded: food for 2026-11 is 0.01 over its limit, 100.01 of 100.00 spent "
            "(100.01%).",
        ),
    ],
)
def test_alert_messages(spent: str, level: Level, message: str) -> None:
    assert alert_message(status(spent), NOVEMBER, level) == message


def test_subjects_name_the_category_the_level_and_the_percent() -> None:
    due = due_alerts(ALICE.user_id, [status("120")], NOVEMBER)
    assert [alert.subject for alert in due.values()] == [
        "food budget warning for 2026-11 (120.00%)",
        "food over budget for 2026-11 (120.00%)",
    ]
    (warning,) = due_alerts(ALICE.user_id, [status("90")], NOVEMBER).values()
    assert warning.subject == "food budget warning for 2026-11 (90.00%)"


# --- which alerts are due, and their ids -------------------------------------------


def test_due_alerts_are_one_per_level_reached_in_budget_order() -> None:
    statuses = [status("150", category="food"), status("10"), status("80", category="rent")]
    due = due_alerts(ALICE.user_id, statuses, NOVEMBER)
    assert [(a.category, a.level) for a in due.values()] == [
        ("food", Level.WARNING),
        ("food", Level.EXCEEDED),
        ("rent", Level.WARNING),
    ]
    for notification_id, alert in due.items():
        assert notification_id == alert.notification_id
        assert notification_id == notification_id_for(
            ALICE.user_id, alert.budget_id, NOVEMBER, Level(alert.level)
        )
    first = next(iter(due.values()))
    assert first == Alert(
        notification_id=first.notification_id,
        user_id=ALICE.user_id,
        budget_id="budget-food",
        category="food",
        month=NOVEMBER,
        level=Level.WARNING,
        spent=Decimal("150"),
        amount=Decimal("100"),
        threshold=80,
        message=alert_message(statuses[0], NOVEMBER, Level.WARNING),
        # Filled in when the alert is raised.
        delivery_method="",
        created_at="",
        delivery_status=DeliveryStatus.SENDING,
    )
    assert due_alerts(ALICE.user_id, [status("79.99")], NOVEMBER) == {}


def test_due_alerts_have_the_same_ids_on_every_run() -> None:
    statuses = [status("150")]
    first = due_alerts(ALICE.user_id, statuses, NOVEMBER)
    # Spending more does not make an alert already due a new one.
    again = due_alerts(ALICE.user_id, [status("170")], NOVEMBER)
    assert list(first) == list(again)


def test_notification_ids_are_fixed_forever() -> None:
    """The id is what makes an alert fire once, across versions too: a new formula
    would fire every alert already raised again."""
    assert (
        notification_id_for("user-1", "budget-1", "2026-11", Level.WARNING)
        == "6b266bec-3a40-5699-9b6c-268fa508ea38"
    )
    assert (
        notification_id_for("user-1", "budget-1", "2026-11", Level.EXCEEDED)
        == "ee08d3d9-2db6-52df-8c6a-e54f3e8eeac0"
    )


def test_notification_ids_differ_by_user_budget_month_and_level() -> None:
    ids = {
        notification_id_for(user, budget_id, month, level)
        for user in ("user-1", "user-2")
        for budget_id in ("budget-1", "budget-2")
        for month in ("2026-11", "2026-12", "2027-11")
        for level in Level
    }
    assert len(ids) == 2 * 2 * 3 * 2
    food_in = {
        month: set(due_alerts(ALICE.user_id, [status("150")], month))
        for month in ("2026-11", "2026-12")
    }
    assert not food_in["2026-11"] & food_in["2026-12"]
    assert not set(due_alerts(ALICE.user_id, [status("150")], NOVEMBER)) & set(
        due_alerts(BOB.user_id, [status("150")], NOVEMBER)
    )


def test_a_run_fails_with_every_failed_delivery_raised_or_retried() -> None:
    (warning, exceeded) = due_alerts(ALICE.user_id, [status("150")], NOVEMBER).values()
    delivered = replace(warning, delivery_status=DeliveryStatus.DELIVERED)
    failed = replace(exceeded, delivery_status=DeliveryStatus.FAILED)
    retried_and_failed = replace(warning, month="2026-10", delivery_status=DeliveryStatus.FAILED)
    run = AlertRun(raised=[delivered, failed], retried=[retried_and_failed])
    assert run.failed == [failed, retried_and_failed]
    assert AlertRun(raised=[delivered]).failed == []


# --- how alerts are delivered ----------------------------------------------------------


def test_console_is_delivered_by_the_command_and_never_retried() -> None:
    settings = config.load_settings()
    console = deliverer_for(DeliveryMethod.CONSOLE, BOB, settings)
    assert (console.method, console.recipient, console.immediate) == (
        DeliveryMethod.CONSOLE,
        "console",
        True,
    )
    email = deliverer_for(
        DeliveryMethod.EMAIL, ALICE, replace(settings, ses_sender="alerts@example.com")
    )
    sms = deliverer_for(DeliveryMethod.SMS, ALICE, settings)
    assert (email.recipient, email.immediate) == ("alice@example.com", False)
    assert (sms.recipient, sms.immediate) == ("+15555550100", False)


def test_deliverer_refuses_what_cannot_be_sent() -> None:
    settings = config.load_settings()
    with pytest.raises(ConfigError, match="BUDGET_SES_SENDER") as no_sender:
        deliverer_for(DeliveryMethod.EMAIL, BOB, settings)
    assert str(no_sender.value).startswith("email delivery needs a sender address")
    with pytest.raises(InvalidInput, match="no phone number") as no_phone:
        deliverer_for(DeliveryMethod.SMS, BOB, settings)
    assert no_phone.value.render({"method": "--deliver"}) == (
        "user bob has no phone number for SMS alerts: use --deliver email or --deliver console"
    )


# --- the command refuses before any request --------------------------------------------


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(app, ["alerts", *args])


@pytest.fixture
def logged_in(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The command runs as `user` without reading the users table, so that a refusal
    after the session check still makes no request at all."""

    def log_in(user: User) -> None:
        monkeypatch.setattr("budgetcli.cli.alerts.current_user", lambda store: user)

    return log_in


def test_email_without_a_sender_names_the_setting_and_writes_nothing(
    runner: CliRunner, logged_in: Any
) -> None:
    logged_in(ALICE)
    result = invoke(runner, "--month", "2026-11", "--deliver", "email")
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr.startswith("error: email delivery needs a sender address")
    assert "BUDGET_SES_SENDER" in result.stderr and result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_sms_for_a_user_without_phone_is_a_clear_error(runner: CliRunner, logged_in: Any) -> None:
    logged_in(BOB)
    result = invoke(runner, "--month", "2026-11", "--deliver", "sms")
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr == (
        "error: user bob has no phone number for SMS alerts: "
        "use --deliver email or --deliver console\n"
    )
    assert result.stdout == ""


def test_an_unknown_delivery_method_is_a_usage_error(runner: CliRunner) -> None:
    result = invoke(runner, "--deliver", "pigeon")
    assert result.exit_code == ExitCode.USAGE
    assert result.stdout == ""
    assert "Invalid value for '--deliver'" in result.stderr
    assert "'pigeon' is not one of" in result.stderr


def test_a_bad_month_is_one_line_exit_1(runner: CliRunner) -> None:
    result = invoke(runner, "--month", "November")
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr == "error: month 'November' must look like 2026-11\n"
    assert result.stdout == ""


def test_alerts_need_a_login(runner: CliRunner) -> None:
    result = invoke(runner, "--month", "2026-11")
    assert result.exit_code == ExitCode.AUTH
    assert result.stderr == "error: not logged in: run `budget login USERNAME`\n"


def test_history_limit_zero_is_a_usage_error_like_list(runner: CliRunner) -> None:
    for command in (["alerts", "history"], ["list"]):
        result = runner.invoke(app, [*command, "--limit", "0"])
        assert result.exit_code == ExitCode.USAGE, result.stderr
        assert result.stdout == ""


def test_history_limit_over_the_maximum_names_the_option(runner: CliRunner, logged_in: Any) -> None:
    with pytest.raises(InvalidInput) as too_many:
        alert_history(connect(config.load_settings()), ALICE.user_id, MAX_HISTORY + 1)
    assert str(too_many.value) == "limit 10001 is out of range: give 1 to 10000"
    logged_in(ALICE)
    result = invoke(runner, "history", "--limit", str(MAX_HISTORY + 1))
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr == "error: --limit 10001 is out of range: give 1 to 10000\n"
    assert result.stdout == ""
