"""Alerts on both engines: what is stored, once ever under concurrent runs, isolation,
delivery by console, SES email and SNS SMS (observed in moto), failures kept and retried
once, and only by the method that failed.

The rules alone (levels, messages, ids, refusals) are in test_alert_rules.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli import config
from budgetcli.cli import app
from budgetcli.dates import Period
from budgetcli.errors import ExitCode
from budgetcli.models import DeliveryMethod, DeliveryStatus, Level, User
from budgetcli.services import alerts, budgets
from budgetcli.services.delivery import Deliverer, deliverer_for
from budgetcli.store import Store
from tests.helpers import log_in, run_in_threads, set_budget, spend, table_items

NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))
SENDER = "alerts@budget.example.com"
REGION = "us-east-1"


def console(user: User) -> Deliverer:
    return deliverer_for(DeliveryMethod.CONSOLE, user, config.load_settings())


def run(store: Store, user: User, deliverer: Deliverer | None = None) -> alerts.AlertRun:
    return alerts.run_alerts(store, user.user_id, NOVEMBER, deliverer or console(user))


def notifications(store: Store) -> list[dict[str, Any]]:
    return table_items(store, "notifications")


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(app, ["alerts", *args])


# --- what is stored -----------------------------------------------------------------


def test_each_budget_stores_the_levels_it_reached(store: Store, alice: User) -> None:
    """The boundaries of test_alert_rules, through storage: limits and thresholds read
    back from the budgets table, one notification per level reached."""
    for category, spent in [
        ("food", "399.95"),  # 79.99%
        ("fun", "400.00"),  # 80%
        ("rent", "500.00"),  # 100%: at the limit, not over it
        ("travel", "500.05"),  # 100.01%
    ]:
        set_budget(store, alice, category, 500)
        spend(store, alice, spent, category)
    set_budget(store, alice, "gifts", 50, threshold=100)
    spend(store, alice, "49.99", "gifts")
    expected = [
        ("fun", Level.WARNING),
        ("rent", Level.WARNING),
        ("travel", Level.WARNING),
        ("travel", Level.EXCEEDED),
    ]
    assert [(a.category, a.level) for a in run(store, alice).raised] == expected
    stored = notifications(store)
    assert sorted((n["category"], n["type"]) for n in stored) == sorted(expected)
    spend(store, alice, "0.01", "gifts")
    assert [(a.category, a.level) for a in run(store, alice).raised] == [("gifts", Level.WARNING)]
    assert len(notifications(store)) == 5


def test_each_level_fires_once_across_runs(store: Store, alice: User) -> None:
    set_budget(store, alice, "food", 100)
    spend(store, alice, "85")
    first = run(store, alice).raised
    assert [(a.level, a.spent, a.category) for a in first] == [(Level.WARNING, Decimal(85), "food")]
    assert first[0].message == (
        "Budget warning: food for 2026-11 has reached its 80% threshold, "
        "85.00 of 100.00 spent (85.00%)."
    )
    assert run(store, alice).raised == []
    spend(store, alice, "20")
    second = run(store, alice).raised
    assert [a.level for a in second] == [Level.EXCEEDED]
    assert second[0].message == (
        "Budget exceeded: food for 2026-11 is 5.00 over its limit, 105.00 of 100.00 spent "
        "(105.00%)."
    )
    assert run(store, alice).raised == []
    stored = notifications(store)
    assert sorted(n["type"] for n in stored) == ["exceeded", "warning"]
    for item in stored:
        assert item["user_id"] == alice.user_id
        assert item["delivery_method"] == "console"
        assert item["delivery_status"] == "delivered"
        assert item["created_at"].endswith("+00:00")
        assert item["message"].startswith("Budget ")


def test_another_month_fires_again(store: Store, alice: User) -> None:
    set_budget(store, alice, "food", 100)
    spend(store, alice, "90", day=date(2026, 11, 3))
    spend(store, alice, "90", day=date(2026, 12, 3))
    assert len(run(store, alice).raised) == 1
    december = alerts.run_alerts(
        store, alice.user_id, Period(date(2026, 12, 1), date(2026, 12, 31)), console(alice)
    )
    assert [(a.month, a.level) for a in december.raised] == [("2026-12", Level.WARNING)]


def test_four_concurrent_runs_at_the_crossing_store_one_alert_per_level(
    store: Store, alice: User
) -> None:
    set_budget(store, alice, "food", 100)
    set_budget(store, alice, "rent", 100)
    spend(store, alice, "100.01")
    spend(store, alice, "80", category="rent")
    results = run_in_threads(4, lambda _: run(store, alice))
    assert not [r for r in results if isinstance(r, Exception)], results
    raised = [a for r in results if isinstance(r, alerts.AlertRun) for a in r.raised]
    assert sorted((a.category, a.level) for a in raised) == [
        ("food", "exceeded"),
        ("food", "warning"),
        ("rent", "warning"),
    ]
    assert sorted((n["category"], n["type"]) for n in notifications(store)) == [
        ("food", "exceeded"),
        ("food", "warning"),
        ("rent", "warning"),
    ]


def test_the_conditional_write_alone_keeps_one_alert_per_level(
    store: Store, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even when every run reads "nothing raised yet" before any of them writes."""
    monkeypatch.setattr(store, "batch_get", lambda *args, **kwargs: [])
    set_budget(store, alice, "food", 100)
    spend(store, alice, "150")
    results = run_in_threads(4, lambda _: run(store, alice))
    raised = [a for r in results if isinstance(r, alerts.AlertRun) for a in r.raised]
    assert sorted(a.level for a in raised) == ["exceeded", "warning"]
    assert sorted(n["type"] for n in notifications(store)) == ["exceeded", "warning"]
    assert run(store, alice).raised == []


