"""Classrooms pages."""
