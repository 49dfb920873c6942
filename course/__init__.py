"""Authoring tools for the course's notebooks: `python -m course sync` and `python -m course execute`."""
