"""A progress bar on stderr for long work, shown only on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

from budgetcli import output

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

T = TypeVar("T")
# A progress bar for a few seconds of work or less is only flicker.
PROGRESS_MIN_ROWS = 300


class ProgressBar:
    """A transient Rich bar on stderr, shown only on a terminal and only for long work.

    With no known total it appears once `PROGRESS_MIN_ROWS` rows are done. Use it as a
    context manager, so that it is gone before anything else is printed.
    """

    def __init__(self, description: str, total: int | None) -> None:
        self.description = description
        self.total = total
        self.enabled = sys.stderr.isatty() and (total is None or total > PROGRESS_MIN_ROWS)
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        if self.progress is None:
            if done <= PROGRESS_MIN_ROWS and self.total is None:
                return
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=output.stderr_console(),
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task(self.description, total=self.total)
        assert self.task is not None
        self.progress.update(self.task, completed=done)

    def counted(self, items: Iterable[T]) -> Iterator[T]:
        """`items`, moving the bar on as each is used."""
        for done, item in enumerate(items, start=1):
            yield item
            self.update(done)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.progress is not None:
            self.progress.stop()
