"""A problem found while validating an input file, reported as `FILE:LINE: message`."""
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem at a line of a file."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"
