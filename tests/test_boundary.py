"""The FFI boundary and the transport's rules: a Rust panic is an exception (never an abort), and bearer
tokens or secrets never go over plain http except to a loopback endpoint the caller opted into."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

import galleryshare as gs
from galleryshare import _core


def test_a_panic_in_a_waited_future_is_an_azure_error():
    with pytest.raises(gs.AzureError, match="Internal error in galleryshare .*test panic in a waited future"):
        _core._panic_for_test("wait")


def test_a_panic_in_an_awaitable_is_an_azure_error():
    async def main():
        return await _core._panic_for_test("await")

    with pytest.raises(gs.AzureError, match="test panic in an awaitable"):
        asyncio.run(main())


def test_a_panic_in_a_plain_call_is_an_exception_and_the_interpreter_goes_on():
    """pyo3 turns it into PanicException; run in a child so the interpreter's survival is observable."""
    code = ("from galleryshare import _core\n"
            "try:\n    _core._panic_for_test('call')\n"
            "except BaseException as e:\n    print(type(e).__name__, 'caught')\n"
            "print('still alive')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["PanicException caught", "still alive"]


def test_unknown_panic_place_is_a_value_error():
    with pytest.raises(ValueError, match="place"):
        _core._panic_for_test("nowhere")


def http_cloud(emu, host: str, *, allow: bool) -> gs.Cloud:
    return emu.cloud.replace(resource_manager=f"http://{host}", active_directory=f"http://{host}",
                             microsoft_graph=f"http://{host}", allow_http_loopback=allow)


def test_plain_http_to_a_remote_host_is_refused_before_sending(emu):
    az = gs.Az(cloud=http_cloud(emu, "example.invalid", allow=True))  # opting in does not cover remote hosts
    with pytest.raises(gs.ServiceRequestError, match=r"plain http to http://example\.invalid; use https"):
        az.login(service_principal=True, username="app", password="s3cret-value", tenant="contoso.onmicrosoft.com")


def test_plain_http_to_loopback_needs_the_opt_in(emu):
    az = gs.Az(cloud=http_cloud(emu, "127.0.0.1:9", allow=False))
    with pytest.raises(gs.ServiceRequestError, match="allow_http_loopback=True") as e:
        az.login(service_principal=True, username="app", password="s3cret-value", tenant="contoso.onmicrosoft.com")
    assert "s3cret-value" not in str(e.value)


def test_plain_http_to_loopback_with_the_opt_in_is_attempted(emu):
    """With the opt-in the request goes out (nothing listens on port 9, so it fails to connect, not by policy)."""
    az = gs.Az(cloud=http_cloud(emu, "127.0.0.1:9", allow=True))
    with pytest.raises(gs.AzureError) as e:
        az.login(service_principal=True, username="app", password="s3cret-value", tenant="contoso.onmicrosoft.com")
    assert "plain http" not in str(e.value)
    assert "s3cret-value" not in str(e.value)


def test_an_https_cloud_never_sends_its_token_over_http(emu, contoso):
    """The check is per request: the emulator's own host over http (az.rest) gets no token, and nothing is sent."""
    emu.clear_requests()
    url = emu.endpoint.replace("https://", "http://") + "/subscriptions?api-version=2022-12-01"
    with pytest.raises(gs.ServiceRequestError, match="plain http"):
        contoso.rest(method="get", url=url)
    assert emu.requests() == []
