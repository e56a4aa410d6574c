"""Typer's help renderer, loaded without the two Rich modules our help never uses.

`typer.rich_utils` imports `rich.markdown` (markdown-it-py and Pygments) and
`rich.traceback` at the top, ~40 ms of every `--help` and usage error. It renders
Markdown only with `rich_markup_mode="markdown"` and tracebacks only with pretty
exceptions; the app uses neither. So it is imported once with stand-ins for the two,
which import the real class if they are ever used, and leave `sys.modules` at once.
"""

import sys
import types
from typing import Any


class _Markdown:
    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        from rich.markdown import Markdown

        return Markdown(*args, **kwargs)


class _Traceback:
    @staticmethod
    def from_exception(*args: Any, **kwargs: Any) -> Any:
        from rich.traceback import Traceback

        return Traceback.from_exception(*args, **kwargs)


def import_typer_help() -> None:
    if "typer.rich_utils" in sys.modules:
        return
    stand_ins = {}
    for name, attribute, stand_in in (
        ("rich.markdown", "Markdown", _Markdown),
        ("rich.traceback", "Traceback", _Traceback),
    ):
        if name not in sys.modules:
            module = types.ModuleType(name)
            setattr(module, attribute, stand_in)
            stand_ins[name] = module
    sys.modules.update(stand_ins)
    try:
        import typer.rich_utils  # noqa: F401
    finally:
        for name in stand_ins:
            del sys.modules[name]
