"""The one DynamoDB wrapper: clients, tables, pagination, batches, transactions, errors.

It speaks plain Python (dicts of str, Decimal, bool, list, dict) and knows nothing
about budgets. boto3 is imported lazily so that `budget --help` does not pay for it.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from budgetcli import retry
from budgetcli.config import Settings
from budgetcli.errors import (
    BudgetError,
    ConfigError,
    StorageError,
    StorageUnavailable,
    TablesMissing,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Item = dict[str, Any]

BATCH_WRITE_SIZE = 25
BATCH_GET_SIZE = 100
TRANSACTION_SIZE = 100
# Tries of one batch request before giving up, with backoff between them.
BATCH_ATTEMPTS = 9
_THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "LimitExceededException",
    }
)
_CREDENTIAL_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "AccessDeniedException",
        "ExpiredTokenException",
        "MissingAuthenticationTokenException",
    }
)


class ConditionFailed(Exception):
    """A ConditionExpression did not hold; the write did not happen."""


class TransactionCancelled(Exception):
    """A TransactWriteItems was cancelled; `reasons` has one code (or None) per operation."""

    def __init__(self, reasons: list[str | None]):
        super().__init__(f"transaction cancelled: {reasons}")
        self.reasons = reasons


@dataclass(frozen=True)
class IndexSpec:
    name: str
    hash_key: str
    range_key: str | None = None


@dataclass(frozen=True)
class TableSpec:
    """A table with string keys, on-demand billing, GSIs projecting all attributes."""

    name: str
    hash_key: str
    indexes: tuple[IndexSpec, ...] = ()

    def key_attributes(self) -> list[str]:
        names = [self.hash_key]
        for index in self.indexes:
            names += [index.hash_key] + ([index.range_key] if index.range_key else [])
        return list(dict.fromkeys(names))


@dataclass(frozen=True)
class TableState:
    """What DescribeTable says about an existing table, in the same terms as TableSpec."""

    status: str
    hash_key: str
    indexes: tuple[IndexSpec, ...] = field(default_factory=tuple)
    index_statuses: tuple[str, ...] = field(default_factory=tuple)
    item_count: int = 0

    @property
    def active(self) -> bool:
        return self.status == "ACTIVE" and all(s == "ACTIVE" for s in self.index_statuses)


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def aws_client(service: str, settings: Settings, *, no_region: str) -> Any:
    """A client of `service` through boto3's own chain (profiles, AWS_REGION,
    AWS_ENDPOINT_URL_*); each attempt waits at most timeout_seconds, so a hung endpoint
    fails in bounded time. ConfigError `no_region` when no region is configured."""
    from botocore.config import Config
    from botocore.exceptions import NoRegionError

    timeout = settings.timeout_seconds
    config = Config(
        retries={"mode": "standard", "total_max_attempts": 5},
        connect_timeout=timeout,
        read_timeout=timeout,
    )
    try:
        with known_profile():
            return botocore_session().create_client(
                service, region_name=settings.region, config=config
            )
    except NoRegionError:
        raise ConfigError(no_region) from None


def dynamodb_client(
    settings: Settings, *, on_engine_start: Callable[[str], None] | None = None
) -> DynamoDBClient:
    """The one place that builds DynamoDB clients.

    - BUDGET_BACKEND=aws: boto3's own chain (profiles, AWS_REGION, AWS_ENDPOINT_URL_*).
    - BUDGET_ENDPOINT_URL: that endpoint, with placeholder credentials unless some are set.
    - otherwise the embedded DynamoDB Local, started if it is not running.
    """
    from botocore.config import Config

    if settings.backend == "aws":
        client: DynamoDBClient = aws_client(
            "dynamodb",
            settings,
            no_region="no AWS region configured: set AWS_REGION, or region in config.toml",
        )
        return client

    # Each attempt waits at most timeout_seconds, so a hung endpoint fails in bounded time.
    timeout = settings.timeout_seconds
    config = Config(
        retries={"mode": "standard", "total_max_attempts": 3},
        connect_timeout=min(timeout, 3),
        read_timeout=timeout,
    )
    endpoint = settings.endpoint_url
    if endpoint is None:
        from budgetcli import local_engine

        endpoint = local_engine.ensure_running(settings, on_start=on_engine_start)
    # DynamoDB Local accepts any credentials; a custom endpoint may want the real ones.
    use_own_credentials = bool(settings.endpoint_url and os.environ.get("AWS_ACCESS_KEY_ID"))
    # With placeholder credentials no AWS profile is used: a wrong AWS_PROFILE, set for
    # something else, must not stop the local engine.
    session = botocore_session(with_profile=use_own_credentials)
    with known_profile():
        local_client: DynamoDBClient = session.create_client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name=settings.region or "us-east-1",
            config=config,
            aws_access_key_id=None if use_own_credentials else "budgetcli",
            aws_secret_access_key=None if use_own_credentials else "local",
        )
    return local_client


# The services budgetcli builds clients for (the only models botocore reads), and the
# names botocore's endpoints data gives them (their endpoint prefixes).
CLIENT_SERVICES = {"dynamodb": "dynamodb", "ses": "email", "sns": "sns"}


@functools.cache
def _model_loader() -> Any:
    """botocore's loader of service models, without two costs of every client (~50 ms).

    - To check that a service exists, botocore lists all ~450 service directories, twice
      per client; the services asked for here are known to exist.
    - endpoints.json (1.2 MB, every service) is read for three services' entries: they
      are copied once into the data directory, and copied again whenever the file changes.
    """
    from botocore.loaders import Loader

    class ClientServicesLoader(Loader):
        def list_available_services(self, type_name: str) -> list[str]:
            return sorted(CLIENT_SERVICES)

        def load_data_with_path(self, name: str) -> tuple[Any, str]:
            if name == "endpoints":
                found = self._endpoints_of_client_services()
                if found is not None:
                    return found
            return super().load_data_with_path(name)

        def _endpoints_of_client_services(self) -> tuple[Any, str] | None:
            # The file botocore reads: in the first search path that has one.
            for folder in self.search_paths:
                location = os.path.join(folder, "endpoints")
                try:
                    stat = os.stat(f"{location}.json")
                except OSError:
                    if os.path.exists(f"{location}.json.gz"):
                        return None
                    continue
                prefixes = sorted(CLIENT_SERVICES.values())
                source = f"{location}.json:{stat.st_size}:{stat.st_mtime_ns}:{prefixes}"
                endpoints = _cached_endpoints(source)
                if endpoints is None:
                    full, path = super().load_data_with_path("endpoints")
                    if path != location:
                        return None
                    endpoints = _endpoints_of(full, prefixes)
                    _cache_endpoints(source, endpoints)
                return endpoints, location
            return None

    return ClientServicesLoader()


def _endpoints_cache() -> Path:
    from budgetcli.config import data_dir

    return data_dir() / "botocore-endpoints.json"


def _cached_endpoints(source: str) -> Any:
    from collections import OrderedDict

    try:
        cached = json.loads(_endpoints_cache().read_bytes(), object_pairs_hook=OrderedDict)
    except (OSError, ValueError):
        return None
    return cached.get("endpoints") if cached.get("source") == source else None


def _cache_endpoints(source: str, endpoints: Any) -> None:
    from budgetcli.config import write_file_atomically

    document = json.dumps({"source": source, "endpoints": endpoints}).encode()
    # A cache: a data directory that cannot be written only costs the full read next time.
    with suppress(BudgetError, OSError):
        write_file_atomically(_endpoints_cache(), document)


def _endpoints_of(endpoints: Any, services: Sequence[str]) -> Any:
    """botocore's endpoints data with only `services` left in each partition."""
    trimmed = copy(endpoints)
    trimmed["partitions"] = []
    for partition in endpoints["partitions"]:
        kept = copy(partition)
        kept["services"] = type(partition["services"])(
            (name, entry) for name, entry in partition["services"].items() if name in services
        )
        trimmed["partitions"].append(kept)
    return trimmed


