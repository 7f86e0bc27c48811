"""galleryshare: share Azure Compute Gallery images from Python, line for line like ``az`` and Azure
PowerShell, on a Rust core — with an embedded Azure emulator so everything also runs offline.

    import galleryshare as gs
    az = gs.Az()
    az.login(service_principal=True, username=APP_ID, password=SECRET, tenant=TENANT)
    az.sig.share.add(resource_group="myGalleryRG", gallery_name="myGallery", subscription_ids=[SUB])
"""

from . import _core
from ._cloud import Cloud
from ._session import ItemPager, Poller
from .az import Az
from .pwsh import PSCredential, PSObject, Pwsh
from .exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ODataV4Format,
    OperationTimeoutError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
    ValidationError,
)

__version__ = _core.__version__

__all__ = [
    "Az",
    "AzureError",
    "ClientAuthenticationError",
    "Cloud",
    "HttpResponseError",
    "ItemPager",
    "ODataV4Format",
    "OperationTimeoutError",
    "Poller",
    "PSCredential",
    "PSObject",
    "Pwsh",
    "ResourceExistsError",
    "ResourceNotFoundError",
    "ServiceRequestError",
    "ServiceResponseError",
    "ValidationError",
    "aio",
    "az",
    "emulator",
    "pwsh",
]


def __getattr__(name: str):
    # `gs.aio` (which imports asyncio), `gs.emulator` (dataclasses, tempfile) and `gs.az`/`gs.pwsh`, module-level
    # sessions, are made on first use so importing stays cheap.
    if name in ("aio", "emulator"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    if name in ("az", "pwsh"):
        globals()[name] = Az() if name == "az" else Pwsh()
        return globals()[name]
    raise AttributeError(f"module 'galleryshare' has no attribute {name!r}")
