"""A scripted HTTPS stand-in for Azure Resource Manager, for conformance tests.

It is fed the interactions a test expects, in order, and answers each request with the next one if the
request matches it (method, decoded path, parsed query). Anything else gets a 599 whose JSON body says
what was expected, so a wrong client call fails loudly instead of being answered by a lenient fake.
Every request is recorded, so tests can compare the whole sequence (bodies included) afterwards.

The login calls (token, tenants, subscriptions) are answered by the server itself and kept apart from the
interactions: they are plumbing, not what the conformance tests are about.

Absolute URLs pointing at Azure inside response bodies and headers (``Azure-AsyncOperation``, ``Location``,
``nextLink``) are rewritten to the server's own base URL, so the client follows them back here.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Sequence, Union

import trustme

import galleryshare as gs

# Hosts that appear in the references and must point back at the replay server: the real ARM endpoint and
# the placeholder host of the spec examples' nextLinks.
AZURE_HOSTS = ("https://management.azure.com", "http://svchost:99", "https://svchost:99")

DEFAULT_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
DEFAULT_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"

Query = Dict[str, Union[str, List[str]]]


def parse_query(raw: str) -> Query:
    """``a=1&b=2`` -> ``{"a": "1", "b": "2"}`` (percent-decoded; repeated keys become lists)."""
    parsed = urllib.parse.parse_qs(raw, keep_blank_values=True)
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def split_url(url: str) -> "tuple[str, Query]":
    """An absolute or relative URL -> (decoded path, parsed query)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.unquote(parts.path), parse_query(parts.query)


@dataclass
class Interaction:
    """One expected request and the answer to give it.

    ``body`` is the expected JSON request body (``None``: no body expected); the server does not judge it,
    the tests compare it semantically. ``response`` is JSON-able data, a verbatim string, or ``None`` for an
    empty body.
    """

    method: str
    path: str
    query: Query
    body: Any = None
    status: int = 200
    headers: Dict[str, str] = field(default_factory=dict)
    response: Any = None

    @classmethod
    def from_url(cls, method: str, url: str, **kw: Any) -> "Interaction":
        path, query = split_url(url)
        return cls(method=method, path=path, query=query, **kw)

    def request_key(self) -> "tuple[str, str, Query]":
        return (self.method, self.path, self.query)


@dataclass
class Recorded:
    """A request as the server saw it. ``headers`` has lower-case names and no ``authorization``;
    ``bearer`` says whether a Bearer token was sent (never its value)."""

    method: str
    raw_path: str
    path: str
    query: Query
    body: Any
    headers: Dict[str, str]
    bearer: bool
    matched: bool = False

    def request_key(self) -> "tuple[str, str, Query]":
        return (self.method, self.path, self.query)


class ReplayServer:
    """``with ReplayServer(interactions) as srv: az = srv.login(); ...``."""

    def __init__(self, interactions: Sequence[Interaction] = (), *, tenant: str = DEFAULT_TENANT,
                 subscription: str = DEFAULT_SUBSCRIPTION):
        self.expected: List[Interaction] = list(interactions)
        self.tenant = tenant
        self.subscription = subscription
        self.requests: List[Recorded] = []
        self.login_requests: List[Recorded] = []
        self._next = 0
        self._lock = threading.Lock()
        self._ca = trustme.CA()
        self._httpd: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self.base_url = ""

    # -- lifecycle ---------------------------------------------------------------------------------------
    def __enter__(self) -> "ReplayServer":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> None:
        cert = self._ca.issue_cert("127.0.0.1", "localhost")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        httpd.daemon_threads = True
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        self.base_url = f"https://127.0.0.1:{httpd.server_address[1]}"
        self._thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), name="replay-server", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        # serve_forever's poll interval is short (see start) so that shutting down does not stall each test.
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    # -- client side helpers -----------------------------------------------------------------------------
    @property
    def cloud(self) -> gs.Cloud:
        """A cloud whose ARM, login and Graph endpoints are all this server, trusting its CA only."""
        return gs.Cloud(
            name="ReplayCloud",
            resource_manager=self.base_url,
            active_directory=self.base_url,
            microsoft_graph=self.base_url,
            ca_pem=self._ca.cert_pem.bytes().decode(),
        )

    def login(self, api_versions: Optional[Dict[str, str]] = None) -> gs.Az:
        """An ``Az`` logged in as a service principal whose current subscription is ``self.subscription``."""
        az = gs.Az(cloud=self.cloud, api_versions=api_versions)
        az.login(service_principal=True, username="11111111-1111-1111-1111-111111111111",
                 password="replay-secret", tenant=self.tenant)
        return az

    @property
    def unconsumed(self) -> List[Interaction]:
        """Expected interactions the client never asked for."""
        return self.expected[self._next:]

    # -- server side -------------------------------------------------------------------------------------
    def rewrite(self, text: str) -> str:
        for host in AZURE_HOSTS:
            text = text.replace(host, self.base_url)
        return text

    def _login_answer(self, req: Recorded) -> Optional["tuple[int, Dict[str, str], Any]"]:
        if req.method == "POST" and req.path.endswith("/oauth2/v2.0/token"):
            return 200, {}, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                             "access_token": "replay-access-token"}
        if req.method == "GET" and req.path == "/tenants":
            return 200, {}, {"value": [{"id": f"/tenants/{self.tenant}", "tenantId": self.tenant,
                                        "tenantCategory": "Home", "displayName": "Replay"}]}
        if req.method == "GET" and req.path == "/subscriptions":
            return 200, {}, {"value": [{"id": f"/subscriptions/{self.subscription}",
                                        "subscriptionId": self.subscription, "tenantId": self.tenant,
                                        "displayName": "replay", "state": "Enabled"}]}
        return None

    def answer(self, req: Recorded) -> "tuple[int, Dict[str, str], Any]":
        login = self._login_answer(req)
        if login is not None:
            self.login_requests.append(req)
            return login
        with self._lock:
            self.requests.append(req)
            if self._next >= len(self.expected):
                return 599, {}, {"error": {"code": "ReplayUnexpectedRequest",
                                           "message": "no more interactions expected",
                                           "got": _describe(req)}}
            want = self.expected[self._next]
            if want.request_key() != req.request_key():
                return 599, {}, {"error": {"code": "ReplayMismatch",
                                           "message": f"interaction #{self._next} does not match",
                                           "expected": {"method": want.method, "path": want.path,
                                                        "query": want.query},
                                           "got": _describe(req)}}
            self._next += 1
            req.matched = True
            return want.status, dict(want.headers), want.response


