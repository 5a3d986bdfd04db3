"""The one mark of a failure a user can fix, for the front doors to catch without a traceback.

Every such exception derives from `UserFacingError` and says in its message what is wrong and
where (file line, field, customer, setting). The CLI and the Slack app catch this base class,
so they need not import the module that raises it (a `clvbot --help` imports no scoring code).
"""

from __future__ import annotations


class UserFacingError(Exception):
    """A failure the user can fix; its message is the whole answer (no traceback)."""
