"""Where a backup is written to and read from: files written whole or not at all, and
input that can be read twice (a file), or is kept in a private temporary file (stdin)."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from budgetcli.errors import InvalidInput

BACKUP_MODE = 0o600  # it holds the password hash


def _cannot(action: str, path: Path, exc: OSError) -> InvalidInput:
    if isinstance(exc, FileNotFoundError):
        return InvalidInput(f"cannot {action} {path}: {path.parent} does not exist")
    if isinstance(exc, IsADirectoryError):
        return InvalidInput(f"{path} is a directory: give a file name")
    if isinstance(exc, PermissionError):
        return InvalidInput(f"cannot {action} {path}: permission denied")
    return InvalidInput(f"cannot {action} {path}: {exc.strerror or exc}")


@contextlib.contextmanager
def written_whole(path: Path) -> Iterator[BinaryIO]:
    """A file that appears at `path` (mode 0600) only once everything was written and
    synced; if the work fails, `path` is left as it was."""
    if path.is_dir():
        raise InvalidInput(f"{path} is a directory: give a file name")
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.")
    except OSError as exc:
        raise _cannot("write", path, exc) from None
    try:
        os.fchmod(fd, BACKUP_MODE)
        with os.fdopen(fd, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # the rename itself survives a crash
        directory = os.open(path.parent or ".", os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


@contextlib.contextmanager
def readable_twice(path: Path | None) -> Iterator[tuple[BinaryIO, BinaryIO | None]]:
    """(input, spool): a regular file is read as it is, and can be read again from the
    start; stdin, a pipe or a FIFO is copied into `spool` (a private temporary file,
    gone when closed) while it is read the first time."""
    with contextlib.ExitStack() as stack:
        if path is None:
            stream: BinaryIO = sys.stdin.buffer
        else:
            try:
                stream = stack.enter_context(path.open("rb"))
            except OSError as exc:
                if isinstance(exc, FileNotFoundError):
                    raise InvalidInput(f"{path} does not exist") from None
                raise _cannot("read", path, exc) from None
        spool = None
        if path is None or not stream.seekable():
            spool = stack.enter_context(tempfile.TemporaryFile("w+b"))
        yield stream, spool
