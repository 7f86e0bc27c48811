"""galleryshare: share Azure Compute Gallery images from Python, line for line like ``az`` and Azure
PowerShell, on a Rust core — with an embedded Azure emulator so everything also runs offline.

    import galleryshare as gs
    az = gs.Az()
    az.login(service_principal=True, username=APP_ID, password=SECRET, tenant=TENANT)
    az.sig.share.add(resource_group="myGalleryRG", gallery_name="myGallery", subscription_ids=[SUB])
"""

from . import _core, emulator
from ._cloud import Cloud
from ._session import Poller
from .az import Az
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
    "ODataV4Format",
    "OperationTimeoutError",
    "Poller",
    "ResourceExistsError",
    "ResourceNotFoundError",
    "ServiceRequestError",
    "ServiceResponseError",
    "ValidationError",
    "az",
    "emulator",
]


def __getattr__(name: str):
    # `gs.az`, a module-level CLI session, is made on first use so importing stays cheap.
    if name == "az":
        globals()["az"] = Az()
        return globals()["az"]
    raise AttributeError(f"module 'galleryshare' has no attribute {name!r}")
