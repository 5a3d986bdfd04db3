"""Presentation helpers both front doors share: Block Kit within Slack's limits, masking."""