def _describe(req: Recorded) -> Dict[str, Any]:
    return {"method": req.method, "path": req.path, "query": req.query}


def _handler_for(server: ReplayServer) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as clients expect from ARM

        def log_message(self, *args: Any) -> None:  # keep pytest output clean
            pass

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().strip().split(b";")[0], 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _handle(self) -> None:
            raw = self._read_body()
            text = raw.decode("utf-8") if raw else ""
            try:
                body: Any = json.loads(text) if text else None
            except ValueError:
                body = text  # a form (token request) or something unexpected; kept verbatim
            headers = {k.lower(): v for k, v in self.headers.items() if k.lower() != "authorization"}
            parts = urllib.parse.urlsplit(self.path)
            req = Recorded(
                method=self.command,
                raw_path=self.path,
                path=urllib.parse.unquote(parts.path),
                query=parse_query(parts.query),
                body=body,
                headers=headers,
                bearer=(self.headers.get("Authorization") or "").startswith("Bearer "),
            )
            status, out_headers, payload = server.answer(req)
            if payload is None:
                data = b""
            elif isinstance(payload, str):
                data = server.rewrite(payload).encode("utf-8")
            else:
                data = server.rewrite(json.dumps(payload)).encode("utf-8")
            self.send_response(status)
            for name, value in out_headers.items():
                self.send_header(name, server.rewrite(value))
            if data and not any(k.lower() == "content-type" for k in out_headers):
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _handle

    return Handler


# -- helpers shared by the conformance tests ---------------------------------------------------------------

def reference_dir() -> "Path":
    """``../shared/azure-reference`` next to the repository; skipped when absent, but a failure under CI."""
    import os

    import pytest

    ref = Path(__file__).resolve().parents[2] / "shared" / "azure-reference"
    if not ref.is_dir():
        reason = f"Azure reference material not found at {ref} (expected ../shared/azure-reference)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return ref


def cli_shape(resource: Dict[str, Any]) -> Dict[str, Any]:
    """What ``az ... -o json`` prints for an ARM object, written independently of the client:
    a shared item's ``identifier.uniqueId`` flattened to ``uniqueId`` (its ``identifier`` disappears; a shared
    image's own ``properties.identifier`` then takes the name); then, at every depth as the CLI's models and
    its ``_add_resource_group`` do, ``properties`` flattened and ``resourceGroup`` added from an ``id``
    (not inside ``tags`` or ``sourceVault``)."""
    out: Dict[str, Any] = {}
    for key, value in resource.items():
        if key == "identifier" and isinstance(value, dict) and "uniqueId" in value:
            out["uniqueId"] = value["uniqueId"]
            continue
        out[key] = value
    return _flatten_every_level(out)


def _flatten_every_level(value: Any) -> Any:
    if isinstance(value, list):
        return [_flatten_every_level(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: v for k, v in value.items() if k != "properties"}
    for k, v in (value.get("properties") or {}).items():
        out.setdefault(k, v)
    match = re.search(r"/resourceGroups/([^/]+)", out.get("id") or "", re.IGNORECASE) if isinstance(out.get("id"), str) else None
    if match and not any(k.lower() == "resourcegroup" for k in out):
        out["resourceGroup"] = match.group(1)
    return {k: (v if k in ("tags", "sourceVault") else _flatten_every_level(v)) for k, v in out.items()}


def semantic_body(body: Any) -> Any:
    """A request body with the differences that carry no meaning removed, so bodies compare by meaning."""
    if not isinstance(body, dict):
        return body
    body = dict(body)
    # The CLI sends "tags": {} in PUT bodies (a deliberate choice the client mirrors); the spec examples
    # omit tags. Both mean "no tags".
    if body.get("tags") == {}:
        del body["tags"]
    # Sharing Reset: the README says CLI 2.91 sends "groups": [], CLI 2.34 and the spec send none.
    if body.get("operationType") == "Reset" and body.get("groups") == []:
        del body["groups"]
    # CLI 2.34 sent an empty "disallowed": {} in image definitions (no disk types disallowed), which is what
    # leaving it out means too.
    props = body.get("properties")
    if isinstance(props, dict) and props.get("disallowed") == {}:
        body["properties"] = {k: v for k, v in props.items() if k != "disallowed"}
    return body


def request_view(method: str, path: str, query: Query, body: Any) -> Dict[str, Any]:
    """One request, as tests compare it (pytest then shows a readable diff)."""
    return {"method": method, "path": path, "query": query, "body": semantic_body(body)}
