"""asyncio mirrors: ``gs.aio.Az`` and ``gs.aio.Pwsh`` have the same command trees as ``gs.Az`` and
``gs.Pwsh``, and every command that talks to Azure is awaitable::

    az = gs.aio.Az(cloud=emu.cloud)
    await az.login(service_principal=True, username=APP_ID, password=SECRET, tenant=TENANT)
    galleries = await asyncio.gather(*(az.sig.show(resource_group=RG, gallery_name=g) for g in names))
    async for version in az.sig.image_version.list(resource_group=RG, gallery_name=G,
                                                   gallery_image_definition=I):
        ...                               # page by page; ``await`` the same call for the whole list

The calls run on the Rust core's tokio runtime (no thread per call) and share one connection pool; they
work under ``asyncio.run`` and inside an already running loop (Jupyter). ``no_wait=True`` / ``AsJob=True``
give an :class:`AsyncPoller`. Bad input raises when the call is awaited, before anything is sent.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Callable, Dict, Generator, Optional

from . import _core
from . import az as _az
from . import pwsh as _pwsh
from ._session import Command, Session
from .exceptions import ValidationError

__all__ = ["AsyncPoller", "Az", "Pwsh"]


class AsyncPoller:
    """A long-running operation started with ``no_wait=True``: ``await poller.result(timeout=None)`` (or
    ``await poller``), ``await poller.wait()``, ``done()``, ``status()``, ``continuation_token()``."""

    def __init__(self, native: "_core.Poller", command: Command):
        self._native = native
        self._command = command

    async def result(self, timeout: Optional[float] = None) -> Any:
        return self._command.finish(await self._native.result_async(timeout))

    async def wait(self, timeout: Optional[float] = None) -> None:
        await self._native.result_async(timeout)

    def done(self) -> bool:
        return self._native.done()

    def status(self) -> str:
        return self._native.status()

    def continuation_token(self) -> str:
        return self._native.continuation_token()

    def __await__(self) -> Generator[Any, None, Any]:
        return self.result().__await__()

    def __repr__(self) -> str:
        return f"<galleryshare.aio.AsyncPoller status={self.status()!r}>"


class AsyncCall:
    """One command not yet run: ``await`` it for the result (a list in full), or ``async for`` over it
    to read a list page by page."""

    __slots__ = ("_native", "_command")

    def __init__(self, native: "_core.Client", command: Command):
        self._native = native
        self._command = command

    def __await__(self) -> Generator[Any, None, Any]:
        return self._result().__await__()

    async def _result(self) -> Any:
        c = self._command
        try:
            out = await self._native.invoke_async(c.op, c.payload, c.kind, False, c.timeout)
        except ValidationError as e:
            raise c.renamed(e) from None
        if isinstance(out, _core.Poller):
            return AsyncPoller(out, c)
        return c.finish(out)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._items()

    async def _items(self) -> AsyncIterator[Any]:
        c = self._command
        if c.query is not None:
            raise ValidationError("query cannot be combined with async iteration (a query needs the whole list)",
                                  parameter="query")
        try:
            out = await self._native.invoke_async(c.op, c.payload, c.kind, True, c.timeout)
        except ValidationError as e:
            raise c.renamed(e) from None
        if isinstance(out, _core.Pages):
            while True:
                page = await out.next_page_async()
                if page is None:
                    return
                for item in c.finish(page):
                    yield item
        else:
            value = None if isinstance(out, _core.Poller) else c.finish(out)
            if not isinstance(value, list):
                raise TypeError(f"{c.op} does not return a list; await it instead of iterating")
            for item in value:
                yield item

    def __repr__(self) -> str:
        return f"<galleryshare.aio.AsyncCall {self._command.op}>"


class AsyncSession(Session):
    """Commands become awaitables (`AsyncCall`); multi-call cmdlets become coroutines."""

    def _bind_call(self) -> None:
        """Keeps ``call`` below: an asyncio call returns an awaitable, not the result."""

    def call(self, op: str, args: Dict[str, Any], query: Optional[str] = None, *,
             then: Optional[Callable[[Any], Any]] = None) -> Any:
        return AsyncCall(self.native, self.command(op, args, query, None, then))

    def call_pwsh(self, op: str, args: Dict[str, Any], kind: Optional[str], *,
                  then: Optional[Callable[[Any], Any]] = None) -> Any:
        return AsyncCall(self.native, self.command(op, args, None, kind, then))

    async def steps(self, gen: Generator[Any, Any, Any]) -> Any:  # type: ignore[override]
        value = None
        while True:
            try:
                step = gen.send(value)
            except StopIteration as done:
                return done.value
            value = await step

    def resume(self, token: str, query: Optional[str] = None) -> Any:
        return AsyncPoller(self.native.resume(token), Command("resume", {}, query, None, None))


class Az(_az.Az):
    """``az = gs.aio.Az(cloud=...)``: :class:`galleryshare.Az` with every command awaitable."""

    _Session = AsyncSession

    def __repr__(self) -> str:
        return f"<galleryshare.aio.Az cloud={self._s.cloud.name!r}>"


class Pwsh(_pwsh.Pwsh):
    """``ps = gs.aio.Pwsh(cloud=...)``: :class:`galleryshare.Pwsh` with every cmdlet that calls Azure
    awaitable (cmdlets that only build local objects, like ``New_AzVMConfig``, return them directly)."""

    _Session = AsyncSession

    def __repr__(self) -> str:
        return f"<galleryshare.aio.Pwsh cloud={self._s.cloud.name!r}>"
