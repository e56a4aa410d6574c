"""Where budgetcli's files are when a shell sets XDG_CONFIG_HOME/XDG_DATA_HOME and cron
does not: `budget login` records the directories it used in ~/.config/budgetcli/
location.json, and a run without those variables uses the same. No engine needed."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from budgetcli import config
from budgetcli.errors import ConfigError


@pytest.fixture
def home(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME with no BUDGET_*_DIR and no XDG variables: as cron runs a job."""
    for name in ("BUDGET_CONFIG_DIR", "BUDGET_DATA_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    return Path.home()


def in_shell(monkeypatch: pytest.MonkeyPatch, home: Path) -> tuple[Path, Path]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "dots" / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "dots" / "data"))
    return home / "dots" / "config" / "budgetcli", home / "dots" / "data" / "budgetcli"


def in_cron(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.delenv("XDG_DATA_HOME")


def test_without_a_record_cron_uses_the_home_defaults(home: Path) -> None:
    assert config.config_dir() == home / ".config" / "budgetcli"
    assert config.data_dir() == home / ".local" / "share" / "budgetcli"


def test_a_login_under_xdg_variables_is_followed_by_cron(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shell_config, shell_data = in_shell(monkeypatch, home)
    record = config.remember_location()
    assert record == home / ".config" / "budgetcli" / "location.json"
    assert json.loads(record.read_text()) == {
        "config_dir": str(shell_config),
        "data_dir": str(shell_data),
    }
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    in_cron(monkeypatch)
    assert (config.config_dir(), config.data_dir()) == (shell_config, shell_data)
    assert config.session_file() == shell_config / "session.json"
    assert config.config_file() == shell_config / "config.toml"


def test_xdg_variables_win_over_the_record(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    in_shell(monkeypatch, home)
    config.remember_location()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "elsewhere"))
    assert config.config_dir() == home / "elsewhere" / "budgetcli"


def test_a_login_with_the_default_directories_forgets_the_record(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_shell(monkeypatch, home)
    assert config.remember_location() is not None
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    assert config.remember_location() is None
    assert not config.location_file().exists()
    in_cron(monkeypatch)
    assert config.config_dir() == home / ".config" / "budgetcli"


def test_runs_without_xdg_variables_record_nothing(home: Path) -> None:
    assert config.remember_location() is None
    assert not config.location_file().exists()


def test_explicit_budget_dirs_record_nothing(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests and `make demo` point BUDGET_*_DIR at scratch directories: the real cron job
    must never follow them."""
    in_shell(monkeypatch, home)
    monkeypatch.setenv("BUDGET_CONFIG_DIR", str(home / "scratch"))
    assert config.remember_location() is None
    assert not config.location_file().exists()


@pytest.mark.parametrize("text", ["not json", "[]", '{"config_dir": "relative/path"}', "{}"])
def test_an_unreadable_record_is_one_error_naming_the_fix(home: Path, text: str) -> None:
    config.location_file().parent.mkdir(parents=True)
    config.location_file().write_text(text)
    with pytest.raises(ConfigError, match="location.json is not a record budgetcli can read"):
        config.config_dir()