def test_a_removed_and_reset_budget_does_not_fire_again(store: Store, alice: User) -> None:
    set_budget(store, alice, "food", 100)
    spend(store, alice, "90")
    assert len(run(store, alice).raised) == 1
    budgets.remove_budget(store, alice.user_id, "food")
    set_budget(store, alice, "food", 100)
    assert run(store, alice).raised == []


# --- isolation --------------------------------------------------------------------


def test_bob_never_sees_alices_alerts(
    store: Store, alice: User, bob: User, runner: CliRunner
) -> None:
    set_budget(store, alice, "food", 100)
    set_budget(store, bob, "food", 1000)
    spend(store, alice, "150")
    assert len(run(store, alice).raised) == 2
    assert run(store, bob).raised == []
    assert alerts.alert_history(store, bob.user_id) == []
    log_in(store, "bob")
    bobs = invoke(runner, "--month", "2026-11", "--format", "json")
    assert bobs.exit_code == 0 and json.loads(bobs.stdout) == []
    history = invoke(runner, "history", "--format", "json")
    assert history.exit_code == 0 and json.loads(history.stdout) == []
    assert len(alerts.alert_history(store, alice.user_id)) == 2


# --- the command ------------------------------------------------------------------


def test_cron_run_prints_once_then_nothing(store: Store, alice: User, runner: CliRunner) -> None:
    set_budget(store, alice, "food", 100)
    quiet = invoke(runner, "--month", "2026-11", "--exit-code")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")
    spend(store, alice, "100.01")
    loud = invoke(runner, "--month", "2026-11", "--exit-code")
    assert loud.exit_code == ExitCode.ERROR, loud.stderr
    lines = loud.stdout.splitlines()
    assert lines == [
        "Budget warning: food for 2026-11 has reached its 80% threshold, 100.01 of 100.00 "
        "spent (100.01%).",
        "Budget exceeded: food for 2026-11 is 0.01 over its limit, 100.01 of 100.00 spent "
        "(100.01%).",
    ]
    assert loud.stderr == ""
    again = invoke(runner, "--month", "2026-11", "--exit-code")
    assert (again.exit_code, again.stdout, again.stderr) == (0, "", "")
    without_flag = invoke(runner, "--month", "2026-11")
    assert (without_flag.exit_code, without_flag.stdout) == (0, "")


def test_a_quiet_cron_run_reads_little_and_writes_nothing(
    store: Store, alice: User, runner: CliRunner, dynamodb_calls: list[str]
) -> None:
    set_budget(store, alice, "food", 100)
    spend(store, alice, "150")
    spend(store, alice, "1", day=date(2020, 1, 1))
    assert invoke(runner, "--month", "2026-11").exit_code == 0
    dynamodb_calls.clear()
    quiet = invoke(runner, "--month", "2026-11")
    assert (quiet.exit_code, quiet.stdout) == (0, "")
    # The session check, the budgets, the month's expenses, which alerts exist.
    assert sorted(dynamodb_calls) == ["BatchGetItem", "GetItem", "Query", "Query"]


