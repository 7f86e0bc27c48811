"""Emulator persistence with ``state_dir``: state survives a stop/start and a SIGKILL in the middle of a
burst of writes — every acknowledged write is there afterwards, and the secrets, signing key and CA
stay the same, so an old client keeps working."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from typing import Any, Dict, List

import pytest

import galleryshare as gs

from conftest import login_app

RG = "persistRG"


def test_stop_and_start_on_the_same_directory_keeps_state_and_the_old_client_keeps_working(tmp_path):
    state = tmp_path / "state"
    emu = gs.emulator.start(lro_delay=0, state_dir=state)
    try:
        az = login_app(emu, "contoso-admin", "contoso")
        az.account.set(subscription="contoso-prod")
        az.group.create(name=RG, location="eastus")
        gallery = az.sig.create(resource_group=RG, gallery_name="kept", permissions="groups")
        fab = emu.directory.subscription("fabrikam-prod").id
        az.sig.share.add(resource_group=RG, gallery_name="kept", subscription_ids=[fab])
        ra = az.role.assignment.create(role="Reader", assignee="alinne_montes@contoso.com", scope=gallery["id"])
        port = int(emu.endpoint.rsplit(":", 1)[1])
        secret, key = emu.directory.app("contoso-admin").secret, emu.control_key
    finally:
        emu.stop()
    assert sorted(p.name for p in state.iterdir() if not p.name.endswith(".tmp")) == ["identity.json", "world.json"]
    if os.name == "posix":
        assert (state / "identity.json").stat().st_mode & 0o077 == 0, "the secrets are owner-only"

    again = gs.emulator.start(lro_delay=0, state_dir=state, port=port)
    try:
        assert again.directory.app("contoso-admin").secret == secret
        assert again.control_key == key
        # The same client object: its cached token and its trust in the CA still hold.
        assert az.sig.show(resource_group=RG, gallery_name="kept", sharing_groups=True,
                           query="sharingProfile.groups") == [{"type": "Subscriptions", "ids": [fab]}]
        listed = az.role.assignment.list(scope=gallery["id"])
        assert ra["name"] in [a["name"] for a in listed]
        # And writes go on from the restored state.
        az.sig.create(resource_group=RG, gallery_name="after")
        assert sorted(g["name"] for g in az.sig.list(resource_group=RG)) == ["after", "kept"]
    finally:
        again.stop()


def test_reset_of_a_persisted_emulator_is_persisted_too(tmp_path):
    with gs.emulator.start(lro_delay=0, state_dir=tmp_path) as emu:
        az = login_app(emu, "contoso-admin", "contoso")
        az.account.set(subscription="contoso-prod")
        az.group.create(name=RG, location="eastus")
        emu.reset()
    with gs.emulator.start(lro_delay=0, state_dir=tmp_path) as emu:
        az = login_app(emu, "contoso-admin", "contoso")
        az.account.set(subscription="contoso-prod")
        with pytest.raises(gs.ResourceNotFoundError):
            az.group.show(name=RG)


def test_a_corrupt_state_file_is_refused_with_its_path(tmp_path):
    with gs.emulator.start(lro_delay=0, state_dir=tmp_path):
        pass
    (tmp_path / "world.json").write_text("{not json")
    with pytest.raises(RuntimeError, match="world.json is not a saved state"):
        gs.emulator.start(state_dir=tmp_path)


# ---- SIGKILL during a burst of writes ----------------------------------------------------------------------

SERVE = "import sys; from galleryshare.emulator import main; sys.exit(main(sys.argv[1:]))"


def serve(state_dir) -> "tuple[subprocess.Popen, Dict[str, Any]]":
    """The console script in its own process; returns it and the JSON it prints when ready."""
    proc = subprocess.Popen([sys.executable, "-c", SERVE, "--state-dir", str(state_dir), "--lro-delay", "0"],
                            stdout=subprocess.PIPE, text=True)
    text = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        text += line
        if line.startswith("}"):
            return proc, json.loads(text)
    raise AssertionError(f"the emulator exited without printing its endpoints (code {proc.wait()})")


def session(info: Dict[str, Any]) -> gs.Az:
    with open(info["ca_cert_path"], encoding="utf-8") as f:
        ca = f.read()
    endpoint = info["endpoint"]
    cloud = gs.Cloud(name="Standalone", resource_manager=endpoint, active_directory=endpoint,
                     microsoft_graph=endpoint, ca_pem=ca)
    app = next(a for a in info["directory"]["apps"] if a["name"] == "contoso-admin")
    tenant = next(t for t in info["directory"]["tenants"] if t["name"] == "contoso")
    az = gs.Az(cloud=cloud)
    az.login(service_principal=True, username=app["client_id"], password=app["secret"], tenant=tenant["id"])
    az.account.set(subscription="contoso-prod")
    return az


def test_sigkill_during_a_burst_of_writes_loses_no_acknowledged_write(tmp_path):
    proc, info = serve(tmp_path)
    acknowledged: List[str] = []
    shared: List[str] = []
    enough = threading.Event()
    try:
        az = session(info)
        az.group.create(name=RG, location="eastus")
        az.sig.create(resource_group=RG, gallery_name="hub", permissions="groups")

        def burst() -> None:
            # Alternate gallery creates and share adds until the process dies under us.
            try:
                for i in range(10_000):
                    if i % 2:
                        sub = f"00000000-0000-4000-8000-{i:012d}"
                        az.sig.share.add(resource_group=RG, gallery_name="hub", subscription_ids=[sub], timeout=3)
                        shared.append(sub)
                    else:
                        az.sig.create(resource_group=RG, gallery_name=f"g{i}", timeout=3)
                        acknowledged.append(f"g{i}")
                    if len(acknowledged) + len(shared) >= 20:
                        enough.set()
            except gs.AzureError:
                pass
            finally:
                enough.set()

        writer = threading.Thread(target=burst)
        writer.start()
        assert enough.wait(120), "the burst made no progress"
        os.kill(proc.pid, signal.SIGKILL)  # while the writer is in the middle of its next request
        proc.wait()
        writer.join(30)
        assert not writer.is_alive()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert len(acknowledged) + len(shared) >= 20

    world = json.loads((tmp_path / "world.json").read_text())
    assert world["v"] == 1, "the state file is whole and readable"

    proc2, info2 = serve(tmp_path)
    try:
        assert info2["control_key"] == info["control_key"]
        az2 = session(info2)  # the persisted secret still logs in
        names = {g["name"] for g in az2.sig.list(resource_group=RG)}
        assert set(acknowledged) <= names, sorted(set(acknowledged) - names)
        groups = az2.sig.show(resource_group=RG, gallery_name="hub", sharing_groups=True, query="sharingProfile.groups")
        ids = next((g["ids"] for g in groups or [] if g["type"] == "Subscriptions"), [])
        assert set(shared) <= set(ids), sorted(set(shared) - set(ids))
        assert len(ids) == len(set(ids))
        print(f"\npersistence: {len(acknowledged)} galleries and {len(shared)} share adds acknowledged before SIGKILL; all found after restart")
    finally:
        proc2.send_signal(signal.SIGTERM)
        proc2.wait(30)
        if proc2.stdout:
            proc2.stdout.close()
