"""What the facades share: the native client, argument passing, ``query=``, pollers, paging and progress.

A facade method describes one command (``self._s.call(op, args, query, then=...)``); the session decides
how it runs. :class:`Session` runs it now and returns the result; the asyncio session
(``galleryshare.aio``) returns an awaitable instead, so both mirrors share one command tree. Cmdlets that
need several calls are generators (``x = yield self._s.call(...)``) driven by :meth:`Session.steps`.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: `typing` is a noticeable share of `import galleryshare`
    from typing import Any, Callable, Dict, Generator, Iterator, Optional

from . import _core
from ._cloud import Cloud
from ._progress import Progress
from ._tables import ResultDict, ResultList, result_table
from .exceptions import ValidationError


def _compile(query: Optional[str]) -> Any:
    """Compiles ``query=`` before anything is sent, so a bad one costs no request."""
    if query is None:
        return None
    if not isinstance(query, str):
        raise TypeError(f"query must be a JMESPath string, not {type(query).__name__}")
    import jmespath

    try:
        return jmespath.compile(query)
    except jmespath.exceptions.ParseError as e:
        raise ValidationError(f"argument --query: invalid jmespath_type value: {query!r} ({e})", parameter="query") from None


def _search(compiled: Any, data: Any) -> Any:
    if compiled is None:
        return data
    import jmespath

    return compiled.search(data, options=jmespath.Options(dict_cls=dict))


class Command:
    """One command with a query compiled (so a bad one fails at the call, before anything is sent), ready for
    the core.

    ``payload`` is the facade method's ``locals()`` as it is: the core reads the arguments from it and leaves
    out the facade's own keys (``self``, ``query``, ``stream`` and ``timeout``, the call's limit), refusing
    what JSON cannot carry, tags that are not strings and a ``timeout`` that is not a number with a
    TypeError."""

    __slots__ = ("op", "payload", "kind", "query", "then", "timeout", "param_name")

    def __init__(self, op: str, args: Dict[str, Any], query: Optional[str], kind: Optional[str],
                 then: Optional[Callable[[Any], Any]]):
        self.op = op
        #: How the mirror names a parameter the core refused (PowerShell's names for a cmdlet); None: as is.
        self.param_name: Optional[Callable[[str, str], str]] = None
        self.query = _compile(query)
        self.kind = kind
        self.then = then
        self.timeout = args.get("timeout")
        self.payload = args

    def renamed(self, e: Any) -> Any:
        """A ValidationError from the core, naming the parameter as the mirror's caller wrote it."""
        if self.param_name is None or e.parameter is None:
            return e
        name = self.param_name(self.op, e.parameter)
        if name == e.parameter:
            return e
        return type(e)(f"Cannot validate argument on parameter '{name}'. {e.message}", status_code=e.status_code,
                       error=e.error, parameter=name)

    def finish(self, value: Any) -> Any:
        """A result from the core (plain JSON objects) as the facade returns it: query applied, then
        post-processed."""
        if self.kind is None:
            value = result_table(_search(self.query, value))
        return self.then(value) if self.then is not None else value


class Poller:
    """A long-running operation started with ``no_wait=True``.

    ``result(timeout=None)`` waits and returns what the blocking call would have returned;
    ``done()``, ``status()``, ``wait()`` and ``continuation_token()`` as in azure-core.
    """

    def __init__(self, native: "_core.Poller", query: Optional[str] = None, *, command: Optional[Command] = None,
                 progress: bool = True):
        self._native = native
        self._command = command or Command("poller", {}, query, None, None)
        self._display = Progress.factory(progress)

    def result(self, timeout: Optional[float] = None) -> Any:
        return self._command.finish(self._native.result(timeout, self._display))

    def wait(self, timeout: Optional[float] = None) -> None:
        self._native.result(timeout, self._display)

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


class ItemPager:
    """The items of a list, fetched page by page as you iterate (``stream=True``); ``list(pager)`` reads all."""

    def __init__(self, pages: "_core.Pages", command: Command):
        self._pages = pages
        self._command = command

    def by_page(self) -> Iterator[list]:
        while True:
            page = self._pages.next_page()
            if page is None:
                return
            yield self._command.finish(page)

    def __iter__(self) -> Iterator[Any]:
        for page in self.by_page():
            yield from page

    def __repr__(self) -> str:
        return f"<galleryshare.ItemPager {self._command.op}>"


