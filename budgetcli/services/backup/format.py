"""The backup file: JSON Lines, one item a line, between a header and a closing line.

    {"format": "budgetcli-backup", "version": 1, "user_id": ..., "username": ..., ...}
    {"kind": "user", "item": {"user_id": {"S": "..."}, ...}}
    ... one line per item, each item in DynamoDB JSON (types kept exactly) ...
    {"end": "budgetcli-backup", "items": 1234, "counts": {"expense": 1200, ...}, "sha256": ...}

The closing line holds the SHA-256 of every byte before it, so a file that was cut short,
had lines removed, or was edited is refused as a whole before anything is written.
docs/backup.md is the reader's description; this module is the one that reads and writes it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO

from budgetcli.errors import InvalidInput
from budgetcli.store import Item

FORMAT = "budgetcli-backup"
VERSION = 1
"""The format this budgetcli writes. Adding a kind of item makes a new version (older
budgetcli refuse it, asking for an upgrade); changing a kind's shape also needs an entry
in UPGRADES, so that files of every earlier version still restore."""
OLDEST_VERSION = 1
UPGRADES: dict[int, Callable[[str, Item], tuple[str, Item]]] = {}
"""version -> how a (kind, item) of that version becomes one of the next version."""
# An item is at most 400 KB in DynamoDB; its DynamoDB JSON is at most a few times that.
MAX_LINE_BYTES = 4 << 20


@dataclass(frozen=True)
class Header:
    version: int
    user_id: str
    username: str
    written_at: str


@dataclass
class Footer:
    items: int
    counts: dict[str, int]
    sha256: str


# --- DynamoDB JSON ------------------------------------------------------------------------


class BadItem(ValueError):
    """An item that is not DynamoDB JSON; the message says where."""


def encode(value: Any) -> dict[str, Any]:
    """A plain value (as the store returns it) as DynamoDB JSON, binary in base64."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, bytes | bytearray):
        return {"B": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Mapping):
        return {"M": encode_item(value)}
    if isinstance(value, list | tuple):
        return {"L": [encode(item) for item in value]}
    if isinstance(value, set | frozenset):
        members = [encode(item) for item in value]
        kinds = {next(iter(member)) for member in members}
        if len(kinds) == 1 and (kind := kinds.pop()) in ("S", "N", "B"):
            return {f"{kind}S": sorted(member[kind] for member in members)}
    raise TypeError(f"{type(value).__name__} is not a DynamoDB value")


