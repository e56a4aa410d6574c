"""The local engine's state, as `budget local start` and `status` print it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from budgetcli import output
from budgetcli.output import OutputFormat

if TYPE_CHECKING:
    from budgetcli.local_engine import EngineStatus


def emit_status(status: EngineStatus, fmt: OutputFormat) -> None:
    """People read "147 MiB"; JSON and CSV get numbers: pid, and memory_kib (resident KiB)."""
    fields: dict[str, object]
    if fmt is OutputFormat.TABLE:
        deleted = " (deleted)" if status.data_dir_deleted else ""
        fields = {
            "state": str(status.state),
            "endpoint": status.endpoint,
            "pid": str(status.pid) if status.pid else None,
            "memory": f"{status.memory_kib // 1024} MiB" if status.memory_kib else None,
            "started_at": status.started_at,
            "data_dir": f"{status.data_dir}{deleted}",
        }
    else:
        fields = {
            "state": str(status.state),
            "endpoint": status.endpoint,
            "pid": status.pid,
            "memory_kib": status.memory_kib,
            "started_at": status.started_at,
            "data_dir": str(status.data_dir),
            "data_dir_deleted": status.data_dir_deleted,
        }
    output.emit_object(fmt, {key: value for key, value in fields.items() if value is not None})
