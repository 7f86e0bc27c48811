"""What the login commands of both mirrors read before anything is sent: certificate files, the
azure-identity environment variables, and ``credential=`` objects. Nothing here ever echoes a secret."""

from __future__ import annotations

import os

from .exceptions import ValidationError

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: `typing` is a noticeable share of `import galleryshare`
    from typing import Any, Dict, Optional, Union

    PathOrPem = Union[str, "os.PathLike[str]"]


def read_certificate(certificate: PathOrPem, parameter: str = "certificate") -> str:
    """The PEM text of ``certificate``: a PEM file path (as ``az login --certificate`` takes) or the PEM itself."""
    if isinstance(certificate, str) and "-----BEGIN" in certificate:
        return certificate
    if not isinstance(certificate, (str, os.PathLike)):
        raise TypeError(f"{parameter} must be a PEM file path or PEM text, not {type(certificate).__name__}")
    try:
        with open(certificate, encoding="ascii") as f:
            return f.read()
    except FileNotFoundError:
        raise ValidationError(f"The certificate file {os.fspath(certificate)!r} does not exist.", parameter=parameter) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ValidationError(f"The certificate file {os.fspath(certificate)!r} cannot be read as PEM: "
                              f"{type(e).__name__}", parameter=parameter) from None


def environment_login() -> Dict[str, Any]:
    """``login`` arguments from azure-identity's environment variables: ``AZURE_TENANT_ID`` and
    ``AZURE_CLIENT_ID`` with ``AZURE_CLIENT_SECRET``, ``AZURE_CLIENT_CERTIFICATE_PATH`` or (workload identity)
    ``AZURE_FEDERATED_TOKEN_FILE``, in that order, as DefaultAzureCredential tries them; or ``AZURE_USERNAME``
    and ``AZURE_PASSWORD``. Missing variables are named; values are never shown."""
    env = os.environ
    tenant, client_id = env.get("AZURE_TENANT_ID"), env.get("AZURE_CLIENT_ID")
    if env.get("AZURE_USERNAME") and env.get("AZURE_PASSWORD"):
        return {"username": env["AZURE_USERNAME"], "password": env["AZURE_PASSWORD"], "tenant": tenant}
    missing = [name for name, value in (("AZURE_TENANT_ID", tenant), ("AZURE_CLIENT_ID", client_id)) if not value]
    has_secret, has_cert = bool(env.get("AZURE_CLIENT_SECRET")), bool(env.get("AZURE_CLIENT_CERTIFICATE_PATH"))
    token_file = env.get("AZURE_FEDERATED_TOKEN_FILE")
    if not (has_secret or has_cert or token_file):
        missing.append("AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH, or AZURE_FEDERATED_TOKEN_FILE)")
    if missing:
        raise ValidationError("login(env=True) needs the environment variables " + ", ".join(missing) +
                              " (as azure-identity's EnvironmentCredential reads them).", parameter="env")
    login: Dict[str, Any] = {"service_principal": True, "username": client_id, "tenant": tenant}
    if has_secret:
        login["password"] = env["AZURE_CLIENT_SECRET"]
    elif has_cert:
        login["certificate"] = read_certificate(env["AZURE_CLIENT_CERTIFICATE_PATH"], "AZURE_CLIENT_CERTIFICATE_PATH")
    else:
        if not os.path.isfile(str(token_file)):
            raise ValidationError(f"AZURE_FEDERATED_TOKEN_FILE names {token_file!r}, which is not a file.",
                                  parameter="AZURE_FEDERATED_TOKEN_FILE")
        login["federated_token_file"] = token_file
    return login


def environment_subscription() -> Optional[str]:
    return os.environ.get("AZURE_SUBSCRIPTION_ID") or None


def only_one(how: str, **others: Any) -> None:
    """A login takes one way to authenticate; a second one is a usage error before any request."""
    given = [name for name, value in others.items() if value not in (None, False)]
    if given:
        raise ValidationError(f"usage error: {how} cannot be combined with {', '.join(given)}.", parameter=how.split("=")[0])
