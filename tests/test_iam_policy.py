"""SECURITY.md's IAM policies allow every request budgetcli sends, each under the policy
meant for it, and grant nothing that no command uses.

Two checks: a session of every command records each AWS request (operation and
resources) and evaluates it against the policies parsed out of SECURITY.md; and a static
look through budgetcli/ finds every operation a call site can send, so that a new call
fails here even when no command reaches it yet.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.models import User
from budgetcli.store import Store
from budgetcli.tables.schema import TABLES
from tests.helpers import PASSWORD, SessionIds
from tests.test_cli import all_commands
from tests.test_no_scan import command_name
from tests.test_web_app import write_old_shapes

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "budgetcli"
# The policies name the tables with the default prefix; tests use a random one.
DEFAULT_PREFIX = "smart-budget"
SENDER = "alerts@example.com"  # the sender SECURITY.md's SES policy names
NEW_PASSWORD = "another long passphrase"
# `budget local ...` manages the engine process and sends no AWS request.
NOT_AWS_COMMANDS = {"local start", "local stop", "local status", "local install"}
# Which policy covers the requests of a command, by service: the rest is everyday use.
SETUP_COMMANDS = {"init-tables"}
MESSAGING_POLICIES = {"ses": "email", "sns": "sms"}
# A transaction's parts are authorised as the single-item actions they are.
TRANSACTION_PARTS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


# --- the policies in SECURITY.md ---------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One authorisation an AWS request needs: an IAM action on a resource."""

    action: str
    resource: str
    context: dict[str, str]


def policies() -> dict[str, dict[str, Any]]:
    """SECURITY.md's policies by name: the JSON block under each `### ` heading of its
    "AWS permissions" section, named by how the heading starts."""
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    section = text.split("\n## AWS permissions", 1)[1].split("\n## ", 1)[0]
    found: dict[str, dict[str, Any]] = {}
    for part in section.split("\n### ")[1:]:
        heading = part.splitlines()[0]
        blocks = re.findall(r"```json\n(.*?)```", part, flags=re.DOTALL)
        if not blocks:
            continue
        assert len(blocks) == 1, f"one policy per heading: {heading!r}"
        names = [name for start, name in POLICY_HEADINGS.items() if heading.startswith(start)]
        assert len(names) == 1, f"which policy is {heading!r}?"
        found[names[0]] = json.loads(blocks[0])
    assert set(found) == set(POLICY_HEADINGS.values()), sorted(found)
    return found


POLICY_HEADINGS = {
    "Everyday use": "everyday",
    "Creating and migrating the tables": "init-tables",
    "Alerts by email": "email",
    "Alerts by SMS": "sms",
}


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def _condition_holds(condition: dict[str, dict[str, Any]], context: dict[str, str]) -> bool:
    for operator, tests in condition.items():
        for key, wanted in tests.items():
            assert operator in ("StringEquals", "StringLike"), f"teach this test {operator}"
            assert key in context, f"teach this test the condition key {key}"
            patterns = _listed(wanted)
            if operator == "StringEquals" and context[key] not in patterns:
                return False
            if operator == "StringLike" and not any(
                fnmatch.fnmatchcase(context[key], p) for p in patterns
            ):
                return False
    return True


def allows(policy: dict[str, Any], request: Request) -> bool:
    """IAM's verdict for one identity policy, for the parts of IAM these policies use."""
    allowed = False
    for statement in policy["Statement"]:
        assert not {"NotAction", "NotResource"} & set(statement), "teach this test Not*"
        actions = [a.lower() for a in _listed(statement["Action"])]
        if not any(fnmatch.fnmatchcase(request.action.lower(), a) for a in actions):
            continue
        if not any(
            fnmatch.fnmatchcase(request.resource, r) for r in _listed(statement["Resource"])
        ):
            continue
        if not _condition_holds(statement.get("Condition", {}), request.context):
            continue
        if statement["Effect"] == "Deny":
            return False
        allowed = True
    return allowed


