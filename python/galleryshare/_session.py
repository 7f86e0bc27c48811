"""What the facades share: the native client, argument passing, ``query=`` and pollers."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

import jmespath

from . import _core
from ._cloud import Cloud


def _compile(query: Optional[str]) -> Any:
    """Compiles ``query=`` before anything is sent, so a bad one costs no request."""
    if query is None:
        return None
    if not isinstance(query, str):
        raise TypeError(f"query must be a JMESPath string, not {type(query).__name__}")
    try:
        return jmespath.compile(query)
    except jmespath.exceptions.ParseError as e:
        from .exceptions import ValidationError

        raise ValidationError(f"argument --query: invalid jmespath_type value: {query!r} ({e})", parameter="query") from None


def _search(compiled: Any, data: Any) -> Any:
    if compiled is None:
        return data
    return compiled.search(data, options=jmespath.Options(dict_cls=dict))


class Poller:
    """A long-running operation started with ``no_wait=True``.

    ``result(timeout=None)`` waits and returns what the blocking call would have returned;
    ``done()``, ``status()``, ``wait()`` and ``continuation_token()`` as in azure-core.
    """

    def __init__(self, native: "_core.Poller", query: Optional[str] = None):
        self._native = native
        self._query = _compile(query)

    def result(self, timeout: Optional[float] = None) -> Any:
        return _search(self._query, json.loads(self._native.result(timeout)))

    def wait(self, timeout: Optional[float] = None) -> None:
        self._native.result(timeout)

    def done(self) -> bool:
        return self._native.done()

    def status(self) -> str:
        return self._native.status()

    def poll(self) -> str:
        """Checks the service once and returns the status."""
        return self._native.poll()

    def continuation_token(self) -> str:
        return self._native.continuation_token()

    def __repr__(self) -> str:
        return f"<galleryshare.Poller status={self.status()!r}>"


class Session:
    """One native client: a cloud, its logins, and the pipeline every command goes through."""

    def __init__(self, cloud: Cloud, api_versions: Optional[Dict[str, str]], aux_separator: str):
        if api_versions is not None and not all(isinstance(k, str) and isinstance(v, str) for k, v in api_versions.items()):
            raise TypeError("api_versions must map operation or family names to api-version strings")
        self.cloud = cloud
        self.native = _core.Client(cloud._json(), dict(api_versions or {}), aux_separator)

    def call(self, op: str, args: Dict[str, Any], query: Optional[str] = None) -> Any:
        compiled = _compile(query)
        args = {k: v for k, v in args.items() if k not in ("self", "query")}
        try:
            payload = json.dumps(args)
        except TypeError as e:
            raise TypeError(f"{op}: {e}") from None
        out = self.native.invoke(op, payload)
        if isinstance(out, str):
            return _search(compiled, json.loads(out))
        return Poller(out, query)

    def call_pwsh(self, op: str, args: Dict[str, Any], kind: Optional[str]) -> Any:
        """Like `call`, presenting the result as a PowerShell object of `kind` (no JMESPath)."""
        out = self.native.invoke(op, json.dumps(args), kind)
        if isinstance(out, str):
            return json.loads(out)
        return Poller(out)

    def shape_pwsh(self, value: Any, kind: str) -> Any:
        """Presents an already-fetched CLI-shaped value as a PowerShell object (no request)."""
        return json.loads(_core.shape_pwsh(kind, json.dumps(value)))

    def resume(self, token: str, query: Optional[str] = None) -> Poller:
        return Poller(self.native.resume(token), query)
