"""docs/cli.md is the contract: every command and option of the program is in it, and
everything it names exists."""

from __future__ import annotations

import re

import typer
from typer.core import TyperGroup, TyperOption

from budgetcli.cli import app
from tests.conftest import REPO

CONTRACT = REPO / "docs" / "cli.md"
# Typer's own, the same in every command.
GENERIC_OPTIONS = {"--help", "--install-completion", "--show-completion"}


def program_commands() -> dict[str, set[str]]:
    """{"budget set": {"--threshold", "--format"}, ...} for every command that runs."""
    found: dict[str, set[str]] = {}

    def walk(prefix: str, group: TyperGroup) -> None:
        for name, command in group.commands.items():
            path = f"{prefix}{name}"
            options = {
                max(param.opts, key=len)
                for param in command.params
                if isinstance(param, TyperOption)
            }
            if isinstance(command, TyperGroup):
                if command.invoke_without_command:  # `budget alerts` runs as well
                    found[path] = options
                walk(f"{path} ", command)
            else:
                found[path] = options
            nested = getattr(command, "nested_groups", None)
            if callable(nested):  # `budget import profiles ...`
                for name_there, nested_group in nested().items():
                    walk(f"{path} {name_there} ", nested_group)

    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    walk("", root)
    return found


def documented_commands() -> dict[str, set[str]]:
    """The commands block of docs/cli.md: each line's command words and its options."""
    block = CONTRACT.read_text().split("## Commands", 1)[1].split("```")[1]
    documented: dict[str, set[str]] = {}
    for line in block.strip().splitlines():
        words = line.split()
        assert words[0] == "budget", line
        path = []
        for word in words[1:]:
            if not re.fullmatch(r"[a-z][a-z-]*", word):
                break
            path.append(word)
        documented[" ".join(path)] = set(re.findall(r"--[a-z][a-z-]*", line))
    return documented


def test_every_command_of_the_program_is_documented_and_no_other() -> None:
    assert sorted(documented_commands()) == sorted(program_commands())


def test_every_option_is_documented_and_every_documented_option_exists() -> None:
    documented = documented_commands()
    for command, options in program_commands().items():
        assert documented[command] == options - GENERIC_OPTIONS, f"budget {command}"


def test_global_options_are_documented() -> None:
    root = typer.main.get_command(app)
    text = CONTRACT.read_text()
    for param in root.params:
        option = max(param.opts, key=len)
        if option not in GENERIC_OPTIONS:
            assert f"`{option}" in text, option
