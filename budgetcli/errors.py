"""Domain exceptions and the exit codes of the command-line contract (docs/cli.md).

An error names the parameters it is about with `Field`, by the name the service knows
them by (`first`, `limit`); only `cli/` knows that `first` was typed as `--from`, and
shows it that way (see `BudgetError.render`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    AUTH = 3
    STORAGE = 4
    INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C
    BROKEN_PIPE = 141  # 128 + SIGPIPE: what coreutils end with when their reader goes away


@dataclass(frozen=True)
class Field:
    """A parameter named in an error message."""

    name: str


def render(parts: Iterable[str | Field], names: Mapping[str, str] | None = None) -> str:
    """The text of `parts`, each Field shown as `names` says (by its own name otherwise)."""
    names = names or {}
    return "".join(
        part if isinstance(part, str) else names.get(part.name, part.name) for part in parts
    )


class BudgetError(Exception):
    """An error the user can act on; its message is printed as one line."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, *parts: str | Field) -> None:
        super().__init__(*parts)
        self.parts = parts

    def render(self, names: Mapping[str, str] | None = None) -> str:
        """The message, each Field shown as `names` says (by its own name otherwise)."""
        return render(self.parts, names)

    def __str__(self) -> str:
        return self.render()


class InvalidInput(BudgetError):
    pass


class NotFound(BudgetError):
    pass


class Conflict(BudgetError):
    pass


class ConfigError(BudgetError):
    pass


class BadUsage(BudgetError):
    """Options that cannot go together; exit 2 like any other usage error."""

    exit_code = ExitCode.USAGE


class AuthError(BudgetError):
    exit_code = ExitCode.AUTH


class StorageError(BudgetError):
    exit_code = ExitCode.STORAGE


class StorageUnavailable(StorageError):
    pass


class TablesMissing(StorageError):
    pass


class Interrupted(BudgetError):
    """Stopped by Ctrl-C."""

    exit_code = ExitCode.INTERRUPTED


class EngineError(BudgetError):
    """The embedded DynamoDB Local could not be installed, started or stopped."""

    exit_code = ExitCode.STORAGE
