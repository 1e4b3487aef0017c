"""Profile pages."""
