"""Fault injection on the real call path: botocore `before-send` hooks answering for the engine."""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders


class _RawBody(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


def operation_of(request: Any) -> str:
    """The DynamoDB operation a prepared request calls, e.g. "PutItem"."""
    target = request.headers.get("X-Amz-Target", b"")
    target = target.decode() if isinstance(target, bytes) else target
    return str(target).rsplit(".", 1)[-1]


def error_response(request: Any, code: str, status: int = 400) -> AWSResponse:
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": code})
    headers = HTTPHeaders()
    headers["x-amzn-requestid"] = "injected"
    headers["content-type"] = "application/x-amz-json-1.0"
    return AWSResponse(request.url, status, headers, _RawBody(body.encode()))


@contextmanager
def _sending_through(client: Any, intercept: Any, moto_active: bool) -> Iterator[None]:
    """`intercept` sees every DynamoDB request of `client` first, before moto does."""
    from moto.core.models import botocore_stubber

    client.meta.events.register_first("before-send.dynamodb", intercept)
    try:
        yield
    finally:
        client.meta.events.unregister("before-send.dynamodb", intercept)
        botocore_stubber.enabled = moto_active


@contextmanager
def failing_calls(
    client: Any,
    operation: str,
    code: str,
    *,
    times: int,
    status: int = 400,
) -> Iterator[list[str]]:
    """The first `times` sends of `operation` get error `code` instead of reaching the engine.

    Registered first, so it also runs before moto's own handler. Yields the list of
    outcomes ("injected" or "passed") for every attempt botocore made.
    """
    from moto.core.models import botocore_stubber

    attempts: list[str] = []
    # botocore calls every before-send handler and keeps the first response, so under
    # moto its stubber would still apply an injected request: mute it for those.
    moto_active = botocore_stubber.enabled

    def intercept(request: Any, **_: Any) -> AWSResponse | None:
        botocore_stubber.enabled = moto_active
        if operation_of(request) != operation:
            return None
        if attempts.count("injected") < times:
            attempts.append("injected")
            botocore_stubber.enabled = False
            return error_response(request, code, status)
        attempts.append("passed")
        return None

    with _sending_through(client, intercept, moto_active):
        yield attempts


@contextmanager
def silent_server() -> Iterator[str]:
    """An endpoint that accepts connections and never answers: a hung engine."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
                held.append(connection)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


def run_with_deadline(work: Callable[[], Any], seconds: float) -> Any:
    """Run `work` in a thread; fail the test if it takes longer than `seconds`."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds}s"
    return result[0] if result else None


@contextmanager
def lost_responses(client: Any, operation: str, *, times: int) -> Iterator[list[str]]:
    """The first `times` sends of `operation` reach the engine, but the answer is lost.

    The engine applies the request; botocore sees a 500 and retries it, as it would
    after a connection dropped between DynamoDB and us.
    """
    import urllib.request

    from moto.core.models import botocore_stubber

    attempts: list[str] = []
    moto_active = botocore_stubber.enabled

    def deliver(request: Any) -> None:
        if moto_active:
            botocore_stubber.process_request(request)
            return
        headers = {
            key: value.decode() if isinstance(value, bytes) else value
            for key, value in request.headers.items()
        }
        forwarded = urllib.request.Request(
            request.url, data=request.body, headers=headers, method=request.method
        )
        with urllib.request.urlopen(forwarded, timeout=10) as answer:
            answer.read()

    def intercept(request: Any, **_: Any) -> AWSResponse | None:
        botocore_stubber.enabled = moto_active
        if operation_of(request) != operation:
            return None
        if attempts.count("lost") >= times:
            attempts.append("passed")
            return None
        attempts.append("lost")
        deliver(request)
        botocore_stubber.enabled = False
        return error_response(request, "InternalServerError", 500)

    with _sending_through(client, intercept, moto_active):
        yield attempts


class EngineDeath:
    """Makes DynamoDB unreachable, for every client budgetcli builds, from a chosen call on.

    `die_at(operation, nth)` kills it when the nth call of `operation` is sent (1-based,
    retries not counted); `revive()` brings it back, as `budget local start` would.
    """

    def __init__(self) -> None:
        self.dead = False
        self.trigger: tuple[str, int] | None = None
        self.seen: dict[str, int] = {}

    def die_at(self, operation: str, nth: int = 1) -> None:
        self.trigger, self.seen = (operation, nth), {}

    def revive(self) -> None:
        self.dead, self.trigger = False, None

    def intercept(self, request: Any, **_: Any) -> None:
        from botocore.exceptions import EndpointConnectionError

        operation = operation_of(request)
        retry = "attempt=1" not in str(request.headers.get("amz-sdk-request", "attempt=1"))
        if not retry:
            self.seen[operation] = self.seen.get(operation, 0) + 1
        if self.trigger and self.trigger == (operation, self.seen.get(operation)):
            self.dead = True
        if self.dead:
            raise EndpointConnectionError(endpoint_url=request.url)

    def install(self, monkeypatch: Any) -> None:
        from budgetcli import store as store_module

        real_client = store_module.dynamodb_client

        def dynamodb_client(*args: Any, **kwargs: Any) -> Any:
            client = real_client(*args, **kwargs)
            client.meta.events.register_first("before-send.dynamodb", self.intercept)
            return client

        monkeypatch.setattr(store_module, "dynamodb_client", dynamodb_client)
