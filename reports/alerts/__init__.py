"""Posting alert firings to ALERTS_CHANNEL, each exactly once (`publish`), as Block Kit
messages (`render`)."""
