"""Alerts: after each scoring run the rules of `clv.segments.alerts` are asked once and their
firings kept exactly once (`evaluate`); `store` lists them and mutes rules. Posting them to
Slack is `reports.alerts`."""