class Session:
    """One native client: a cloud, its logins, and the pipeline every command goes through."""

    def __init__(self, cloud: Cloud, api_versions: Optional[Dict[str, str]], aux_separator: str, progress: bool = True):
        if api_versions is not None and not all(isinstance(k, str) and isinstance(v, str) for k, v in api_versions.items()):
            raise TypeError("api_versions must map operation or family names to api-version strings")
        if not isinstance(progress, bool):
            raise TypeError(f"progress must be True or False, not {type(progress).__name__}")
        self.cloud = cloud
        self.progress = progress
        #: What makes a call's progress display, if it shows one (see `_progress`).
        self._display = Progress.factory(progress)
        #: Set by the PowerShell mirror: (op, CLI dest name) -> the cmdlet's parameter name.
        self.param_name: Optional[Callable[[str, str], str]] = None
        self.native = _core.Client(cloud._fields(), dict(api_versions or {}), aux_separator)
        self._bind_call()

    # ---- how commands run (overridden by the asyncio session) ----------------------------------------

    def _bind_call(self) -> None:
        """Binds ``call`` to `_core.Caller`: the same method in native code for a call with no query and
        nothing to apply whose result is finished (nearly every call), which runs no Python frame here. It
        hands any other call to ``Session.call`` below, a poller or pages to `_settle`, an error to
        `_renamed`."""
        self.call = _core.Caller(self.native, self, self._display,  # type: ignore[method-assign]
                                 (ResultDict, ResultList))

    def call(self, op: str, args: Dict[str, Any], query: Optional[str] = None, *,
             then: Optional[Callable[[Any], Any]] = None) -> Any:
        """Runs a command with the CLI shape; ``stream=True`` and ``timeout=`` in ``args`` are honoured."""
        return self._run(self.command(op, args, query, None, then), bool(args.get("stream")))

    def _settle(self, op: str, args: Dict[str, Any], out: Any) -> Any:
        """A plain call's result that is not finished (see `_bind_call`): a pager or a poller."""
        return self._wrap(out, self.command(op, args, None, None, None))

    def _renamed(self, op: str, args: Dict[str, Any], e: BaseException) -> BaseException:
        """A plain call's error as ``call`` raises it (see `_bind_call`)."""
        if isinstance(e, ValidationError):
            return self.command(op, args, None, None, None).renamed(e)
        return e

    def call_pwsh(self, op: str, args: Dict[str, Any], kind: Optional[str], *,
                  then: Optional[Callable[[Any], Any]] = None) -> Any:
        """Like `call`, presenting the result as a PowerShell object of `kind` (no JMESPath)."""
        return self._run(self.command(op, args, None, kind, then), False)

    def command(self, op: str, args: Dict[str, Any], query: Optional[str], kind: Optional[str],
                then: Optional[Callable[[Any], Any]]) -> Command:
        cmd = Command(op, args, query, kind, then)
        cmd.param_name = self.param_name
        return cmd

    def _run(self, cmd: Command, stream: bool) -> Any:
        if stream and cmd.query is not None:
            raise ValidationError("query cannot be combined with stream=True (a query needs the whole list)",
                                  parameter="query")
        try:
            out = self.native.invoke(cmd.op, cmd.payload, cmd.kind, stream, cmd.timeout, self._display)
        except ValidationError as e:
            raise cmd.renamed(e) from None
        return self._wrap(out, cmd)

    def _wrap(self, out: Any, cmd: Command) -> Any:
        """What the core returned, as the facade returns it: a pager, a poller or the finished result."""
        if isinstance(out, _core.Pages):
            return ItemPager(out, cmd)
        if isinstance(out, _core.Poller):
            return Poller(out, command=cmd, progress=self.progress)
        return cmd.finish(out)

    def steps(self, gen: Generator[Any, Any, Any]) -> Any:
        """Drives a cmdlet written as a generator of calls: each yielded result is sent back in."""
        value = None
        while True:
            try:
                value = gen.send(value)
            except StopIteration as done:
                return done.value

    def resume(self, token: str, query: Optional[str] = None) -> Any:
        return Poller(self.native.resume(token), query, progress=self.progress)

    # ---- no request, same in every session ----------------------------------------------------------

    def local(self, op: str, args: Dict[str, Any]) -> Any:
        """A command answered from the logins kept in memory (``account.*``): never a request."""
        return self.native.invoke(op, args)

    def shape_pwsh(self, value: Any, kind: str) -> Any:
        """Presents an already-fetched CLI-shaped value as a PowerShell object (no request)."""
        import json

        return json.loads(_core.shape_pwsh(kind, json.dumps(value)))
