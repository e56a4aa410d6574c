"""Domain exceptions and the exit codes of the command-line contract (CLI.md)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    AUTH = 3
    STORAGE = 4


class BudgetError(Exception):
    """An error the user can act on; its message is printed as one line."""

    exit_code: ExitCode = ExitCode.ERROR


class InvalidInput(BudgetError):
    pass


class NotFound(BudgetError):
    pass


class Conflict(BudgetError):
    pass


class ConfigError(BudgetError):
    pass


class AuthError(BudgetError):
    exit_code = ExitCode.AUTH


class StorageError(BudgetError):
    exit_code = ExitCode.STORAGE


class StorageUnavailable(StorageError):
    pass


class TablesMissing(StorageError):
    pass


class EngineError(BudgetError):
    """The embedded DynamoDB Local could not be installed, started or stopped."""

    exit_code = ExitCode.STORAGE
