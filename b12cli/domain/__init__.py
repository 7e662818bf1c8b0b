"""The domain: what b12 knows how to decide, in pure functions over the knowledge base's records.
Nothing here reads a file or the environment, or imports Typer, Rich or YAML
(``tests/test_architecture.py`` holds this)."""
