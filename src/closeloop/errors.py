"""The project's own exceptions; the API and the respondent pages map them once.

Each docstring is the default message, so ``raise NotFound()`` already says something.
"""

from __future__ import annotations

from typing import ClassVar


class ClosedLoopError(Exception):
    """Something went wrong."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str | None = None, *, field: str | None = None) -> None:
        self.detail = detail or (self.__doc__ or self.title).strip()
        self.field = field
        super().__init__(self.detail)


class InvalidInput(ClosedLoopError):
    """The input is not valid."""

    status = 422
    title = "Invalid input"


class NotFound(ClosedLoopError):
    """No such thing."""

    status = 404
    title = "Not found"


class Conflict(ClosedLoopError):
    """This conflicts with the current state."""

    status = 409
    title = "Conflict"


class Unauthorized(ClosedLoopError):
    """Missing or invalid credentials."""

    status = 401
    title = "Unauthorized"


class Forbidden(ClosedLoopError):
    """These credentials may not do this."""

    status = 403
    title = "Forbidden"


class Gone(ClosedLoopError):
    """This link is no longer valid."""

    status = 410
    title = "Gone"