def botocore_session(*, with_profile: bool = True) -> Any:
    """A new botocore session (sessions are not thread-safe) sharing one loader of the
    service models, which take ~90 ms to read: once per process, not once per client.
    `messaging` builds its SES and SNS clients on it too. Without `with_profile`, it
    ignores AWS_PROFILE.

    botocore, not boto3: the same clients and credential chain, ~100 ms less to import.
    """
    import botocore.session

    overrides = None if with_profile else {"profile": (None, None, None, None)}
    session = botocore.session.Session(session_vars=overrides)
    session.register_component("data_loader", _model_loader())
    return session


@contextmanager
def known_profile() -> Iterator[None]:
    """botocore's ProfileNotFound (AWS_PROFILE names no profile) as one line, exit 1."""
    from botocore.exceptions import ProfileNotFound

    try:
        yield
    except ProfileNotFound as exc:
        profile = exc.kwargs.get("profile", "")
        raise ConfigError(
            f"AWS_PROFILE is {profile!r}, which is not a profile in your AWS config or "
            "credentials files: fix AWS_PROFILE (see `aws configure list-profiles`) or unset it"
        ) from None


def connect(settings: Settings, *, on_engine_start: Callable[[str], None] | None = None) -> Store:
    """A Store on the configured backend, with a hint for when it cannot be reached.

    Nothing is connected (nor the local engine started) until the first request.
    """
    if settings.backend == "aws":
        hint = "check your network, AWS_REGION and AWS_ENDPOINT_URL_DYNAMODB"
    elif settings.endpoint_url:
        hint = "check BUDGET_ENDPOINT_URL, or unset it to use the local engine"
    else:
        hint = "run `budget local start` (see `budget local status`)"
    return Store(
        lambda: dynamodb_client(settings, on_engine_start=on_engine_start),
        settings.table_prefix,
        endpoint_hint=hint,
    )


