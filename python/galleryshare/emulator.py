"""The embedded Azure emulator: HTTPS ARM, an Entra ID token endpoint and a Graph subset, enforcing
tenancy, RBAC and sharing rules — so demos, notebooks and tests run offline, for real.

    with gs.emulator.start() as emu:
        az = gs.Az(cloud=emu.cloud)
        admin = emu.directory.app("contoso-admin")
        az.login(service_principal=True, username=admin.client_id, password=admin.secret,
                 tenant=emu.directory.tenant("contoso").id)
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Union

from . import _core
from ._cloud import Cloud

__all__ = ["Emulator", "Directory", "start", "default_seed", "main"]


@dataclass(frozen=True)
class Tenant:
    name: str
    id: str
    domain: str


@dataclass(frozen=True)
class SubscriptionInfo:
    name: str
    id: str
    tenant_id: str


@dataclass(frozen=True)
class App:
    """An app registration; ``secret`` and the certificate's private key are never shown in ``repr``.

    ``certificate_pem`` is the app's certificate credential (a self-signed RSA 2048 certificate followed by
    its private key, made on first use); ``certificate_path`` is a PEM file of it, as
    ``az login --service-principal --certificate`` takes (removed when the directory goes away).
    ``federated_token()`` is a fresh workload identity token from the emulator's own OIDC issuer, which each
    app's federated credential trusts for the subject ``system:serviceaccount:default:{name}``."""

    name: str
    client_id: str
    home_tenant: str
    secret: str = field(repr=False)
    service_principals: Dict[str, str] = field(default_factory=dict)
    _certificate: Optional[Callable[[str], str]] = field(default=None, repr=False, compare=False)
    _files: Optional["_CertificateFiles"] = field(default=None, repr=False, compare=False)
    _federated: Optional[Callable[[str], str]] = field(default=None, repr=False, compare=False)

    def federated_token(self) -> str:
        if self._federated is None:
            raise RuntimeError("this App was not read from a running emulator, so it has no federated credential")
        return self._federated(self.client_id)

    @property
    def certificate_pem(self) -> str:
        if self._certificate is None:
            raise RuntimeError("this App was not read from a running emulator, so it has no certificate")
        return self._certificate(self.client_id)

    @property
    def certificate_path(self) -> str:
        if self._files is None:
            raise RuntimeError("this App was not read from a running emulator, so it has no certificate")
        return self._files.path(self.client_id, lambda: self.certificate_pem)


class _CertificateFiles:
    """PEM files of app certificates in one private temporary directory, removed with the Directory."""

    def __init__(self) -> None:
        self._dir: Optional[str] = None
        self._paths: Dict[str, str] = {}

    def path(self, client_id: str, pem: Callable[[], str]) -> str:
        if client_id not in self._paths:
            if self._dir is None:
                self._dir = tempfile.mkdtemp(prefix="galleryshare-emulator-certs-")
                weakref.finalize(self, shutil.rmtree, self._dir, True)
            path = os.path.join(self._dir, f"{client_id}.pem")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(pem())
            self._paths[client_id] = path
        return self._paths[client_id]


@dataclass(frozen=True)
class User:
    """A user; ``password`` is never shown in ``repr``."""

    upn: str
    id: str
    display_name: str
    tenant: str
    password: str = field(repr=False)


