"""What the domain refuses: a problem at a line of an input file (`FILE:LINE: message`), or a
request refused with a message for people."""
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem at a line of a file."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class Refusal(Exception):
    """A request the domain refuses; `message` is for people (subclasses add an API `code`)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
