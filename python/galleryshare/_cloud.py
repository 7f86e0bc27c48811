"""Clouds: the public ones by name, or custom endpoints (how the embedded emulator is reached)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional, Union

from . import _core


@dataclass(frozen=True)
class Cloud:
    """Endpoints of an Azure cloud. ``ca_pem`` adds a certificate authority trusted by this client only;
    ``allow_http_loopback=True`` lets a loopback ``http://`` endpoint receive tokens (anything else needs https)."""

    name: str
    resource_manager: str
    active_directory: str
    microsoft_graph: str
    arm_scope: str = "https://management.azure.com/.default"
    graph_scope: str = "https://graph.microsoft.com/.default"
    ca_pem: Optional[str] = field(default=None, repr=False)
    #: Plain http is refused for tokens and secrets; this allows it for loopback endpoints only (a local test server).
    allow_http_loopback: bool = False

    @classmethod
    def named(cls, name: str) -> "Cloud":
        """``AzureCloud``, ``AzureUSGovernment`` or ``AzureChinaCloud``."""
        return cls(**json.loads(_core.cloud_named(name)))

    def _json(self) -> str:
        return json.dumps(self.__dict__)


def resolve(cloud: Union[None, str, Cloud]) -> Cloud:
    if cloud is None:
        return Cloud.named("AzureCloud")
    if isinstance(cloud, str):
        return Cloud.named(cloud)
    if isinstance(cloud, Cloud):
        return cloud
    raise TypeError(f"cloud must be a cloud name or a galleryshare.Cloud, not {type(cloud).__name__}")
