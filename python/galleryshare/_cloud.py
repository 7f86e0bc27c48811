"""Clouds: the public ones by name, or custom endpoints (how the embedded emulator is reached)."""

from __future__ import annotations

from . import _core

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: `typing` is a noticeable share of `import galleryshare`
    from typing import Optional, Union


class Cloud:
    """Endpoints of an Azure cloud. ``ca_pem`` adds a certificate authority trusted by this client only;
    ``allow_http_loopback=True`` lets a loopback ``http://`` endpoint receive tokens (anything else needs https).

    Immutable and compared by value. (A plain class rather than a dataclass: importing ``dataclasses`` costs
    a noticeable share of ``import galleryshare``.)"""

    __slots__ = ("name", "resource_manager", "active_directory", "microsoft_graph", "arm_scope", "graph_scope",
                 "ca_pem", "allow_http_loopback")
    name: str
    resource_manager: str
    active_directory: str
    microsoft_graph: str
    arm_scope: str
    graph_scope: str
    ca_pem: Optional[str]
    #: Plain http is refused for tokens and secrets; this allows it for loopback endpoints only (a local test server).
    allow_http_loopback: bool

    def __init__(self, name: str, resource_manager: str, active_directory: str, microsoft_graph: str,
                 arm_scope: str = "https://management.azure.com/.default",
                 graph_scope: str = "https://graph.microsoft.com/.default", ca_pem: Optional[str] = None,
                 allow_http_loopback: bool = False):
        values = (name, resource_manager, active_directory, microsoft_graph, arm_scope, graph_scope, ca_pem,
                  allow_http_loopback)
        for slot, value in zip(self.__slots__, values):
            object.__setattr__(self, slot, value)

    @classmethod
    def named(cls, name: str) -> "Cloud":
        """``AzureCloud``, ``AzureUSGovernment`` or ``AzureChinaCloud``."""
        return cls(**_core.cloud_named(name))

    def replace(self, **changes: object) -> "Cloud":
        """A copy with some endpoints changed: ``emu.cloud.replace(allow_http_loopback=True)``."""
        return Cloud(**{**self._fields(), **changes})  # type: ignore[arg-type]

    def _fields(self) -> dict:
        return {slot: getattr(self, slot) for slot in self.__slots__}

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: a Cloud is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: a Cloud is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cloud) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(tuple(self._fields().values()))

    def __repr__(self) -> str:  # the CA is long and not interesting; the rest says which cloud this is
        shown = ", ".join(f"{k}={v!r}" for k, v in self._fields().items() if k != "ca_pem")
        return f"Cloud({shown})"


def resolve(cloud: Union[None, str, Cloud]) -> Cloud:
    if cloud is None:
        return Cloud.named("AzureCloud")
    if isinstance(cloud, str):
        return Cloud.named(cloud)
    if isinstance(cloud, Cloud):
        return cloud
    raise TypeError(f"cloud must be a cloud name or a galleryshare.Cloud, not {type(cloud).__name__}")