def test_json_is_the_alerts_of_this_run(store: Store, alice: User, runner: CliRunner) -> None:
    set_budget(store, alice, "food", 100)
    spend(store, alice, "85")
    result = invoke(runner, "--month", "2026-11", "--format", "json")
    assert result.exit_code == 0, result.stderr
    (alert,) = json.loads(result.stdout)
    assert {
        "notification_id",
        "category",
        "level",
        "spent",
        "amount",
        "percent",
        "message",
        "delivery_method",
        "created_at",
    } <= set(alert)
    assert (alert["category"], alert["level"], alert["spent"], alert["amount"]) == (
        "food",
        "warning",
        "85.00",
        "100.00",
    )
    assert (alert["percent"], alert["delivery_method"]) == ("85.00", "console")
    again = invoke(runner, "--month", "2026-11", "--format", "json")
    assert json.loads(again.stdout) == []
    history = invoke(runner, "history", "--format", "json")
    assert json.loads(history.stdout) == [alert]


def test_history_is_newest_first_with_a_limit(store: Store, alice: User, runner: CliRunner) -> None:
    set_budget(store, alice, "food", 100)
    spend(store, alice, "85")
    run(store, alice)
    spend(store, alice, "20")
    run(store, alice)
    history = alerts.alert_history(store, alice.user_id)
    assert [a.level for a in history] == [Level.EXCEEDED, Level.WARNING]
    limited = invoke(runner, "history", "--limit", "1", "--format", "json")
    assert limited.exit_code == 0, limited.stderr
    assert [a["level"] for a in json.loads(limited.stdout)] == ["exceeded"]
    table = invoke(runner, "history")
    assert table.exit_code == 0 and "exceeded" in table.stdout and "warning" in table.stdout
    csv_out = invoke(runner, "history", "--format", "csv")
    assert csv_out.stdout.splitlines()[0].startswith("created_at,month,category,level")
    assert len(csv_out.stdout.splitlines()) == 3


# --- delivery by SES and SNS --------------------------------------------------------


@pytest.fixture
def aws_messaging(engine: str) -> Iterator[None]:
    """moto's SES and SNS on either engine; DynamoDB Local's requests pass through to it."""
    from moto import mock_aws

    with mock_aws():
        yield


def ses_messages() -> list[Any]:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def sms_messages() -> list[tuple[str, str]]:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    return list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())


def verify_sender() -> None:
    import boto3

    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)


def email_to(user: User) -> Deliverer:
    settings = replace(config.load_settings(), ses_sender=SENDER)
    return deliverer_for(DeliveryMethod.EMAIL, user, settings)


def test_email_goes_through_ses_to_the_user(
    store: Store, alice: User, runner: CliRunner, aws_messaging: None, monkeypatch: Any
) -> None:
    verify_sender()
    monkeypatch.setenv("BUDGET_SES_SENDER", SENDER)
    set_budget(store, alice, "food", 100)
    spend(store, alice, "90")
    result = invoke(runner, "--month", "2026-11", "--deliver", "email")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.rstrip().endswith("(email: delivered)")
    (message,) = ses_messages()
    assert message.source == SENDER
    assert message.destinations["ToAddresses"] == ["alice@example.com"]
    assert message.subject == "food budget warning for 2026-11 (90.00%)"
    assert message.body == (
        "Budget warning: food for 2026-11 has reached its 80% threshold, "
        "90.00 of 100.00 spent (90.00%)."
    )
    (stored,) = notifications(store)
    assert (stored["delivery_method"], stored["delivery_status"]) == ("email", "delivered")
    assert "claim" not in stored
    assert invoke(runner, "--month", "2026-11", "--deliver", "email").stdout == ""
    assert len(ses_messages()) == 1


def test_sms_goes_through_sns_to_the_users_phone(
    store: Store, alice: User, runner: CliRunner, aws_messaging: None
) -> None:
    set_budget(store, alice, "food", 100)
    spend(store, alice, "101")
    result = invoke(runner, "--month", "2026-11", "--deliver", "sms", "--format", "json")
    assert result.exit_code == 0, result.stderr
    sent = json.loads(result.stdout)
    assert [(a["level"], a["delivery_method"], a["delivery_status"]) for a in sent] == [
        ("warning", "sms", "delivered"),
        ("exceeded", "sms", "delivered"),
    ]
    assert sms_messages() == [("+15555550100", a["message"]) for a in sent]
    assert invoke(runner, "--month", "2026-11", "--deliver", "sms").stdout == ""
    assert len(sms_messages()) == 2