def location(settings: Settings, store: Store) -> dict[str, str]:
    """Where `store`'s tables are, as a session file records them: the backend, the table
    prefix, and the engine's data directory, the endpoint, or the AWS region and endpoint
    botocore resolved (AWS_PROFILE, AWS_ENDPOINT_URL_DYNAMODB...). Sends no request, and
    starts no engine."""
    where = {"backend": settings.backend, "table_prefix": store.prefix}
    if settings.backend == "aws":
        meta = store.client.meta
        return where | {"region": str(meta.region_name), "endpoint": str(meta.endpoint_url)}
    if settings.endpoint_url:
        return where | {"endpoint": settings.endpoint_url, "region": settings.region or "us-east-1"}
    from budgetcli import config

    return where | {"data_dir": str(config.data_dir().resolve())}


class _Null:
    def __repr__(self) -> str:
        return "NULL"


NULL = _Null()
"""An attribute stored as DynamoDB's NULL: `to_item` leaves out attributes that are None,
so an item read back (where NULL became None) is written as it was with this instead."""


def to_item(data: Mapping[str, Any]) -> dict[str, Any]:
    """Plain Python to DynamoDB attribute values. Floats are refused: use Decimal."""
    return {key: _attribute(value) for key, value in data.items() if value is not None}


def from_item(raw: Mapping[str, Any]) -> Item:
    """DynamoDB attribute values to plain Python; numbers come back as Decimal."""
    return {key: _python(value) for key, value in raw.items()}


# boto3.dynamodb.types does the same, but importing it imports all of boto3 (~100 ms on
# every command); these cover every type DynamoDB has.
def _attribute(value: Any) -> dict[str, Any]:
    if value is None or value is NULL:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | Decimal):
        return {"N": _number(value)}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, Mapping):
        return {"M": {str(key): _attribute(item) for key, item in value.items()}}
    if isinstance(value, set | frozenset):
        if all(isinstance(item, str) for item in value):
            return {"SS": sorted(value)}
        if all(isinstance(item, int | Decimal) and not isinstance(item, bool) for item in value):
            return {"NS": [_number(item) for item in value]}
        if all(isinstance(item, bytes | bytearray) for item in value):
            return {"BS": sorted(bytes(item) for item in value)}
        raise TypeError(f"a set must hold only strings, only numbers or only bytes: {value!r}")
    if isinstance(value, list | tuple):
        return {"L": [_attribute(item) for item in value]}
    if isinstance(value, float):
        raise TypeError(f"Float {value!r} cannot be stored exactly: use Decimal")
    raise TypeError(f"{type(value).__name__} cannot be stored in DynamoDB")


def _number(value: int | Decimal) -> str:
    number = Decimal(value)
    if not number.is_finite():
        raise TypeError(f"DynamoDB cannot store {value!r}")
    return str(number)


def _python(attribute: Mapping[str, Any]) -> Any:
    [(kind, value)] = attribute.items()
    if kind == "S":
        return value
    if kind == "N":
        return Decimal(value)
    if kind == "BOOL":
        return bool(value)
    if kind == "NULL":
        return None
    if kind == "M":
        return {key: _python(item) for key, item in value.items()}
    if kind == "L":
        return [_python(item) for item in value]
    if kind == "SS":
        return set(value)
    if kind == "NS":
        return {Decimal(item) for item in value}
    if kind == "B":
        return bytes(value)
    if kind == "BS":
        return {bytes(item) for item in value}
    raise TypeError(f"unknown DynamoDB attribute type {kind!r}")


