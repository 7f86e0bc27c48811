"""Blocking calls in notebooks and scripts: progress while an operation runs, Ctrl-C, per-call timeouts,
lists read page by page, and results that render as tables (issue 7)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter

import pytest

import galleryshare as gs
from galleryshare import _progress

PASSWORD = "Sup3r-Secret-Passw0rd!"


def image_id(emu) -> str:
    sub = emu.directory.subscription("contoso-prod").id
    return f"/subscriptions/{sub}/resourceGroups/images/providers/Microsoft.Compute/images/ubuntu-base"


def os_threads() -> list:
    """The names of this process's OS threads (tokio's workers are `tokio-rt-worker`)."""
    names = []
    for t in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{t}/comm") as f:
            names.append(f.read().strip())
    return sorted(names)


def test_ctrl_c_interrupts_a_blocking_vm_create_within_a_second(emu):
    a = emu.directory.app("contoso-admin")
    contoso = gs.Az(cloud=emu.cloud, progress=False)  # a progress bar's own monitor thread is not the subject
    contoso.login(service_principal=True, username=a.client_id, password=a.secret,
                  tenant=emu.directory.tenant("contoso").id)
    contoso.account.set(subscription="contoso-prod")
    contoso.group.create(name="rg-int", location="eastus")
    contoso.group.show(name="rg-int")  # the runtime's threads exist before we count
    before = os_threads()
    emu.set_lro_delay(30)
    sent = {}

    def interrupt() -> None:
        sent["at"] = time.monotonic()
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(1.5, interrupt)
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        contoso.vm.create(name="vm-int", resource_group="rg-int", image=image_id(emu), admin_username="azureuser",
                          admin_password=PASSWORD)
    latency = time.monotonic() - sent["at"]
    timer.join()
    assert latency < 1.0, f"KeyboardInterrupt took {latency:.3f} s"
    # The call's task is cancelled: the log stops growing (no more polls) and no thread is left behind.
    time.sleep(0.3)
    served = len(emu.requests())
    time.sleep(2.5)
    assert len(emu.requests()) == served
    # None was added (idle blocking-pool threads of earlier tests may exit meanwhile: fewer is fine).
    assert Counter(os_threads()) - Counter(before) == Counter()
    assert [t for t in threading.enumerate() if t is not threading.main_thread() and t.is_alive()
            and not t.daemon] == []


def test_progress_shows_the_operation_and_its_status_not_its_arguments(emu, contoso, capfd):
    assert _progress._have_tqdm()
    contoso.group.create(name="rg-progress", location="eastus")
    emu.set_lro_delay(1.5)
    contoso.vm.create(name="vm-progress", resource_group="rg-progress", image=image_id(emu),
                      admin_username="azureuser", admin_password=PASSWORD)
    err = capfd.readouterr().err
    assert "vm.create" in err and "InProgress" in err
    assert PASSWORD not in err


def test_progress_false_shows_nothing(emu, capfd):
    a = emu.directory.app("contoso-admin")
    az = gs.Az(cloud=emu.cloud, progress=False)
    az.login(service_principal=True, username=a.client_id, password=a.secret, tenant=emu.directory.tenant("contoso").id)
    az.account.set(subscription="contoso-prod")
    az.group.create(name="rg-quiet", location="eastus")
    emu.set_lro_delay(1.0)
    az.sig.create(resource_group="rg-quiet", gallery_name="quiet")
    assert capfd.readouterr().err == ""


def test_progress_is_off_without_tqdm(monkeypatch, capfd):
    monkeypatch.setattr(_progress, "_HAVE_TQDM", False)
    assert _progress.Progress.factory(False) is None
    display = _progress.Progress.factory(True)("vm.create")
    display.update("InProgress", 1.0)
    display.close()
    assert display.bar is None
    assert capfd.readouterr().err == ""


def test_per_call_timeout(emu, contoso):
    contoso.group.create(name="rg-timeout", location="eastus")
    emu.set_lro_delay(30)
    start = time.monotonic()
    with pytest.raises(gs.OperationTimeoutError, match="did not finish within 0.5 seconds"):
        contoso.sig.create(resource_group="rg-timeout", gallery_name="slow", timeout=0.5)
    assert time.monotonic() - start < 5
    with pytest.raises(TypeError, match="timeout"):
        contoso.sig.show(resource_group="rg-timeout", gallery_name="slow", timeout="soon")
    with pytest.raises(gs.ValidationError, match="timeout"):
        contoso.sig.show(resource_group="rg-timeout", gallery_name="slow", timeout=-1)


def test_poller_result_timeout_then_wait_again(emu, contoso):
    contoso.group.create(name="rg-poller", location="eastus")
    emu.set_lro_delay(2)
    poller = contoso.sig.create(resource_group="rg-poller", gallery_name="later", no_wait=True)
    with pytest.raises(gs.OperationTimeoutError):
        poller.result(timeout=0.2)
    assert not poller.done() and poller.status() == "InProgress"
    token = json.loads(poller.continuation_token())
    assert token["state"]["v"] >= 1
    assert poller.result()["name"] == "later"
    assert poller.done() and poller.status() == "Succeeded"


def test_stream_reads_a_list_page_by_page(emu, contoso):
    emu.set_page_size(3)
    contoso.group.create(name="rg-stream", location="eastus")
    for i in range(7):
        contoso.sig.create(resource_group="rg-stream", gallery_name=f"s{i}")
    emu.clear_requests()
    pager = contoso.sig.list(resource_group="rg-stream", stream=True)
    assert isinstance(pager, gs.ItemPager)
    assert emu.requests() == []  # nothing is read until iteration starts
    first = next(iter(pager))
    assert first["name"].startswith("s") and len(emu.requests()) == 1
    pages = [len(p) for p in contoso.sig.list(resource_group="rg-stream", stream=True).by_page()]
    assert pages == [3, 3, 1]
    assert sorted(g["name"] for g in contoso.sig.list(resource_group="rg-stream", stream=True)) == \
        sorted(contoso.sig.list(resource_group="rg-stream", query="[].name")) == [f"s{i}" for i in range(7)]
    with pytest.raises(gs.ValidationError, match="query"):
        contoso.sig.list(resource_group="rg-stream", stream=True, query="[].name")


def test_results_render_as_tables_and_stay_plain_json(contoso):
    contoso.group.create(name="rg-tables", location="eastus")
    contoso.sig.create(resource_group="rg-tables", gallery_name="tabled", description="shown in a table")
    listed = contoso.sig.list(resource_group="rg-tables")
    shown = contoso.sig.show(resource_group="rg-tables", gallery_name="tabled")
    assert isinstance(listed, list) and isinstance(shown, dict)
    html = listed._repr_html_()
    assert html.startswith("<table>") and "<th style='text-align:left'>name</th>" in html and "tabled" in html
    assert "<th style='text-align:left'>description</th>" in shown._repr_html_()
    assert json.loads(json.dumps(listed)) == listed  # still exactly what `az ... -o json` prints
    assert contoso.sig.show(resource_group="rg-tables", gallery_name="tabled", query="name") == "tabled"
