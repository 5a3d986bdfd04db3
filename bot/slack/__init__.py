"""The Slack front door: `/clv` answers from the stored scores, served over HTTP or Socket Mode."""
