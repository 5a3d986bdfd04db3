"""clvbot's App Home: the home tab each user sees, built from the current run and published
with `views.publish`; a scoring run rebuilds the homes opened recently (APP_HOME_REFRESH_DAYS).

The action ids of the home's buttons live here, so the bot's listeners and the view agree.
"""

from __future__ import annotations

OPEN_LOOKUP = "open_lookup"  # opens the "Look up a customer" modal (also the global shortcut)
OPEN_SEGMENT = "open_segment"  # opens the "Segment" modal