class Directory:
    """The seeded tenants, subscriptions, apps and users, with their generated secrets."""

    def __init__(self, raw: Dict[str, Any], certificate: Optional[Callable[[str], str]] = None,
                 federated: Optional[Callable[[str], str]] = None, endpoint: str = ""):
        self._raw = raw
        self._endpoint = endpoint
        self._files = _CertificateFiles()
        tenant_ids = {t["name"]: t["id"] for t in raw.get("tenants", [])}
        self.tenants = [Tenant(t["name"], t["id"], t.get("domain", "")) for t in raw.get("tenants", [])]
        self.subscriptions = [
            SubscriptionInfo(s["name"], s["id"], s.get("tenant_id") or tenant_ids.get(s.get("tenant", ""), ""))
            for s in raw.get("subscriptions", [])
        ]
        self.apps = [
            App(a["name"], a["client_id"], a.get("home_tenant", ""), a.get("secret", ""), dict(a.get("service_principals", {})),
                certificate, self._files, federated)
            for a in raw.get("apps", [])
        ]
        self.users = [
            User(u["upn"], u["id"], u.get("display_name", ""), u.get("tenant", ""), u.get("password", ""))
            for u in raw.get("users", [])
        ]

    @staticmethod
    def _find(items: List[Any], attr: str, key: str, what: str) -> Any:
        for item in items:
            if getattr(item, attr).lower() == key.lower():
                return item
        known = ", ".join(getattr(i, attr) for i in items)
        raise KeyError(f"no {what} {key!r} in the emulator's directory (known: {known})")

    def managed_identity_env(self) -> Dict[str, str]:
        """``IDENTITY_ENDPOINT`` and ``IDENTITY_HEADER`` as App Service sets them, for the emulator's managed
        identity endpoint: set them, then ``az.login(identity=True, username=app.client_id)`` logs in as that
        app used as a user-assigned identity (the emulated host has no system-assigned one)."""
        return {"IDENTITY_ENDPOINT": f"{self._endpoint}/msi/token", "IDENTITY_HEADER": self._raw.get("identity_header", "")}

    def tenant(self, name: str) -> Tenant:
        return self._find(self.tenants, "name", name, "tenant")

    def subscription(self, name: str) -> SubscriptionInfo:
        return self._find(self.subscriptions, "name", name, "subscription")

    def app(self, name: str) -> App:
        return self._find(self.apps, "name", name, "app")

    def user(self, upn: str) -> User:
        return self._find(self.users, "upn", upn, "user")

    def __repr__(self) -> str:
        return (f"<Directory tenants={[t.name for t in self.tenants]} subscriptions={[s.name for s in self.subscriptions]} "
                f"apps={[a.name for a in self.apps]} users={[u.upn for u in self.users]}>")


class Emulator:
    """A running emulator. Use as a context manager, or call :meth:`stop`."""

    def __init__(self, native: "_core.Emulator"):
        self._native = native
        self.endpoint: str = native.endpoint
        fd, self.ca_cert_path = tempfile.mkstemp(prefix="galleryshare-emulator-ca-", suffix=".pem")
        with os.fdopen(fd, "w") as f:
            f.write(native.ca_pem)
        self.cloud = Cloud(
            name="GalleryshareEmulator",
            resource_manager=self.endpoint,
            active_directory=self.endpoint,
            microsoft_graph=self.endpoint,
            ca_pem=native.ca_pem,
        )
        self.directory = Directory(json.loads(native.directory_json()), native.app_certificate_pem,
                                   native.app_federated_token, native.endpoint)
        self._stopped = False

    @property
    def control_key(self) -> str:
        return self._native.control_key

    def requests(self) -> List[Dict[str, Any]]:
        """Every request the emulator served since the last reset (no headers, tokens or bodies)."""
        return json.loads(self._native.request_log_json())

    def clear_requests(self) -> None:
        self._native.clear_request_log()

    def reset(self) -> None:
        """Back to the seeded state (same secrets), request log cleared; fault rules stay (see
        :meth:`clear_faults`). With a ``state_dir`` the reset state is saved too."""
        self._native.reset()

    def set_lro_delay(self, seconds: float) -> None:
        self._native.set_lro_delay_ms(int(seconds * 1000))

    def set_page_size(self, n: int) -> None:
        self._native.set_page_size(n)

    def set_faults(self, rules: List[Dict[str, Any]], *, seed: Optional[int] = None) -> None:
        """Replaces the fault rules (see :func:`start`); counters restart; ``seed`` reseeds the
        generator behind ``probability`` rules. A bad rule raises ``ValueError``."""
        self._native.set_faults(_rules_json(rules), seed)

    def clear_faults(self) -> None:
        self._native.clear_faults()

    def faults(self) -> Dict[str, Any]:
        """The rules in force, each with how many requests it ``matched`` and ``fired`` on, and the seed."""
        return json.loads(self._native.faults_json())

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._native.stop()
        try:
            os.unlink(self.ca_cert_path)
        except OSError:
            pass

    def __enter__(self) -> "Emulator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<galleryshare.emulator.Emulator {self.endpoint}>"


def default_seed() -> Dict[str, Any]:
    """The default seed as a dict: change it and pass it to :func:`start` as ``seed=``."""
    return json.loads(_core.default_seed_json())


