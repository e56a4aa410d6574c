"""Where budgetcli keeps its files, and the settings read from env and config.toml.

Environment variables win over the config file, which wins over the defaults.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from budgetcli.errors import ConfigError

APP_NAME = "budgetcli"
DEFAULT_TABLE_PREFIX = "smart-budget"
DEFAULT_LOCAL_PORT = 8642
DEFAULT_LOCAL_HEAP_MB = 256
DEFAULT_SESSION_DAYS = 30
DEFAULT_TIMEOUT_SECONDS = 10

BACKENDS = ("local", "aws")
# DynamoDB table names are 3-255 of [A-Za-z0-9_.-]; the longest suffix we add is
# "-notifications", so the prefix must leave room for it.
_TABLE_PREFIX_RE = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")


def config_dir() -> Path:
    """BUDGET_CONFIG_DIR, else $XDG_CONFIG_HOME/budgetcli, else the one `budget login`
    recorded (see `location_file`), else ~/.config/budgetcli."""
    if override := os.environ.get("BUDGET_CONFIG_DIR"):
        return Path(override)
    if base := os.environ.get("XDG_CONFIG_HOME"):
        return Path(base) / APP_NAME
    return _recorded_location("config_dir") or _home_config_dir()


def data_dir() -> Path:
    """BUDGET_DATA_DIR, else $XDG_DATA_HOME/budgetcli, else the one `budget login`
    recorded (see `location_file`), else ~/.local/share/budgetcli."""
    if override := os.environ.get("BUDGET_DATA_DIR"):
        return Path(override)
    if base := os.environ.get("XDG_DATA_HOME"):
        return Path(base) / APP_NAME
    return _recorded_location("data_dir") or _home_data_dir()


def _home_config_dir() -> Path:
    return Path.home() / ".config" / APP_NAME


def _home_data_dir() -> Path:
    return Path.home() / ".local" / "share" / APP_NAME


def location_file() -> Path:
    """Where `budget login` records the directories it used when XDG variables chose
    them, so that a run without those variables (cron) uses the same ones.

    It is in the one place both can find from HOME alone: ~/.config/budgetcli/.
    """
    return _home_config_dir() / "location.json"


def _recorded_location(name: str) -> Path | None:
    import json

    path = location_file()
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        recorded = None
    value = recorded.get(name) if isinstance(recorded, dict) else None
    if not isinstance(value, str) or not Path(value).is_absolute():
        raise ConfigError(
            f"{path} is not a record budgetcli can read: delete it, then run "
            "`budget login` again from your usual shell"
        )
    return Path(value)


def remember_location() -> Path | None:
    """After `budget login`: record the config and data directories when XDG variables
    chose them, for runs without those variables (cron); forget any earlier record when
    they are the defaults. Returns the record's path when one was written.

    BUDGET_CONFIG_DIR and BUDGET_DATA_DIR are explicit choices, for tests and demos as
    much as people: a run with them records nothing.
    """
    import json

    if os.environ.get("BUDGET_CONFIG_DIR") or os.environ.get("BUDGET_DATA_DIR"):
        return None
    if not (os.environ.get("XDG_CONFIG_HOME") or os.environ.get("XDG_DATA_HOME")):
        return None  # this run found its directories as cron will
    record = {"config_dir": str(config_dir()), "data_dir": str(data_dir())}
    path = location_file()
    if record == {"config_dir": str(_home_config_dir()), "data_dir": str(_home_data_dir())}:
        path.unlink(missing_ok=True)
        return None
    data = json.dumps(record, indent=2).encode() + b"\n"
    try:
        unchanged = path.read_bytes() == data
    except OSError:
        unchanged = False
    if not unchanged:
        write_file_atomically(path, data)
    return path


def config_file() -> Path:
    return config_dir() / "config.toml"


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) with mode 0700 if missing."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create {path} ({exc.strerror}): point BUDGET_CONFIG_DIR or "
            "BUDGET_DATA_DIR at a directory you can write"
        ) from None
    return path


def write_file_atomically(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write to a temp file beside `path`, fsync, then rename over it.

    Readers see the old file or the new one, never half of either.
    """
    ensure_private_dir(path.parent)
    try:
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ConfigError(f"cannot write in {path.parent} ({exc.strerror})") from None
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Settings:
    backend: str = "local"
    endpoint_url: str | None = None
    table_prefix: str = DEFAULT_TABLE_PREFIX
    local_port: int = DEFAULT_LOCAL_PORT
    local_heap_mb: int = DEFAULT_LOCAL_HEAP_MB
    session_days: int = DEFAULT_SESSION_DAYS
    region: str | None = None
    ses_sender: str | None = None
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}): fix or delete it") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None


