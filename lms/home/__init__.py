"""Home pages per role."""
