"""Lessons pages."""