def granted_actions(policy: dict[str, Any]) -> set[str]:
    return {
        action
        for statement in policy["Statement"]
        if statement["Effect"] == "Allow"
        for action in _listed(statement["Action"])
    }


# --- what a request needs -----------------------------------------------------------


def dynamodb_requests(operation: str, params: dict[str, Any], prefix: str) -> list[Request]:
    def arn(table: str, index: str | None = None) -> str:
        name = DEFAULT_PREFIX + table.removeprefix(prefix)
        return f"arn:aws:dynamodb:us-east-1:123456789012:table/{name}" + (
            f"/index/{index}" if index else ""
        )

    if operation in ("TransactWriteItems", "TransactGetItems"):
        return [
            Request(f"dynamodb:{TRANSACTION_PARTS[kind]}", arn(body["TableName"]), {})
            for part in params["TransactItems"]
            for kind, body in part.items()
        ]
    if "RequestItems" in params:  # BatchGetItem, BatchWriteItem
        return [Request(f"dynamodb:{operation}", arn(t), {}) for t in params["RequestItems"]]
    if "TableName" in params:
        return [
            Request(f"dynamodb:{operation}", arn(params["TableName"], params.get("IndexName")), {})
        ]
    return [Request(f"dynamodb:{operation}", "*", {})]  # ListTables and the like


def messaging_requests(service: str, operation: str, params: dict[str, Any]) -> list[Request]:
    if service == "ses":
        identity = params.get("Source") or params.get("FromEmailAddress", "")
        return [
            Request(
                f"ses:{operation}",
                f"arn:aws:ses:us-east-1:123456789012:identity/{identity}",
                {"ses:FromAddress": identity},
            )
        ]
    resource = params.get("TopicArn") or params.get("TargetArn") or "*"
    return [Request(f"{service}:{operation}", resource, {})]


# --- a session of every command ----------------------------------------------------


OLD_DATA = "write the data of budgetcli 0.1"  # a step of the session, not a command


def session() -> list[tuple[list[str], str | None]]:
    """One invocation of every AWS command (and of each delivery), in an order that
    makes each one succeed; init-tables --migrate finds data of budgetcli 0.1 to upgrade."""
    register = ["register", "carol", "--email", "carol@example.com", "--phone", "+15551234567"]
    return [
        (["init-tables"], None),
        ([OLD_DATA], None),
        (["init-tables", "--migrate"], None),
        ([*register, "--password-stdin"], PASSWORD),
        (["login", "carol", "--password-stdin"], PASSWORD),
        (["whoami"], None),
        (["add", "12.50", "food", "--date", "2026-11-03"], None),
        (["add", "30", "fun", "--date", "2026-11-03"], None),
        (["list", "--month", "2026-11", "--category", "food"], None),
        (["budget", "set", "food", "10"], None),
        (["budget", "list", "--month", "2026-11"], None),
        (["alerts", "--month", "2026-11", "--deliver", "email"], None),
        (["budget", "set", "fun", "10"], None),
        (["alerts", "--month", "2026-11", "--deliver", "sms"], None),
        (["budget", "set", "fun", "20"], None),
        (["alerts", "--month", "2026-11"], None),
        (["alerts", "history"], None),
        (["report", "--month", "2026-11"], None),
        (["report", "--by", "month", "--category", "food"], None),
        (["backup", "{backup}"], None),
        (["budget", "rm", "food"], None),
        (["restore", "{backup}"], None),  # puts the budget back
        (["budget", "rm", "food"], None),
        (["edit", "{expense_id}", "--amount", "13.00"], None),
        (["rm", "{expense_id}"], None),
        (["import", "-"], "date,amount,category\n2026-11-04,1.00,food\n"),
        (["import", "-"], "Date,Memo,Amount\n2026-11-04,Shop,-2.00\n2026-11-05,Bus,-1.00\n"),
        (["import", "profiles", "list"], None),
        (["import", "profiles", "name", "{profile_id}", "mybank"], None),
        (["import", "profiles", "show", "mybank"], None),
        (["import", "profiles", "rm", "mybank"], None),
        (["rules", "add", "tesco", "groceries"], None),
        (["rules", "add", "pret", "coffee"], None),
        (["rules", "move", "pret", "1"], None),
        (["rules", "list"], None),
        (["rules", "export"], None),
        (
            ["rules", "import", "-"],
            '{"format": "budgetcli-rules", "version": 1, "rules": '
            '[{"pattern": "shell", "category": "fuel"}]}',
        ),
        (["rules", "rm", "shell"], None),
        (["import", "-", "--card"], "date,amount,description\n2026-11-05,1.00,SHOP 0412\n"),
        (["categorize", "--yes"], None),
        (["categorize", "--eval"], None),
        (["export", "--format", "json"], None),
        (["passwd", "--password-stdin"], f"{PASSWORD}\n{NEW_PASSWORD}\n"),
        (["logout"], None),
        (["login", "carol", "--password-stdin"], NEW_PASSWORD),
        (["logout", "--all"], None),
    ]