def test_failed_delivery_is_kept_and_the_retry_sends_once(
    store: Store, alice: User, runner: CliRunner, aws_messaging: None, monkeypatch: Any
) -> None:
    monkeypatch.setenv("BUDGET_SES_SENDER", SENDER)  # not verified yet: SES rejects it
    set_budget(store, alice, "food", 100)
    spend(store, alice, "90")
    failed = invoke(runner, "--month", "2026-11", "--deliver", "email")
    assert failed.exit_code == ExitCode.ERROR
    assert failed.stderr.startswith("error: could not send 1 alert by email (SES refused")
    assert "next `budget alerts --deliver email` retries" in failed.stderr
    assert failed.stderr.count("\n") == 1
    assert failed.stdout.rstrip().endswith("(email: failed)")
    assert ses_messages() == []
    (stored,) = notifications(store)
    assert stored["delivery_status"] == "failed"
    assert "Email address not verified" in stored["delivery_error"]

    verify_sender()
    retried = invoke(runner, "--month", "2026-11", "--deliver", "email", "--exit-code")
    assert retried.exit_code == 0, retried.stderr  # nothing raised twice
    assert retried.stdout == ""
    assert retried.stderr == ""  # the retry's good news is for terminals; cron mails nothing
    assert len(ses_messages()) == 1
    (stored,) = notifications(store)
    assert (stored["delivery_status"], stored["delivery_attempts"]) == ("delivered", 2)
    assert "delivery_error" not in stored

    quiet = invoke(runner, "--month", "2026-11", "--deliver", "email")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")
    assert len(ses_messages()) == 1
    (entry,) = json.loads(invoke(runner, "history", "-f", "json").stdout)
    assert (entry["delivery_method"], entry["delivery_status"]) == ("email", "delivered")


def test_concurrent_retries_send_each_failed_alert_once(
    store: Store, alice: User, aws_messaging: None
) -> None:
    email = email_to(alice)
    set_budget(store, alice, "food", 100)
    spend(store, alice, "120")
    first = run(store, alice, email)
    assert [a.delivery_status for a in first.raised] == [DeliveryStatus.FAILED] * 2
    assert len(first.failed) == 2
    verify_sender()
    results = run_in_threads(4, lambda _: run(store, alice, email))
    assert not [r for r in results if isinstance(r, Exception)], results
    retried = [a for r in results if isinstance(r, alerts.AlertRun) for a in r.retried]
    assert sorted(a.level for a in retried) == ["exceeded", "warning"]
    assert all(not r.raised for r in results if isinstance(r, alerts.AlertRun))
    assert sorted(m.subject for m in ses_messages()) == [
        "food budget warning for 2026-11 (120.00%)",
        "food over budget for 2026-11 (120.00%)",
    ]


def test_concurrent_email_runs_at_the_crossing_send_once(
    store: Store, alice: User, aws_messaging: None
) -> None:
    verify_sender()
    email = email_to(alice)
    set_budget(store, alice, "food", 100)
    spend(store, alice, "80")
    results = run_in_threads(4, lambda _: run(store, alice, email))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(ses_messages()) == 1
    assert len(notifications(store)) == 1


def test_only_a_run_by_the_same_method_retries_a_failed_alert(
    store: Store, alice: User, aws_messaging: None
) -> None:
    """A failed email stays an email: a console or SMS run neither retries it nor sends
    it their way, and the next email run still does."""
    email = email_to(alice)  # the sender is not verified yet: SES rejects it
    set_budget(store, alice, "food", 100)
    spend(store, alice, "90")
    assert len(run(store, alice, email).failed) == 1

    by_console = run(store, alice)
    assert (by_console.raised, by_console.retried) == ([], [])
    by_sms = run(store, alice, deliverer_for(DeliveryMethod.SMS, alice, config.load_settings()))
    assert (by_sms.raised, by_sms.retried) == ([], [])
    assert sms_messages() == [] and ses_messages() == []
    (stored,) = notifications(store)
    assert (stored["delivery_method"], stored["delivery_status"]) == ("email", "failed")
    assert stored["delivery_attempts"] == 1

    verify_sender()
    by_email = run(store, alice, email)
    assert [(a.level, a.delivery_status) for a in by_email.retried] == [
        (Level.WARNING, DeliveryStatus.DELIVERED)
    ]
    assert len(ses_messages()) == 1 and sms_messages() == []
    (stored,) = notifications(store)
    assert (stored["delivery_status"], stored["delivery_attempts"]) == ("delivered", 2)
