"""Typed errors that services raise and every channel turns into the same answer."""


class ConflictError(Exception):
    """The action clashes with the state of the world: a schedule conflict, a freeze, a promotion gate, a failed
    check or a stale version. Pages show it as a form error; the API answers 409."""

    def __init__(self, message: str, *, code: str = "conflict", conflicts: list | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.conflicts = conflicts or []
