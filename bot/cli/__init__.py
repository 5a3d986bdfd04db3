"""The `clvbot` command line: the composition root that wires settings, store and core."""

from bot.cli.app import app, main

__all__ = ["app", "main"]
