"""Logging for the long-running commands (serve, scheduler, demo): one record, one line.

Anything logged may hold data from outside (a customer name, a Slack field, an error message
quoting either). A newline in it must not start what looks like a record of its own, so the
message is escaped onto its line, and a traceback's lines are indented under a `|`, which no
record starts with. Slack tokens are blanked whoever logs them.
"""

from __future__ import annotations

import logging
import re

_SECRET = re.compile(r"xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")
# C0 and C1 controls (but tab) and Unicode's line and paragraph separators
_BREAKS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def escape_line(text: str) -> str:
    """`text` on one line: `\\n` for a newline, `\\x1b` or `\\u2028` for other breaks."""
    return _BREAKS.sub(lambda m: repr(m.group())[1:-1], text)


class OneLineFormatter(logging.Formatter):
    """Each record starts a line of its own; nothing in it can forge another record."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        record.message = escape_line(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: object) -> str:  # noqa: N802
        return _indented(super().formatException(ei))  # type: ignore[arg-type]

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return _indented(stack_info)


def _indented(text: str) -> str:
    return "\n".join(f"  | {escape_line(line)}" for line in text.splitlines())


class RedactSecrets(logging.Filter):
    """Blanks anything shaped like a Slack token in log records, whoever logs them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _SECRET.search(message):
            record.msg, record.args = _SECRET.sub("[redacted]", message), None
        return True


def configure_logging(level: int = logging.INFO, *, with_time: bool = True) -> None:
    """The root logger writes one-line, token-free records to stderr."""
    logging.basicConfig(level=level)
    fmt = FORMAT if with_time else FORMAT.removeprefix("%(asctime)s ")
    for handler in logging.getLogger().handlers:
        handler.setFormatter(OneLineFormatter(fmt))
        handler.addFilter(RedactSecrets())
    # alembic says "Context impl SQLiteImpl" each time the schema is checked (every /healthz)
    logging.getLogger("alembic").setLevel(logging.WARNING)