def encode_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item in DynamoDB JSON, its attributes in order of name (a backup of the same
    data is the same file, but for its date)."""
    return {str(name): encode(item[name]) for name in sorted(item)}


def decode_item(typed: object) -> Item:
    """An item in DynamoDB JSON as plain values; BadItem says what is wrong."""
    if not isinstance(typed, dict) or not typed:
        raise BadItem("it is not an object of attributes")
    return {name: _decode(value, name) for name, value in typed.items()}


def _decode(typed: object, where: str) -> Any:
    if not isinstance(typed, dict) or len(typed) != 1:
        raise BadItem(f"{where} is not one typed DynamoDB value")
    [(kind, value)] = typed.items()
    if kind == "S" and isinstance(value, str):
        return value
    if kind == "N" and isinstance(value, str):
        return _number(value, where)
    if kind == "BOOL" and isinstance(value, bool):
        return value
    if kind == "NULL" and value is True:
        return None
    if kind == "B" and isinstance(value, str):
        return _binary(value, where)
    if kind == "M" and isinstance(value, dict):
        return {name: _decode(member, f"{where}.{name}") for name, member in value.items()}
    if kind == "L" and isinstance(value, list):
        return [_decode(member, f"{where}[{n}]") for n, member in enumerate(value)]
    if kind in ("SS", "NS", "BS") and isinstance(value, list) and value:
        if all(isinstance(member, str) for member in value):
            if kind == "SS":
                return set(value)
            if kind == "NS":
                return {_number(member, where) for member in value}
            return {_binary(member, where) for member in value}
    if kind in ("S", "N", "BOOL", "NULL", "B", "M", "L", "SS", "NS", "BS"):
        raise BadItem(f"{where} is not a valid {kind!r} value")
    raise BadItem(f"{where} has a type DynamoDB does not have ({kind!r})")


def _number(text: str, where: str) -> Decimal:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise BadItem(f"{where} is not a number") from None
    if not number.is_finite():
        raise BadItem(f"{where} is not a number")
    return number


def _binary(text: str, where: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadItem(f"{where} is not base64") from None


# --- writing ------------------------------------------------------------------------------


def _line(document: Mapping[str, Any]) -> bytes:
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8") + b"\n"


@dataclass
class Writer:
    """Writes a backup line by line, hashing what it writes."""

    stream: BinaryIO
    digest: Any = field(default_factory=hashlib.sha256)
    counts: dict[str, int] = field(default_factory=dict)

    def header(self, header: Header, written_by: str) -> None:
        self._write(
            _line(
                {
                    "format": FORMAT,
                    "version": header.version,
                    "user_id": header.user_id,
                    "username": header.username,
                    "written_at": header.written_at,
                    "written_by": written_by,
                }
            )
        )

    def item(self, kind: str, item: Mapping[str, Any]) -> None:
        self._write(_line({"kind": kind, "item": encode_item(item)}))
        self.counts[kind] = self.counts.get(kind, 0) + 1

    def close(self) -> Footer:
        footer = Footer(sum(self.counts.values()), dict(self.counts), self.digest.hexdigest())
        self.stream.write(
            _line(
                {
                    "end": FORMAT,
                    "items": footer.items,
                    "counts": footer.counts,
                    "sha256": footer.sha256,
                }
            )
        )
        self.stream.flush()
        return footer

    def _write(self, line: bytes) -> None:
        self.digest.update(line)
        self.stream.write(line)


# --- reading ------------------------------------------------------------------------------


def refused(name: str, what: str) -> InvalidInput:
    return InvalidInput(f"{name}: {what}")


@dataclass(frozen=True)
class Line:
    number: int
    kind: str
    item: Item


def _raw_lines(stream: BinaryIO, name: str) -> Iterator[tuple[int, bytes]]:
    number = 0
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise refused(name, f"line {number} is longer than any item can be: not a backup")
        yield number, raw


def _json(raw: bytes, number: int, name: str) -> Any:
    def no_constants(constant: str) -> None:
        raise ValueError(f"{constant} is not a JSON number")

    try:
        return json.loads(raw, parse_constant=no_constants)
    except ValueError as exc:
        if not raw.endswith(b"\n"):
            raise refused(
                name,
                f"the file is truncated: its last line, {number}, is cut short "
                "(make the backup again)",
            ) from None
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise refused(name, f"line {number} is not JSON ({detail}): the file is damaged") from None


def read_header(raw: bytes | None, name: str) -> Header:
    if raw is None:
        raise refused(name, "the file is empty: it is not a budgetcli backup")
    try:
        document = json.loads(raw)
    except ValueError:
        document = None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise refused(name, "not a budgetcli backup (its first line is not a backup header)")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < OLDEST_VERSION:
        raise refused(name, f"backup format version {version!r} is not one budgetcli reads")
    if version > VERSION:
        raise refused(
            name,
            f"written by a newer budgetcli (backup format {version}; this one reads formats "
            f"{OLDEST_VERSION} to {VERSION}): upgrade budgetcli to restore it",
        )
    fields = {key: document.get(key) for key in ("user_id", "username", "written_at")}
    if not all(isinstance(value, str) and value for value in fields.values()):
        raise refused(name, "its header lacks the account's user_id, username or date")
    user_id = str(fields["user_id"])
    if "#" in user_id or len(user_id) > 128:
        raise refused(name, f"its header names no account budgetcli could have ({user_id!r})")
    return Header(version, user_id, str(fields["username"]), str(fields["written_at"]))


def read_backup(
    stream: BinaryIO, name: str, known_kinds: frozenset[str]
) -> tuple[Header, Iterator[Line]]:
    """The header of a backup, read at once, and its items, read as they are used.

    The items come upgraded to the current format; each line is checked as it is read
    and, at the end, that the closing line is there and matches what came before: else
    InvalidInput names what is wrong. `stream` must be at the file's start.
    """
    lines = _raw_lines(stream, name)
    first = next(lines, None)
    header = read_header(first[1] if first else None, name)
    assert first is not None
    return header, _items(lines, first, header, name, known_kinds)


def _items(
    lines: Iterator[tuple[int, bytes]],
    first: tuple[int, bytes],
    header: Header,
    name: str,
    known_kinds: frozenset[str],
) -> Iterator[Line]:
    digest = hashlib.sha256(first[1])
    counts: dict[str, int] = {}
    last = first[0]
    for number, raw in lines:
        last = number
        document = _json(raw, number, name)
        if isinstance(document, dict) and document.get("end") == FORMAT:
            _check_footer(document, counts, digest.hexdigest(), name)
            if (extra := next(lines, None)) is not None:
                raise refused(name, f"line {extra[0]} comes after the closing line")
            return
        digest.update(raw)
        kind, item = _item(document, number, name, known_kinds, header.version)
        written_as = document["kind"]  # the closing line counts kinds as they were written
        counts[written_as] = counts.get(written_as, 0) + 1
        yield Line(number, kind, item)
    raise refused(
        name,
        f"the file is truncated: it ends at line {last} without its closing line "
        "(make the backup again)",
    )


def _item(
    document: object, number: int, name: str, known_kinds: frozenset[str], version: int
) -> tuple[str, Item]:
    if not isinstance(document, dict) or set(document) != {"kind", "item"}:
        raise refused(name, f"line {number} is not an item line: the file is damaged")
    kind = document["kind"]
    if not isinstance(kind, str) or (version == VERSION and kind not in known_kinds):
        raise refused(name, f"line {number} has an unknown kind of item {kind!r}")
    try:
        item = decode_item(document["item"])
    except BadItem as exc:
        raise refused(name, f"line {number}: the {kind} item is not valid: {exc}") from None
    for older in range(version, VERSION):
        kind, item = UPGRADES[older](kind, item)
    if kind not in known_kinds:
        raise refused(name, f"line {number} has an unknown kind of item {kind!r}")
    return kind, item


def _check_footer(document: dict[str, Any], counts: dict[str, int], digest: str, name: str) -> None:
    said = document.get("counts")
    if said != counts or document.get("items") != sum(counts.values()):
        total = document.get("items")
        raise refused(
            name,
            f"it holds {sum(counts.values())} items but its closing line says {total}: "
            "lines were removed or added after it was written",
        )
    if document.get("sha256") != digest:
        raise refused(
            name,
            "it was changed after it was written (its checksum does not match): "
            "restore an unchanged copy",
        )
