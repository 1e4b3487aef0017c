"""Plain domain logic shared by the views, the JSON API and the CLI (no Flask here)."""
