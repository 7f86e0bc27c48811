"""Exceptions, named as in azure-core so existing ``except`` clauses read naturally."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: `typing` is a noticeable share of `import galleryshare`
    from typing import Any, List, Optional

__all__ = [
    "AzureError",
    "ClientAuthenticationError",
    "HttpResponseError",
    "ODataV4Format",
    "OperationTimeoutError",
    "ResourceExistsError",
    "ResourceNotFoundError",
    "ServiceRequestError",
    "ServiceResponseError",
    "ValidationError",
]


class ODataV4Format:
    """The ARM error body: ``code``, ``message``, ``target``, ``details``."""

    def __init__(self, code: str, message: str, target: Optional[str] = None, details: Optional[List[Any]] = None):
        self.code = code
        self.message = message
        self.target = target
        self.details = details or []

    def __repr__(self) -> str:
        return f"ODataV4Format(code={self.code!r}, message={self.message!r})"


class AzureError(Exception):
    """Base of every galleryshare error."""

    def __init__(self, message: str, *, status_code: Optional[int] = None, error: Optional[ODataV4Format] = None,
                 parameter: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.error = error
        #: The argument a ValidationError is about, when there is one.
        self.parameter = parameter

    def __reduce__(self):  # keep pickling (e.g. across multiprocessing) faithful
        return (_rebuild, (type(self), self.message, self.status_code, self.error, self.parameter))


def _rebuild(cls, message, status_code, error, parameter):
    return cls(message, status_code=status_code, error=error, parameter=parameter)


class ValidationError(AzureError, ValueError):
    """Bad input, caught before any request was sent."""


class ServiceRequestError(AzureError):
    """The request never reached the service."""


class ServiceResponseError(AzureError):
    """The service's answer was unreadable, or the connection broke after sending."""


class HttpResponseError(AzureError):
    """The service answered with an error status (``status_code``, ``error.code``, ``error.message``)."""


class ClientAuthenticationError(HttpResponseError):
    """401, or no token could be obtained."""


class ResourceNotFoundError(HttpResponseError):
    """404."""


class ResourceExistsError(HttpResponseError):
    """409."""


class OperationTimeoutError(AzureError, TimeoutError):
    """A blocking wait ran past its ``timeout``; the operation itself goes on."""


for _cls in list(globals().values()):
    if isinstance(_cls, type) and issubclass(_cls, (AzureError, ODataV4Format)):
        _cls.__module__ = "galleryshare"
del _cls