_BINARY_VALUE = re.compile(rb'"BS?"\s*:')


def _items_as_sent(
    response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any
) -> None:
    """Hand a Query's Items over as DynamoDB sent them, without botocore's parsing.

    botocore walks the service model for every attribute of every item: two thirds of
    the Python time of reading 20,000 expenses. The wire form already is what botocore
    returns, except binary values, which it base64-decodes: a page that may hold one
    is left to botocore.
    """
    body = response_dict.get("body")
    if response_dict.get("status_code") != 200 or not isinstance(body, bytes):
        return
    if _BINARY_VALUE.search(body):
        return
    document = json.loads(body)
    items = document.pop("Items", None)
    if isinstance(items, list):
        customized_response_dict["Items"] = items
        response_dict["body"] = json.dumps(document).encode()


def _values(values: Mapping[str, Any] | None) -> dict[str, Any]:
    return to_item(values) if values else {}


class Store:
    """Tables named `<prefix>-<name>` on one DynamoDB client, made on first use."""

    def __init__(
        self,
        make_client: Callable[[], DynamoDBClient],
        prefix: str,
        *,
        endpoint_hint: str = "run `budget local start`",
    ) -> None:
        self.prefix = prefix
        self.endpoint_hint = endpoint_hint
        self._make_client = make_client
        self._client: DynamoDBClient | None = None
        self._client_lock = threading.Lock()

    @property
    def client(self) -> DynamoDBClient:
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    client = self._make_client()
                    client.meta.events.register(
                        "before-parse.dynamodb.Query",
                        _items_as_sent,
                        unique_id="budgetcli-items-as-sent",
                    )
                    self._client = client
        return self._client

    def table_name(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    @contextmanager
    def _translated_errors(self, table: str | None = None) -> Iterator[None]:
        from botocore.exceptions import (
            ClientError,
            ConnectionClosedError,
            EndpointConnectionError,
            HTTPClientError,
            NoCredentialsError,
            NoRegionError,
        )
        from botocore.exceptions import ConnectionError as BotoConnectionError

        where = self.client.meta.endpoint_url
        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "")
            message = error.get("Message", "")
            if code == "ConditionalCheckFailedException":
                raise ConditionFailed(message) from None
            if code == "TransactionCanceledException":
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                raise TransactionCancelled([None if r == "None" else r for r in reasons]) from None
            if code == "ResourceNotFoundException":
                missing = self.table_name(table) if table else "a table"
                raise TablesMissing(
                    f"{missing} does not exist at {where}: run `budget init-tables`"
                ) from None
            if code in _THROTTLING_CODES:
                raise StorageError(
                    f"DynamoDB is throttling requests ({code}) even after retries: try again later"
                ) from None
            if code in _CREDENTIAL_CODES:
                raise StorageError(
                    f"DynamoDB at {where} refused the credentials ({code}): "
                    "check AWS_PROFILE or your AWS credentials"
                ) from None
            raise BudgetError(f"DynamoDB rejected the request ({code}): {message}") from None
        except (EndpointConnectionError, BotoConnectionError, ConnectionClosedError) as exc:
            raise StorageUnavailable(
                f"cannot reach DynamoDB at {where}: {self.endpoint_hint}"
            ) from exc
        except HTTPClientError as exc:
            raise StorageUnavailable(
                f"DynamoDB at {where} did not answer in time ({type(exc).__name__}): "
                f"{self.endpoint_hint}"
            ) from exc
        except NoCredentialsError:
            raise StorageUnavailable(
                "no AWS credentials found: set AWS_PROFILE or run `aws configure`, "
                "or unset BUDGET_BACKEND to use the local engine"
            ) from None
        except NoRegionError:
            raise ConfigError("no AWS region configured: set AWS_REGION") from None

    # --- single items -------------------------------------------------------

    def get(
        self,
        table: str,
        key: Mapping[str, Any],
        *,
        consistent: bool = False,
        projection: Sequence[str] | None = None,
    ) -> Item | None:
        kwargs: dict[str, Any] = {
            "TableName": self.table_name(table),
            "Key": to_item(key),
            "ConsistentRead": consistent,
        }
        if projection:
            kwargs.update(_projection(projection))
        with self._translated_errors(table):
            raw = self.client.get_item(**kwargs).get("Item")
        return from_item(raw) if raw else None

    def put(
        self,
        table: str,
        item: Mapping[str, Any],
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> None:
        request = self.put_op(table, item, condition=condition, names=names, values=values)
        with self._translated_errors(table):
            self.client.put_item(**request["Put"])

    def update(
        self,
        table: str,
        key: Mapping[str, Any],
        *,
        update: str,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> Item:
        """Apply an UpdateExpression; returns the item as it is afterwards."""
        request = self.update_op(
            table, key, update=update, condition=condition, names=names, values=values
        )
        with self._translated_errors(table):
            response = self.client.update_item(**request["Update"], ReturnValues="ALL_NEW")
        return from_item(response.get("Attributes", {}))

    def delete(
        self,
        table: str,
        key: Mapping[str, Any],
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> None:
        request = self.delete_op(table, key, condition=condition, names=names, values=values)
        with self._translated_errors(table):
            self.client.delete_item(**request["Delete"])

    # --- queries ------------------------------------------------------------

    def query(
        self,
        table: str,
        *,
        key_condition: str,
        values: Mapping[str, Any],
        names: Mapping[str, str] | None = None,
        index: str | None = None,
        filter: str | None = None,
        projection: Sequence[str] | None = None,
        newest_first: bool = False,
        consistent: bool = False,
        page_size: int | None = None,
    ) -> Iterator[Item]:
        """Yield every matching item, following LastEvaluatedKey across pages."""
        kwargs: dict[str, Any] = {
            "TableName": self.table_name(table),
            "KeyConditionExpression": key_condition,
            "ScanIndexForward": not newest_first,
        }
        kwargs.update(_read_args(names, values, projection))
        if index:
            kwargs["IndexName"] = index
        if filter:
            kwargs["FilterExpression"] = filter
        if consistent:
            kwargs["ConsistentRead"] = True
        if page_size:
            kwargs["Limit"] = page_size
        return self._every_page(table, lambda: self.client.query(**kwargs), kwargs)

    def scan(
        self,
        table: str,
        *,
        filter: str,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        projection: Sequence[str] | None = None,
    ) -> Iterator[Item]:
        """Every item of the whole table that matches `filter`, page by page.

        It reads every item of every user: only for one-off maintenance, never a command's
        everyday work.
        """
        kwargs: dict[str, Any] = {"TableName": self.table_name(table), "FilterExpression": filter}
        kwargs.update(_read_args(names, values, projection))
        return self._every_page(table, lambda: self.client.scan(**kwargs), kwargs)

    def _every_page(
        self, table: str, read_page: Callable[[], Any], kwargs: dict[str, Any]
    ) -> Iterator[Item]:
        """The items of a Query or Scan (`read_page` sends it with `kwargs`), following
        LastEvaluatedKey across pages; nothing is sent before the first item is asked for."""
        while True:
            with self._translated_errors(table):
                page = read_page()
            for raw in page.get("Items", []):
                yield from_item(raw)
            if not (last_key := page.get("LastEvaluatedKey")):
                return
            kwargs["ExclusiveStartKey"] = last_key

    # --- batches and transactions ---------------------------------------------

    def batch_write(
        self,
        table: str,
        *,
        puts: Iterable[Mapping[str, Any]] = (),
        delete_keys: Iterable[Mapping[str, Any]] = (),
    ) -> int:
        """Unconditional puts and deletes in batches of 25, retrying UnprocessedItems.

        Returns how many requests were written.
        """
        name = self.table_name(table)
        requests: Iterator[dict[str, Any]] = (
            {"PutRequest": {"Item": to_item(item)}} for item in puts
        )
        deletes = ({"DeleteRequest": {"Key": to_item(key)}} for key in delete_keys)
        written = 0
        for chunk in _chunks(chain(requests, deletes), BATCH_WRITE_SIZE):
            pending: dict[str, Any] = {name: chunk}
            for _ in retry.attempts(BATCH_ATTEMPTS):
                with self._translated_errors(table):
                    pending = (
                        self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems")
                        or {}
                    )
                if not pending:
                    break
            else:
                raise StorageError(
                    "DynamoDB left writes unprocessed after retries: run the command again"
                )
            written += len(chunk)
        return written

    def batch_get(
        self,
        table: str,
        keys: Iterable[Mapping[str, Any]],
        *,
        projection: Sequence[str] | None = None,
        consistent: bool = False,
    ) -> list[Item]:
        """Items for `keys` (missing ones are left out), 100 a request, retrying UnprocessedKeys."""
        name = self.table_name(table)
        found: list[Item] = []
        for chunk in _chunks(keys, BATCH_GET_SIZE):
            request: dict[str, Any] = {"Keys": [to_item(k) for k in chunk]}
            if consistent:
                request["ConsistentRead"] = True
            if projection:
                request.update(_projection(projection))
            pending: dict[str, Any] = {name: request}
            for _ in retry.attempts(BATCH_ATTEMPTS):
                with self._translated_errors(table):
                    response = self.client.batch_get_item(RequestItems=pending)
                found.extend(from_item(raw) for raw in response.get("Responses", {}).get(name, []))
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
            else:
                raise StorageError(
                    "DynamoDB left reads unprocessed after retries: run the command again"
                )
        return found

    def put_op(
        self,
        table: str,
        item: Mapping[str, Any],
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One Put request, for `put` or for `transact_write`."""
        body = {"TableName": self.table_name(table), "Item": to_item(item)}
        body.update(_expression_args(condition, names, values))
        return {"Put": body}

    def update_op(
        self,
        table: str,
        key: Mapping[str, Any],
        *,
        update: str,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One Update request, for `update` or for `transact_write`."""
        body = {
            "TableName": self.table_name(table),
            "Key": to_item(key),
            "UpdateExpression": update,
        }
        body.update(_expression_args(condition, names, values))
        return {"Update": body}

    def delete_op(
        self,
        table: str,
        key: Mapping[str, Any],
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One Delete request, for `delete` or for `transact_write`."""
        body = {"TableName": self.table_name(table), "Key": to_item(key)}
        body.update(_expression_args(condition, names, values))
        return {"Delete": body}

    def transact_write(self, operations: Sequence[dict[str, Any]]) -> None:
        """All operations or none; raises TransactionCancelled with one reason per operation."""
        if not 0 < len(operations) <= TRANSACTION_SIZE:
            raise ValueError(f"a transaction takes 1 to {TRANSACTION_SIZE} operations")
        with self._translated_errors():
            self.client.transact_write_items(TransactItems=list(operations))  # type: ignore[arg-type]

    # --- tables -------------------------------------------------------------

    def describe_table(self, table: str) -> TableState | None:
        """The table's state, or None when it does not exist."""
        from botocore.exceptions import ClientError

        try:
            with self._translated_errors(table):
                try:
                    description = self.client.describe_table(TableName=self.table_name(table))
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                        return None
                    raise
        except TablesMissing:
            return None
        info = description["Table"]
        indexes = info.get("GlobalSecondaryIndexes", [])
        return TableState(
            status=info["TableStatus"],
            hash_key=_hash_and_range(info["KeySchema"])[0],
            indexes=tuple(
                IndexSpec(index["IndexName"], *_hash_and_range(index["KeySchema"]))
                for index in indexes
            ),
            index_statuses=tuple(index.get("IndexStatus", "ACTIVE") for index in indexes),
            item_count=int(info.get("ItemCount", 0)),
        )

    def create_table(self, spec: TableSpec) -> bool:
        """Create the table; False when one of that name exists already."""

        def key_schema(hash_key: str, range_key: str | None) -> list[dict[str, str]]:
            schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
            if range_key:
                schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
            return schema

        kwargs: dict[str, Any] = {
            "TableName": self.table_name(spec.name),
            "KeySchema": key_schema(spec.hash_key, None),
            "AttributeDefinitions": [
                {"AttributeName": name, "AttributeType": "S"} for name in spec.key_attributes()
            ],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if spec.indexes:
            kwargs["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": index.name,
                    "KeySchema": key_schema(index.hash_key, index.range_key),
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index in spec.indexes
            ]
        from botocore.exceptions import ClientError

        with self._translated_errors(spec.name):
            try:
                self.client.create_table(**kwargs)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "ResourceInUseException":
                    return False  # created since we looked, e.g. by a parallel init-tables
                raise
        return True

    def delete_table(self, table: str) -> None:
        with self._translated_errors(table):
            self.client.delete_table(TableName=self.table_name(table))

    def wait_until_active(
        self, tables: Sequence[str], *, timeout: float = 600, poll: float = 1.0
    ) -> None:
        """Poll DescribeTable until every table and its indexes are ACTIVE."""
        deadline = time.monotonic() + timeout
        waiting = list(tables)
        while waiting:
            waiting = [
                t for t in waiting if not ((state := self.describe_table(t)) and state.active)
            ]
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise StorageError(
                    f"tables still not ACTIVE after {timeout:.0f}s: {', '.join(waiting)}"
                )
            time.sleep(poll)

    # --- conditional bulk puts -------------------------------------------------

    def put_if_absent(
        self, table: str, items: Sequence[Mapping[str, Any]], *, key: str
    ) -> list[bool]:
        """Put each item unless one with the same `key` exists; True where it was written.

        BatchWriteItem cannot take a condition, so this writes TransactWriteItems of up to
        100 Puts, each with attribute_not_exists (on DynamoDB Local several times faster
        than single conditional puts). When some items exist already the transaction is
        cancelled with a reason per item: those are dropped and the rest is sent again.
        An existing item is never overwritten. Items must have distinct keys.
        """
        written = [False] * len(items)
        for chunk in _chunks(range(len(items)), TRANSACTION_SIZE):
            todo: list[int] = chunk
            for _ in retry.attempts(BATCH_ATTEMPTS):
                todo = self._put_until_transient(table, items, todo, key, written)
                if not todo:
                    break
            else:
                raise StorageError(
                    "DynamoDB kept cancelling the writes (conflicting writes or "
                    "throttling): run the command again"
                )
        return written

    def _put_until_transient(
        self,
        table: str,
        items: Sequence[Mapping[str, Any]],
        todo: list[int],
        key: str,
        written: list[bool],
    ) -> list[int]:
        """Send `todo` until written, dropping items that exist; returns what is left to
        send after a transient cancellation (empty when all is settled)."""
        while todo:
            operations = [
                self.put_op(
                    table, items[i], condition="attribute_not_exists(#key)", names={"#key": key}
                )
                for i in todo
            ]
            try:
                self.transact_write(operations)
            except TransactionCancelled as exc:
                todo, transient = self._still_to_put(todo, exc.reasons)
                if transient:
                    return todo
                continue
            for i in todo:
                written[i] = True
            return []
        return []

    @staticmethod
    def _still_to_put(todo: list[int], reasons: list[str | None]) -> tuple[list[int], bool]:
        """After a cancelled transaction of conditional puts: which to send again, and
        whether to wait first (a transient reason) rather than resend at once."""
        if len(reasons) != len(todo):
            raise StorageError("DynamoDB cancelled the writes without saying why: run it again")
        transient = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
        unexpected = {str(r) for r in reasons} - transient - {"None", "ConditionalCheckFailed"}
        if unexpected:
            raise StorageError(f"DynamoDB refused the writes ({', '.join(sorted(unexpected))})")
        again = [
            i for i, reason in zip(todo, reasons, strict=True) if reason != "ConditionalCheckFailed"
        ]
        # Nothing dropped and nothing transient would resend the same request forever.
        wait = len(again) == len(todo) or any(reason in transient for reason in reasons)
        return again, wait


def _hash_and_range(schema: Sequence[Mapping[str, Any]]) -> tuple[str, str | None]:
    hash_key = next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")
    range_key = next((k["AttributeName"] for k in schema if k["KeyType"] == "RANGE"), None)
    return hash_key, range_key


def _read_args(
    names: Mapping[str, str] | None,
    values: Mapping[str, Any] | None,
    projection: Sequence[str] | None,
) -> dict[str, Any]:
    """The expression arguments of a Query or Scan, with its projection's names."""
    all_names = dict(names or {})
    args: dict[str, Any] = {}
    if projection:
        projected = _projection(projection)
        all_names.update(projected.pop("ExpressionAttributeNames"))
        args.update(projected)
    args.update(_expression_args(None, all_names, values))
    return args


def _projection(attributes: Sequence[str]) -> dict[str, Any]:
    names = {f"#p{i}": name for i, name in enumerate(attributes)}
    return {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}


def _expression_args(
    condition: str | None,
    names: Mapping[str, str] | None,
    values: Mapping[str, Any] | None,
) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if condition:
        args["ConditionExpression"] = condition
    if names:
        args["ExpressionAttributeNames"] = dict(names)
    if values:
        args["ExpressionAttributeValues"] = _values(values)
    return args