def _rules_json(rules: Any) -> str:
    if not isinstance(rules, (list, tuple)) or not all(isinstance(r, dict) for r in rules):
        raise ValueError("faults must be a list of rule dicts, e.g. [{'kind': 'status', 'status': 503, 'every_nth': 3}]")
    return json.dumps(list(rules))


def start(*, seed: Union[None, str, os.PathLike, Dict[str, Any]] = None, lro_delay: float = 0.2,
          page_size: Optional[int] = None, port: int = 0, faults: Optional[List[Dict[str, Any]]] = None,
          fault_seed: Optional[int] = None, state_dir: Union[None, str, os.PathLike] = None) -> Emulator:
    """Starts an emulator on 127.0.0.1.

    ``seed``: a dict or a JSON file path replacing the default seed; ``lro_delay``: seconds a
    long-running operation stays InProgress (0 in tests); ``page_size``: items per page of lists;
    ``port``: 0 picks a free one.

    ``faults``: rules, each ``{"kind": ..., "method": "PUT", "path": "/subscriptions/**", <trigger>}``.
    Kinds: ``status`` (``status`` 429/500/502/503/504, optional ``retry_after`` seconds, fractional
    allowed: sent as ``Retry-After`` and ``retry-after-ms``), ``drop`` (the connection is closed without
    an answer), ``delay`` (``delay_ms``, then served), ``lro_fail`` (``code``, ``message``: the operation
    the request starts ends Failed with them), ``lro_hang`` (it never finishes). Trigger: every matching
    request, or one of ``every_nth``, ``next_n``, ``probability`` (drawn from ``fault_seed``, fixed by
    default). ``after: True`` (status and drop) serves the request first and then loses the answer.
    Paths are case-insensitive globs: ``*`` within a segment, ``**`` across segments. The first rule
    that fires wins; the request log shows every attempt with its ``fault``.

    ``state_dir``: keep state there (created if missing) — the world is saved durably after every write,
    before it is answered, and an emulator started again on the same directory (even after a kill)
    comes back with it and with the same secrets, signing key, CA and control key (the seed it was
    first started with wins)."""
    if isinstance(seed, (str, os.PathLike)):
        with open(seed, encoding="utf-8") as f:
            seed = json.load(f)
    if seed is not None and not isinstance(seed, dict):
        raise TypeError(f"seed must be a dict or a path to a JSON file, not {type(seed).__name__}")
    if lro_delay < 0:
        raise ValueError("lro_delay must be >= 0")
    faults_json = _rules_json(faults) if faults is not None else None
    if fault_seed is not None and (not isinstance(fault_seed, int) or fault_seed < 0):
        raise ValueError("fault_seed must be an integer >= 0")
    native = _core.Emulator.start(json.dumps(seed) if seed is not None else None, int(lro_delay * 1000), page_size, port,
                                  faults_json, fault_seed, os.fspath(state_dir) if state_dir is not None else None)
    return Emulator(native)


def main(argv: Optional[List[str]] = None) -> int:
    """``galleryshare-emulator [--port N] [--state-dir DIR] [--seed FILE] [--lro-delay S] [--faults FILE]
    [--fault-seed N]``: serves until interrupted and prints the endpoints and seeded credentials as JSON."""
    import argparse
    import signal
    import sys
    import threading

    p = argparse.ArgumentParser(prog="galleryshare-emulator", description=main.__doc__)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--seed", default=None)
    p.add_argument("--lro-delay", type=float, default=0.2)
    p.add_argument("--state-dir", default=None,
                   help="keep state in DIR across restarts and crashes (saved before every write is answered)")
    p.add_argument("--faults", default=None, metavar="FILE", help="a JSON file with a list of fault rules")
    p.add_argument("--fault-seed", type=int, default=None, help="seed of probabilistic fault rules")
    args = p.parse_args(argv)
    faults = None
    if args.faults:
        with open(args.faults, encoding="utf-8") as f:
            faults = json.load(f)
    emu = start(seed=args.seed, lro_delay=args.lro_delay, port=args.port, faults=faults,
                fault_seed=args.fault_seed, state_dir=args.state_dir)
    print(json.dumps({"endpoint": emu.endpoint, "authority": emu.endpoint, "ca_cert_path": emu.ca_cert_path,
                      "control_key": emu.control_key, "directory": json.loads(emu._native.directory_json())}, indent=2))
    sys.stdout.flush()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        while not done.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    emu.stop()
    return 0
