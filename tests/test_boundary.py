"""The FFI boundary and the transport's rules: a Rust panic is an exception (never an abort), and bearer
tokens or secrets never go over plain http except to a loopback endpoint the caller opted into."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any, Iterator

import pytest
from replay_server import reference_dir

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


def test_a_dropped_client_is_collected_although_its_native_caller_refers_back_to_it():
    """The blocking session's ``call`` is a native object holding the session (a cycle): the GC must see it."""
    import gc
    import weakref

    az = gs.Az()
    assert type(az._s.call) is _core.Caller
    session = weakref.ref(az._s)
    del az
    gc.collect()
    assert session() is None


def test_import_galleryshare_loads_no_heavy_standard_modules():
    """Start-up is a target (benches/): ``import galleryshare`` brings in its own modules only, not
    ``typing``, ``json`` or ``re`` (annotations are for type checkers; JSON goes through the core)."""
    code = ("import sys\nbefore = set(sys.modules)\nimport galleryshare\n"
            "print(sorted(m for m in set(sys.modules) - before if not m.startswith('galleryshare')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    loaded = set(json.loads(out.stdout.replace("'", '"')))
    assert not loaded & {"typing", "json", "re", "enum", "asyncio", "dataclasses", "logging", "importlib.util"}, loaded


def test_unknown_panic_place_is_a_value_error():
    with pytest.raises(ValueError, match="place"):
        _core._panic_for_test("nowhere")


def _every_value(doc: Any) -> Iterator[Any]:
    yield doc
    children = doc.values() if isinstance(doc, dict) else doc if isinstance(doc, list) else ()
    for child in children:
        yield from _every_value(child)


def _exactly(x: Any) -> Any:
    """A value with its key order and number types made part of equality."""
    if isinstance(x, dict):
        return ("dict", [(k, _exactly(v)) for k, v in x.items()])
    if isinstance(x, list):
        return ("list", [_exactly(v) for v in x])
    return (type(x).__name__, x)


CORNERS = [
    '{"name": "a", "name": "b", "identifier": {"uniqueId": "/SharedGalleries/u"}, "uniqueId": "x",'
    ' "properties": {"identifier": {"publisher": "p"}, "tags": {"z": {"properties": 1}, "a": 2},'
    ' "id": "/subscriptions/s/resourceGroups/FromProps/providers/P/t/n"}, "list": [{"properties": {"b": 1, "a": 2}},'
    ' 1, -2, 1.5, 1e300, 18446744073709551615, null, true, "\\u00fc\\n"], "sourceVault": {"id": "/subscriptions/s/resourceGroups/kv"}}',
    '[{"identifier": {"uniqueId": "u", "more": 1}}, [{"id": "/subscriptions/s/resourceGroups/r"}], "s"]',
    '{"id": 7, "properties": "dropped", "ResourceGroup": "kept"}',
    '{"b": 1, "a": {"d": 1, "c": 2}, "b": 3}',
    "", "null", "[]", "{}",
]


def test_results_built_as_python_objects_equal_the_value_path_key_order_included():
    """Responses reach Python read once, straight into objects (`PyBuild`); the same rules through
    `serde_json::Value` (what the pure-Rust side uses) must give the same result, in the same order."""
    texts = list(CORNERS)
    for path in sorted(reference_dir().rglob("*.json")):
        texts += [json.dumps(v) for v in _every_value(json.loads(path.read_text(encoding="utf-8")))]
    assert len(texts) > 1000
    for text in texts:
        for layout in ("cli", "sorted", "as_sent"):
            objects, via_value = _core._shape_for_test(layout, text)
            expected = None if via_value == "null" and text in ("", "null") else json.loads(via_value)
            assert _exactly(objects) == _exactly(expected), (layout, text[:200])


def test_a_result_that_is_not_json_is_a_service_response_error():
    with pytest.raises(gs.ServiceResponseError, match="unreadable JSON"):
        _core._shape_for_test("cli", '{"a": ')
    with pytest.raises(gs.ServiceResponseError, match="unreadable JSON"):
        _core._shape_for_test("cli", '{} trailing')


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
