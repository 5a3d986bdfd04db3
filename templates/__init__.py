"""The Jinja2 templates, shipped as the package `clv.templates` (see pyproject.toml)."""