@pytest.fixture
def messaging(engine: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's SES (with SECURITY.md's sender verified) and SNS, on either engine."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto3.client("ses", region_name="us-east-1").verify_email_identity(EmailAddress=SENDER)
        monkeypatch.setenv("BUDGET_SES_SENDER", SENDER)
        yield


@dataclass(frozen=True)
class Call:
    command: str
    service: str
    operation: str
    params: dict[str, Any]


def run_session(
    runner: CliRunner, store: Store, monkeypatch: pytest.MonkeyPatch, backup: Path
) -> list[Call]:
    """Runs `session()`, recording every AWS request any botocore client sends, with
    the command that sent it."""
    from botocore.client import BaseClient

    known = {name for name, _ in all_commands()}
    calls: list[Call] = []
    running = ""
    real = BaseClient._make_api_call  # type: ignore[attr-defined]

    def recording(client: Any, operation: str, params: dict[str, Any]) -> Any:
        service = client.meta.service_model.signing_name
        calls.append(Call(running, service, operation, dict(params)))
        return real(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    exercised: set[str] = set()
    ids = SessionIds(backup)
    for args, stdin in session():
        if args == [OLD_DATA]:
            running = ""
            write_old_shapes(store, User(str(uuid.uuid4()), "dora", "dora@example.com"))
            continue
        args = ids.fill(args)
        running = command_name(args, known)
        result = runner.invoke(app, args, input=stdin)
        assert result.exit_code == 0, (args, result.stderr)
        ids.learn(runner, args)
        exercised.add(running)
    unexercised = known - exercised - NOT_AWS_COMMANDS
    assert not unexercised, f"add an invocation of {sorted(unexercised)} to session()"
    return calls


def policy_for(call: Call) -> str:
    if call.service in MESSAGING_POLICIES:
        return MESSAGING_POLICIES[call.service]
    return "init-tables" if call.command in SETUP_COMMANDS else "everyday"


def requests_of(call: Call, prefix: str) -> list[Request]:
    if call.service == "dynamodb":
        return dynamodb_requests(call.operation, call.params, prefix)
    return messaging_requests(call.service, call.operation, call.params)


def test_every_request_of_every_command_is_allowed_by_its_policy(
    runner: CliRunner,
    bare_store: Store,
    messaging: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    session_calls = run_session(runner, bare_store, monkeypatch, tmp_path / "backup.jsonl")
    calls = [call for call in session_calls if call.command]
    by_name = policies()
    used: dict[str, set[str]] = {name: set() for name in by_name}
    refused = []
    for call in calls:
        name = policy_for(call)
        for request in requests_of(call, bare_store.prefix):
            used[name].add(request.action)
            if not allows(by_name[name], request):
                refused.append(
                    f"`budget {call.command}`: {request.action} on {request.resource} "
                    f"(the {name} policy)"
                )
    assert not refused, (
        "SECURITY.md's policies do not allow what budgetcli does; add to them:\n"
        + "\n".join(sorted(set(refused)))
    )
    # Least privilege: a policy grants only actions that its commands use.
    for name, policy in by_name.items():
        unused = granted_actions(policy) - used[name]
        assert not unused, f"the {name} policy grants {sorted(unused)}, which no command used"
    assert {"ses:SendEmail", "sns:Publish", "dynamodb:CreateTable"} <= set().union(*used.values())


def test_the_policy_check_refuses_what_a_policy_does_not_list() -> None:
    everyday = policies()["everyday"]
    users = "arn:aws:dynamodb:us-east-1:123456789012:table/smart-budget-users"
    assert allows(everyday, Request("dynamodb:GetItem", users, {}))
    for request in (
        Request("dynamodb:Scan", users, {}),
        Request("dynamodb:GetItem", users.replace("smart-budget", "other"), {}),
        Request("dynamodb:DeleteTable", users, {}),
        Request("dynamodb:BatchWriteItem", users, {}),
    ):
        assert not allows(everyday, request), request
    email = policies()["email"]
    ses = "arn:aws:ses:us-east-1:123456789012:identity/"
    assert allows(email, Request("ses:SendEmail", ses + SENDER, {"ses:FromAddress": SENDER}))
    assert not allows(
        email,
        Request("ses:SendEmail", ses + "x@evil.example", {"ses:FromAddress": "x@evil.example"}),
    )


# --- every call site, whether a test reaches it or not -------------------------------


def _client_methods() -> dict[str, str]:
    """botocore's method names (get_item) for the IAM actions (dynamodb:GetItem) of the
    services budgetcli's clients talk to."""
    import botocore.session
    from botocore import xform_name

    botocore_session = botocore.session.get_session()
    methods: dict[str, str] = {}
    for service in ("dynamodb", "ses", "sns"):
        model = botocore_session.get_service_model(service)
        for operation in model.operation_names:
            methods[xform_name(operation)] = f"{model.signing_name}:{operation}"
    return methods


def _client_actions(method: str, client_methods: dict[str, str]) -> set[str]:
    action = client_methods.get(method)
    # A transaction is authorised as its parts, counted where they are built.
    return {action} if action and not action.startswith("dynamodb:Transact") else set()


def store_methods(source: str, client_methods: dict[str, str]) -> dict[str, set[str]]:
    """The IAM actions each Store method can need: what it sends (self.client.x()) and
    the transaction parts it builds ({"Put": ...}), with those of the methods it calls."""
    tree = ast.parse(source)
    (store_class,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Store"]
    needs: dict[str, set[str]] = {}
    calls: dict[str, set[str]] = {}
    for method in store_class.body:
        if not isinstance(method, ast.FunctionDef):
            continue
        needs[method.name], calls[method.name] = set(), set()
        for node in ast.walk(method):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                if isinstance(owner, ast.Attribute) and owner.attr == "client":
                    needs[method.name] |= _client_actions(node.func.attr, client_methods)
                elif isinstance(owner, ast.Name) and owner.id == "self":
                    calls[method.name].add(node.func.attr)
            if isinstance(node, ast.Dict):
                for key in node.keys:
                    if isinstance(key, ast.Constant) and key.value in TRANSACTION_PARTS:
                        needs[method.name].add(f"dynamodb:{TRANSACTION_PARTS[key.value]}")
    changed = True
    while changed:
        changed = False
        for name, called in calls.items():
            for other in called & set(needs):
                if not needs[other] <= needs[name]:
                    needs[name] |= needs[other]
                    changed = True
    return needs


def _schema_names() -> dict[str, str]:
    """The constants of tables/schema.py that name a table or an index, by value."""
    from budgetcli.tables import schema

    return {name: value for name, value in vars(schema).items() if isinstance(value, str)}


@dataclass(frozen=True)
class Site:
    where: str
    action: str
    table: str | None  # None: not known from the source
    index: str | None  # ANY: one the source does not name


ANY = "*"


def call_sites(paths: list[Path]) -> list[Site]:
    """Every call in `paths` that can send an AWS request: a botocore client method that
    budgetcli does not define itself, or a Store method called outside store.py on a
    table the source names (a Store-only method on any table)."""
    client_methods = _client_methods()
    needs = store_methods((SOURCES / "store.py").read_text(encoding="utf-8"), client_methods)
    constants = _schema_names()
    tables = {spec.name for spec in TABLES}
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in paths}
    defined = {
        node.name
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    # Names that dicts, sets and progress bars have too count only on a named table.
    everyday_words = {"get", "put", "update", "delete"}

    def constant(node: ast.expr | None) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return constants.get(node.id)
        return None

    sites = []
    for path, tree in trees.items():
        if path == SOURCES / "store.py":
            continue  # its client calls count where its methods are called
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            name = node.func.attr
            where = f"{path.relative_to(path.parent.parent)}:{node.lineno} .{name}()"
            if name in needs:
                table = constant(node.args[0]) if node.args else None
                if table not in tables:
                    if name in everyday_words:
                        continue
                    table = None
                index = next(
                    (constant(k.value) or ANY for k in node.keywords if k.arg == "index"), None
                )
                sites += [Site(where, action, table, index) for action in needs[name]]
            elif name not in defined:
                sites += [Site(where, a, None, None) for a in _client_actions(name, client_methods)]
    return sites


def unlisted(sites: list[Site]) -> list[str]:
    """The call sites that no policy in SECURITY.md allows, each with what it needs."""
    every_policy = list(policies().values())
    arn = "arn:aws:dynamodb:us-east-1:123456789012:table/"
    missing = []
    for site in sites:
        resources = [
            f"{arn}{DEFAULT_PREFIX}-{spec.name}" + (f"/index/{index}" if index else "")
            for spec in TABLES
            if site.table in (None, spec.name)  # a table the source does not name: any
            for index in ([i.name for i in spec.indexes] if site.index == ANY else [site.index])
        ]
        if not site.action.startswith("dynamodb:"):
            resources = ["*"]
        allowed = any(
            site.action in granted_actions(policy)
            if resource == "*"
            else allows(policy, Request(site.action, resource, {}))
            for policy in every_policy
            for resource in resources
        )
        if not allowed:
            on = site.table or "any table"
            missing.append(
                f"{site.action} on {on}"
                + (f" index {site.index}" if site.index else "")
                + f"  ({site.where})"
            )
    return sorted(missing)


def test_every_call_site_in_budgetcli_is_allowed_by_a_policy() -> None:
    sites = call_sites(sorted(SOURCES.rglob("*.py")))
    found = {site.action for site in sites}
    assert {"dynamodb:Query", "dynamodb:BatchGetItem", "ses:SendEmail", "sns:Publish"} <= found
    missing = unlisted(sites)
    assert not missing, (
        "budgetcli calls AWS operations that no policy in SECURITY.md allows; add each "
        "action to the policy of the commands that call it:\n" + "\n".join(missing)
    )


def test_a_new_call_site_outside_the_policies_is_caught(tmp_path: Path) -> None:
    """What a branch adding a batch write, a condition check or a raw client call gets."""
    added = tmp_path / "added.py"
    added.write_text(
        "from budgetcli.tables.schema import EXPENSES, USERS\n"
        "def f(store, client):\n"
        "    store.batch_write(EXPENSES, [])\n"
        "    store.get(EXPENSES, {})\n"
        "    store.delete(USERS, {})\n"
        "    client.delete_backup(BackupArn='x')\n"
        "    {}.get('x')\n",
        encoding="utf-8",
    )
    missing = [line.split("  (")[0] for line in unlisted(call_sites([added]))]
    assert missing == [
        "dynamodb:BatchWriteItem on expenses",
        "dynamodb:DeleteBackup on any table",
        "dynamodb:DeleteItem on users",
    ]
