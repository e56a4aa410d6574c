"""The DynamoDB wrapper, on moto and on DynamoDB Local."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from budgetcli.errors import ExitCode, StorageError, TablesMissing
from budgetcli.store import NULL, ConditionFailed, Store, TransactionCancelled

EXPENSES = "expenses"


def expense(n: int, user: str = "u1", **extra: Any) -> dict[str, Any]:
    return {
        "expense_id": f"e{n:05d}",
        "user_id": user,
        "date": f"2026-01-{n % 28 + 1:02d}",
        **extra,
    }


def test_decimal_round_trip_is_exact(store: Store) -> None:
    amounts = [Decimal("0.10"), Decimal("0.20"), Decimal("999999999.99"), Decimal("12.5")]
    for n, amount in enumerate(amounts):
        store.put(EXPENSES, expense(n, amount=amount))
    read = [store.get(EXPENSES, {"expense_id": f"e{n:05d}"}, consistent=True) for n in range(4)]
    assert [item["amount"] for item in read if item] == amounts
    assert sum(item["amount"] for item in read if item) == Decimal("1000000012.79")


def test_an_item_read_back_is_written_back_as_it_was(store: Store) -> None:
    """NULL attributes (the web app's empty description) and sets of every kind: what a
    restore writes is what was read."""
    stored = expense(1, description=NULL, tags={"a", "b"}, sizes={Decimal(1)}, blobs={b"\x00"})
    store.put(EXPENSES, stored)
    read = store.get(EXPENSES, {"expense_id": "e00001"}, consistent=True)
    assert read is not None and read["description"] is None
    store.put(EXPENSES, {**read, "expense_id": "e00002", "description": NULL})
    again = store.get(EXPENSES, {"expense_id": "e00002"}, consistent=True)
    assert again == {**read, "expense_id": "e00002"}
    assert "description" in again


def test_floats_are_refused_before_anything_is_sent(store: Store) -> None:
    with pytest.raises(TypeError, match="Float"):
        store.put(EXPENSES, expense(1, amount=0.1))
    assert store.get(EXPENSES, {"expense_id": "e00001"}, consistent=True) is None


def test_query_follows_every_page(store: Store) -> None:
    # ~40 KB a item: 40 items are well over DynamoDB's 1 MB page.
    padding = "x" * 40_000
    store.batch_write(EXPENSES, puts=(expense(n, padding=padding) for n in range(40)))
    pages_seen = []

    def count_pages(**kwargs: Any) -> None:
        pages_seen.append(kwargs)

    store.client.meta.events.register("before-call.dynamodb.Query", count_pages)
    found = list(
        store.query(
            EXPENSES,
            index="user_id-index",
            key_condition="user_id = :u",
            values={":u": "u1"},
        )
    )
    assert sorted(item["expense_id"] for item in found) == [f"e{n:05d}" for n in range(40)]
    assert len(pages_seen) >= 2


def test_query_with_page_size_still_returns_everything(store: Store) -> None:
    store.batch_write(EXPENSES, puts=(expense(n) for n in range(30)))
    found = list(
        store.query(
            EXPENSES,
            index="user_id-date-index",
            key_condition="user_id = :u AND #d BETWEEN :a AND :b",
            names={"#d": "date"},
            values={":u": "u1", ":a": "2026-01-01", ":b": "2026-01-31"},
            newest_first=True,
            page_size=7,
        )
    )
    assert len(found) == 30
    dates = [item["date"] for item in found]
    assert dates == sorted(dates, reverse=True)


def test_batch_write_and_get_past_the_request_limits(store: Store) -> None:
    assert store.batch_write(EXPENSES, puts=(expense(n) for n in range(260))) == 260
    keys = [{"expense_id": f"e{n:05d}"} for n in range(260)] + [{"expense_id": "missing"}]
    found = store.batch_get(EXPENSES, keys, projection=["expense_id"])
    assert len(found) == 260
    assert store.batch_write(EXPENSES, delete_keys=keys[:255]) == 255
    assert len(store.batch_get(EXPENSES, keys)) == 5


def test_batch_write_retries_unprocessed_items(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_call = store.client.batch_write_item
    calls: list[int] = []

    def flaky_batch_write_item(**kwargs: Any) -> dict[str, Any]:
        requests = next(iter(kwargs["RequestItems"].values()))
        calls.append(len(requests))
        table = next(iter(kwargs["RequestItems"]))
        if len(calls) == 1:  # the last three are left unprocessed, then all three once more
            real_call(RequestItems={table: requests[:-3]})
            return {"UnprocessedItems": {table: requests[-3:]}}
        if len(calls) == 2:
            return {"UnprocessedItems": {table: requests}}
        return dict(real_call(**kwargs))

    monkeypatch.setattr(store.client, "batch_write_item", flaky_batch_write_item)
    monkeypatch.setattr("budgetcli.retry.backoff", lambda attempt: 0)
    store.batch_write(EXPENSES, puts=(expense(n) for n in range(10)))
    assert calls == [10, 3, 3]
    assert len(store.batch_get(EXPENSES, [{"expense_id": f"e{n:05d}"} for n in range(10)])) == 10


def test_batch_get_retries_unprocessed_keys(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    store.batch_write(EXPENSES, puts=(expense(n) for n in range(10)))
    real_call = store.client.batch_get_item
    asked: list[int] = []

    def flaky_batch_get_item(**kwargs: Any) -> dict[str, Any]:
        table, request = next(iter(kwargs["RequestItems"].items()))
        asked.append(len(request["Keys"]))
        if len(asked) == 1:  # answers for the first four keys only
            first_keys: Any = {table: {**request, "Keys": request["Keys"][:4]}}
            answer = dict(real_call(RequestItems=first_keys))
            answer["UnprocessedKeys"] = {table: {**request, "Keys": request["Keys"][4:]}}
            return answer
        return dict(real_call(**kwargs))

    monkeypatch.setattr(store.client, "batch_get_item", flaky_batch_get_item)
    monkeypatch.setattr("budgetcli.retry.backoff", lambda attempt: 0)
    found = store.batch_get(EXPENSES, [{"expense_id": f"e{n:05d}"} for n in range(10)])
    assert asked == [10, 6]
    assert sorted(item["expense_id"] for item in found) == [f"e{n:05d}" for n in range(10)]


def test_batch_write_gives_up_with_a_storage_error(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never_processes(**kwargs: Any) -> dict[str, Any]:
        return {"UnprocessedItems": kwargs["RequestItems"]}

    monkeypatch.setattr(store.client, "batch_write_item", never_processes)
    monkeypatch.setattr("budgetcli.retry.backoff", lambda attempt: 0)
    with pytest.raises(StorageError, match="run the command again") as raised:
        store.batch_write(EXPENSES, puts=[expense(1)])
    assert raised.value.exit_code == ExitCode.STORAGE


def test_conditional_put_does_not_clobber(store: Store) -> None:
    store.put(
        EXPENSES, expense(1, amount=Decimal("1")), condition="attribute_not_exists(expense_id)"
    )
    with pytest.raises(ConditionFailed):
        store.put(
            EXPENSES, expense(1, amount=Decimal("2")), condition="attribute_not_exists(expense_id)"
        )
    item = store.get(EXPENSES, {"expense_id": "e00001"}, consistent=True)
    assert item and item["amount"] == Decimal("1")


def test_update_and_delete_check_their_condition(store: Store) -> None:
    store.put(EXPENSES, expense(1, amount=Decimal("1")))
    mine = {":me": "u1"}
    updated = store.update(
        EXPENSES,
        {"expense_id": "e00001"},
        update="SET amount = :a",
        condition="user_id = :me",
        values={**mine, ":a": Decimal("3.30")},
    )
    assert updated["amount"] == Decimal("3.3")
    with pytest.raises(ConditionFailed):
        store.delete(
            EXPENSES, {"expense_id": "e00001"}, condition="user_id = :me", values={":me": "u2"}
        )
    store.delete(EXPENSES, {"expense_id": "e00001"}, condition="user_id = :me", values=mine)
    assert store.get(EXPENSES, {"expense_id": "e00001"}, consistent=True) is None


def test_transaction_is_all_or_nothing_and_names_the_failed_operation(store: Store) -> None:
    store.put(EXPENSES, expense(2))
    new_only = "attribute_not_exists(expense_id)"
    with pytest.raises(TransactionCancelled) as cancelled:
        store.transact_write(
            [
                store.put_op(EXPENSES, expense(1), condition=new_only),
                store.put_op(EXPENSES, expense(2), condition=new_only),
            ]
        )
    assert cancelled.value.reasons == [None, "ConditionalCheckFailed"]
    assert store.get(EXPENSES, {"expense_id": "e00001"}, consistent=True) is None
    store.transact_write(
        [
            store.put_op(EXPENSES, expense(1), condition=new_only),
            store.delete_op(EXPENSES, {"expense_id": "e00002"}),
            store.update_op(
                EXPENSES, {"expense_id": "e00003"}, update="SET user_id = :u", values={":u": "u9"}
            ),
        ]
    )
    assert store.get(EXPENSES, {"expense_id": "e00001"}, consistent=True)
    assert store.get(EXPENSES, {"expense_id": "e00002"}, consistent=True) is None
    assert store.get(EXPENSES, {"expense_id": "e00003"}, consistent=True) == {
        "expense_id": "e00003",
        "user_id": "u9",
    }


def test_missing_table_is_exit_4_naming_init_tables(bare_store: Store) -> None:
    with pytest.raises(TablesMissing, match="budget init-tables") as raised:
        bare_store.get(EXPENSES, {"expense_id": "x"})
    assert raised.value.exit_code == ExitCode.STORAGE
    assert bare_store.describe_table(EXPENSES) is None


@pytest.mark.parametrize("service", ["dynamodb", "ses", "sns"])
@pytest.mark.parametrize("region", ["us-east-1", "eu-central-2", "cn-north-1", "us-gov-west-1"])
@pytest.mark.parametrize("fips", [False, True])
def test_clients_resolve_endpoints_as_stock_botocore_does(
    service: str, region: str, fips: bool
) -> None:
    import botocore.session

    from budgetcli.store import botocore_session

    def resolved(session: Any) -> tuple[Any, ...]:
        session.set_config_variable("use_fips_endpoint", fips)
        client = session.create_client(
            service, region_name=region, aws_access_key_id="a", aws_secret_access_key="b"
        )
        signer = client._request_signer
        resolver = session._get_internal_component("endpoint_resolver")
        prefix = client.meta.service_model.endpoint_prefix
        return (
            resolver.construct_endpoint(prefix, region, use_fips_endpoint=fips),
            client.meta.endpoint_url,
            client.meta.partition,
            signer._signing_name,
            signer._region_name,
            signer._signature_version,
        )

    assert resolved(botocore_session()) == resolved(botocore.session.get_session())


@pytest.mark.new_botocore_sessions
def test_endpoints_copy_is_kept_and_rebuilt_when_it_does_not_match(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from budgetcli import store as store_module

    def new_client() -> Any:
        store_module._model_loader.cache_clear()
        return store_module.botocore_session().create_client(
            "dynamodb", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b"
        )

    monkeypatch.setenv("BUDGET_DATA_DIR", str(isolated_env / "data"))
    copy = isolated_env / "data" / "botocore-endpoints.json"
    assert new_client().meta.endpoint_url == "https://dynamodb.eu-west-1.amazonaws.com"
    kept = json.loads(copy.read_text())
    services = {name for p in kept["endpoints"]["partitions"] for name in p["services"]}
    assert services == {"dynamodb", "email", "sns"}
    assert copy.stat().st_mode & 0o777 == 0o600

    import botocore.loaders

    read_by_botocore: list[str] = []
    real_load = botocore.loaders.Loader.load_data_with_path

    def recording_load(loader: Any, name: str) -> Any:
        read_by_botocore.append(name)
        return real_load(loader, name)

    monkeypatch.setattr(botocore.loaders.Loader, "load_data_with_path", recording_load)
    assert new_client().meta.endpoint_url == "https://dynamodb.eu-west-1.amazonaws.com"
    assert "endpoints" not in read_by_botocore and read_by_botocore

    kept["source"] = "an older botocore"
    kept["endpoints"]["partitions"] = []
    copy.write_text(json.dumps(kept))
    assert new_client().meta.endpoint_url == "https://dynamodb.eu-west-1.amazonaws.com"
    assert json.loads(copy.read_text())["endpoints"]["partitions"]

    copy.write_text("{not json")
    assert new_client().meta.endpoint_url == "https://dynamodb.eu-west-1.amazonaws.com"
    assert json.loads(copy.read_text())["endpoints"]["partitions"]


def test_unwritable_data_dir_only_costs_the_full_read(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from budgetcli import store as store_module

    monkeypatch.setenv("BUDGET_DATA_DIR", "/proc/no-such-dir")
    store_module._model_loader.cache_clear()
    client = store_module.botocore_session().create_client(
        "sns", region_name="ap-southeast-2", aws_access_key_id="a", aws_secret_access_key="b"
    )
    assert client.meta.endpoint_url == "https://sns.ap-southeast-2.amazonaws.com"


def test_query_reads_every_attribute_type_as_botocore_would(store: Store) -> None:
    typed: dict[str, Any] = {
        "text": 'plain "B": not binary',
        "number": Decimal("-12.50"),
        "flag": True,
        "nested": {"list": [Decimal(1), "two", False], "empty": {}},
        "strings": {"a", "b"},
        "numbers": {Decimal("1.5"), Decimal(2)},
    }
    store.put(EXPENSES, expense(1, **typed))
    store.put(EXPENSES, expense(2, blob=b"\x00\xffraw", **typed))
    store.put(EXPENSES, expense(3, user="u2", none=None, **typed))

    def query(user: str) -> list[dict[str, Any]]:
        found = store.query(
            EXPENSES, index="user_id-index", key_condition="user_id = :u", values={":u": user}
        )
        return sorted(found, key=lambda item: str(item["expense_id"]))

    assert query("u1") == [
        {**expense(1), **typed},
        {**expense(2), "blob": b"\x00\xffraw", **typed},
    ]
    assert query("u2") == [{**expense(3, user="u2"), **typed}]


def test_query_items_skip_botocores_parsing_unless_a_value_may_be_binary() -> None:
    import json

    from budgetcli.store import _items_as_sent

    page = {"Items": [{"a": {"S": "x"}, "n": {"N": "1"}}], "Count": 1}
    response: dict[str, Any] = {"status_code": 200, "body": json.dumps(page).encode()}
    taken: dict[str, Any] = {}
    _items_as_sent(response_dict=response, customized_response_dict=taken)
    assert taken == {"Items": page["Items"]}
    assert json.loads(response["body"]) == {"Count": 1}

    for body in (b'{"Items": [{"b": {"B": "AAE="}}]}', b'{"Items": [{"b": {"BS" : []}}]}'):
        response = {"status_code": 200, "body": body}
        taken = {}
        _items_as_sent(response_dict=response, customized_response_dict=taken)
        assert taken == {} and response["body"] == body
    error = {"status_code": 400, "body": b'{"__type": "ValidationException"}'}
    _items_as_sent(response_dict=error, customized_response_dict=taken)
    assert taken == {}
