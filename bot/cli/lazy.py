"""Sub-commands loaded when they run: `clvbot --help` imports typer and rich, nothing else.

Each command module (and what it imports: SQLAlchemy, scipy, slack-bolt, matplotlib) is
imported only when that command is invoked or asked for its own `--help`. The top-level help
lists the commands from the table below, whose one-line help a test compares with each
command's docstring. This is Click's documented pattern for lazily loaded sub-commands
(https://click.palletsprojects.com/en/stable/complex/#lazily-loading-subcommands), on Typer's
vendored Click.

Typer's help shows flags as `--json <bool>` although a flag takes no value (`--json=false`
is refused); `PlainFlags` shows a flag without a type, so the help says what the parser does.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer import _click
from typer.core import TyperCommand, TyperGroup, TyperOption


@dataclass(frozen=True)
class LazyCommand:
    name: str
    module: str  # under bot.cli
    attribute: str  # a command function, or a typer.Typer holding a group of them
    short_help: str


class PlainFlags:
    """Mixin for Typer commands and groups: flags (and --help) are shown without a type."""

    def get_params(self, ctx: _click.Context) -> list[_click.Parameter]:
        params: list[_click.Parameter] = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
                param.metavar = ""
        return params


class FlagCommand(PlainFlags, TyperCommand):
    pass


class FlagGroup(PlainFlags, TyperGroup):
    pass


def load_command(entry: LazyCommand) -> _click.Command:
    """The real Click command for `entry`, importing its module now."""
    target = getattr(importlib.import_module(f"bot.cli.{entry.module}"), entry.attribute)
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.name = entry.name
        return group
    single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    single.command(entry.name, cls=FlagCommand)(target)
    return typer.main.get_command(single)


class LazyGroup(FlagGroup):
    """A group whose sub-commands are `LAZY_COMMANDS` entries, loaded on first use."""

    entries: tuple[LazyCommand, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._entries = {e.name: e for e in self.entries}
        self._loaded: set[str] = set()
        for entry in self.entries:  # stand-ins: name and one-line help, for listings and typos
            self.commands[entry.name] = TyperCommand(entry.name, short_help=entry.short_help)

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name in self._entries and name not in self._loaded:
            command = self.commands[name] = load_command(self._entries[name])
            self._loaded.add(name)
        return name, command, rest


def lazy_group(entries: tuple[LazyCommand, ...]) -> type[LazyGroup]:
    """The group class for `typer.Typer(cls=...)`, bound to `entries`."""
    return type("ClvbotGroup", (LazyGroup,), {"entries": entries})
