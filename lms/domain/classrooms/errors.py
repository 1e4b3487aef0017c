"""The classroom rules' refusal."""


class ClassroomError(ValueError):
    """A request the classroom rules refuse; the message is Chinese UI text."""
