"""The progress display of a blocking call that waits on a long-running operation.

The native wait loop makes the display (``Progress(label)``) once an operation is being polled, calls
its ``update(status, elapsed)`` between its Ctrl-C checks, and ``close()`` at the end. The display is
``tqdm.auto`` (a widget in Jupyter, a bar in a terminal) when tqdm is installed, and nothing otherwise.
It shows the command, the operation's status and the elapsed time — never arguments, so no secret can
reach it.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: `typing` is a noticeable share of `import galleryshare`
    from typing import Any, Optional

_HAVE_TQDM: Optional[bool] = None


def _have_tqdm() -> bool:
    global _HAVE_TQDM
    if _HAVE_TQDM is None:
        import importlib.util

        _HAVE_TQDM = importlib.util.find_spec("tqdm") is not None
    return _HAVE_TQDM


class Progress:
    """One call's display, created on the first status report."""

    __slots__ = ("label", "bar")

    def __init__(self, label: str):
        self.label = label
        self.bar: Any = None

    @classmethod
    def factory(cls, enabled: bool) -> Optional[type]:
        """What makes a call's display, or None when turned off (``progress=False``). The native wait
        calls it with the call's label at the first status, so a call that finishes without one (nearly
        every call) makes no display at all; whether tqdm is installed is looked up then too, not when a
        client is made (the lookup imports ``importlib.util``, a share of start-up)."""
        return cls if enabled else None

    def update(self, status: str, elapsed: float) -> None:
        if self.bar is None:
            if not _have_tqdm():
                return  # no tqdm: nothing to show
            from tqdm.auto import tqdm

            self.bar = tqdm(total=None, desc=self.label, unit="s", leave=False,
                            bar_format="{desc}: {postfix} [{elapsed}]")
        self.bar.set_postfix_str(status, refresh=False)
        self.bar.update(0)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