def _int_setting(name: str, raw: object, low: int, high: int) -> int:
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


# The keys config.toml may hold; anything else is a typo that would be ignored silently.
CONFIG_KEYS = (
    "backend",
    "endpoint_url",
    "table_prefix",
    "local_port",
    "local_heap_mb",
    "session_days",
    "region",
    "ses_sender",
    "timeout_seconds",
)


def _check_keys(path: Path, values: dict[str, Any]) -> None:
    import difflib

    for key in values:
        if key not in CONFIG_KEYS:
            close = difflib.get_close_matches(key, CONFIG_KEYS, n=1)
            known = ", ".join(CONFIG_KEYS)
            hint = f"did you mean {close[0]}?" if close else f"the keys are {known}"
            raise ConfigError(f"{path} has an unknown setting {key!r}: {hint}")


def load_settings() -> Settings:
    """Settings from the environment and config.toml, validated."""
    path = config_file()
    file_values = _read_config_file(path)
    _check_keys(path, file_values)

    def pick(env_name: str, key: str) -> object | None:
        """The environment's value, else the file's; None when neither sets it (an empty
        variable counts as unset; a value in the file, even 0 or "", is checked)."""
        if (value := os.environ.get(env_name)) not in (None, ""):
            return value
        return file_values.get(key)

    backend = str(pick("BUDGET_BACKEND", "backend") or "local").strip().lower()
    if backend not in BACKENDS:
        raise ConfigError(f"BUDGET_BACKEND must be 'local' or 'aws', got {backend!r}")

    endpoint_url = pick("BUDGET_ENDPOINT_URL", "endpoint_url")
    if endpoint_url is not None:
        endpoint_url = str(endpoint_url).strip()
        if not re.match(r"^https?://[^\s/]+", endpoint_url):
            raise ConfigError(
                f"BUDGET_ENDPOINT_URL must be an http(s) URL such as http://127.0.0.1:8000, "
                f"got {endpoint_url!r}"
            )

    table_prefix = str(pick("BUDGET_TABLE_PREFIX", "table_prefix") or DEFAULT_TABLE_PREFIX)
    if not _TABLE_PREFIX_RE.match(table_prefix):
        raise ConfigError(
            "BUDGET_TABLE_PREFIX must be 1-200 letters, digits, '_', '.' or '-', "
            f"got {table_prefix!r}"
        )

    port = pick("BUDGET_LOCAL_PORT", "local_port")
    heap = pick("BUDGET_LOCAL_HEAP_MB", "local_heap_mb")
    days = pick("BUDGET_SESSION_DAYS", "session_days")
    region = pick("AWS_REGION", "region") or os.environ.get("AWS_DEFAULT_REGION")
    sender = pick("BUDGET_SES_SENDER", "ses_sender")
    timeout = pick("BUDGET_TIMEOUT", "timeout_seconds")
    return Settings(
        backend=backend,
        endpoint_url=str(endpoint_url) if endpoint_url else None,
        table_prefix=table_prefix,
        local_port=_int_setting("local_port", port, 1024, 65535)
        if port is not None
        else DEFAULT_LOCAL_PORT,
        local_heap_mb=_int_setting("local_heap_mb", heap, 64, 8192)
        if heap is not None
        else DEFAULT_LOCAL_HEAP_MB,
        session_days=_int_setting("session_days", days, 1, 365)
        if days is not None
        else DEFAULT_SESSION_DAYS,
        region=str(region) if region else None,
        ses_sender=str(sender) if sender else None,
        timeout_seconds=_int_setting("timeout_seconds", timeout, 1, 300)
        if timeout is not None
        else DEFAULT_TIMEOUT_SECONDS,
    )


def session_file() -> Path:
    return config_dir() / "session.json"


def read_session_file() -> tuple[object | None, bool]:
    """The session file's JSON (None when there is none) and whether its mode was fixed.

    A session file readable by others is tightened to 0600 rather than trusted as is.
    """
    import json

    path = session_file()
    try:
        mode = path.stat().st_mode & 0o777
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, False
    except UnicodeDecodeError:
        return {"corrupt": True}, False
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    fixed = False
    if mode & 0o077:
        os.chmod(path, 0o600)
        fixed = True
    try:
        return json.loads(text), fixed
    except ValueError:
        return {"corrupt": True}, fixed


def write_session_file(data: dict[str, Any]) -> Path:
    import json

    path = session_file()
    ensure_private_dir(path.parent)
    os.chmod(path.parent, 0o700)
    write_file_atomically(path, json.dumps(data, indent=2).encode(), mode=0o600)
    return path


def remove_session_file() -> bool:
    try:
        session_file().unlink()
    except FileNotFoundError:
        return False
    return True
