"""Emulator faults and the client's retries: every fault kind over HTTPS through the public API, and the
acceptance run — hundreds of mixed operations under ≥ 20 % transient failures that all complete, leave
exactly the expected state, duplicate nothing, and never retry sooner than Retry-After."""

from __future__ import annotations

import random
import uuid
from typing import Any, Dict, List, Set, Tuple

import pytest

import galleryshare as gs

from conftest import login_app

RG = "faultsRG"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
ARM = "/subscriptions/**"


def start(**kw: Any) -> gs.emulator.Emulator:
    return gs.emulator.start(lro_delay=0, **kw)


def contoso_session(emu) -> gs.Az:
    az = login_app(emu, "contoso-admin", "contoso")
    az.account.set(subscription="contoso-prod")
    return az


def attempts(emu, method: str, fragment: str) -> List[Dict[str, Any]]:
    return [e for e in emu.requests() if e["method"] == method and fragment.lower() in e["path"].lower()]


# ---- each fault kind ------------------------------------------------------------------------------------

def test_429_with_sub_second_retry_after_is_retried_no_sooner():
    with start(faults=[{"kind": "status", "status": 429, "retry_after": 0.3, "method": "GET", "path": ARM + "/resourcegroups/images",
                        "next_n": 2}]) as emu:
        az = contoso_session(emu)
        emu.clear_requests()
        assert az.group.show(name="images")["name"] == "images"
        log = attempts(emu, "GET", "/resourceGroups/images")
        assert [e["status"] for e in log] == [429, 429, 200]
        assert [e["fault"] for e in log] == ["status:429", "status:429", None]
        for faulted, retry in zip(log, log[1:]):
            assert retry["received"] - faulted["time"] >= 0.3
        assert emu.faults()["rules"][0]["fired"] == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_on_a_put_is_retried_and_the_gallery_is_created_once(status):
    with start(faults=[{"kind": "status", "status": status, "method": "PUT", "path": "/**/galleries/g1", "next_n": 1}]) as emu:
        az = contoso_session(emu)
        az.group.create(name=RG, location="eastus")
        emu.clear_requests()
        assert az.sig.create(resource_group=RG, gallery_name="g1")["name"] == "g1"
        assert [e["status"] for e in attempts(emu, "PUT", "/galleries/g1")] == [status, 201]
        assert [g["name"] for g in az.sig.list(resource_group=RG)] == ["g1"]


def test_a_dropped_connection_is_retried_for_a_get():
    with start(faults=[{"kind": "drop", "method": "GET", "path": ARM + "/resourcegroups/images", "next_n": 1}]) as emu:
        az = contoso_session(emu)
        emu.clear_requests()
        assert az.group.show(name="images")["name"] == "images"
        log = attempts(emu, "GET", "/resourceGroups/images")
        assert [(e["fault"], e["status"]) for e in log] == [("drop", None), (None, 200)]


def test_a_delay_delays_and_then_serves():
    with start(faults=[{"kind": "delay", "delay_ms": 300, "method": "GET", "path": ARM + "/resourcegroups/images"}]) as emu:
        az = contoso_session(emu)
        emu.clear_requests()
        assert az.group.show(name="images")["name"] == "images"
        (entry,) = attempts(emu, "GET", "/resourceGroups/images")
        assert entry["fault"] == "delay:300ms" and entry["status"] == 200
        assert entry["time"] - entry["received"] >= 0.3


def test_a_failed_lro_raises_with_the_operations_code_and_message():
    with start(faults=[{"kind": "lro_fail", "code": "GalleryQuotaExceeded", "message": "The quota of galleries is exhausted.",
                        "method": "PUT", "path": "/**/galleries/doomed"}]) as emu:
        az = contoso_session(emu)
        az.group.create(name=RG, location="eastus")
        with pytest.raises(gs.HttpResponseError) as err:
            az.sig.create(resource_group=RG, gallery_name="doomed")
        assert err.value.error.code == "GalleryQuotaExceeded"
        assert "The quota of galleries is exhausted." in str(err.value)


def test_a_hanging_lro_times_out_with_the_per_call_timeout():
    with start(faults=[{"kind": "lro_hang", "method": "PUT", "path": "/**/galleries/stuck"}]) as emu:
        az = contoso_session(emu)
        az.group.create(name=RG, location="eastus")
        poller = az.sig.create(resource_group=RG, gallery_name="stuck", no_wait=True)
        assert poller.status() == "InProgress"
        with pytest.raises(TimeoutError):
            poller.result(timeout=0.5)
        assert not poller.done()


def test_a_poll_that_hits_503_and_a_drop_survives():
    poll = "/**/capsoperations/*"
    with start(faults=[{"kind": "status", "status": 503, "retry_after": 0.05, "method": "GET", "path": poll, "next_n": 1},
                       {"kind": "drop", "method": "GET", "path": poll, "next_n": 1}]) as emu:
        az = contoso_session(emu)
        az.group.create(name=RG, location="eastus")
        emu.clear_requests()
        assert az.sig.create(resource_group=RG, gallery_name="polled")["provisioningState"] == "Succeeded"
        polls = attempts(emu, "GET", "/capsOperations/")
        assert [e["fault"] for e in polls] == ["status:503", "drop", None]


def test_a_share_post_is_retried_after_its_answer_was_lost_and_the_groups_stay_the_same():
    with start(faults=[{"kind": "status", "status": 503, "after": True, "method": "POST", "path": "/**/share", "next_n": 1}]) as emu:
        az = contoso_session(emu)
        az.group.create(name=RG, location="eastus")
        az.sig.create(resource_group=RG, gallery_name="g", permissions="groups")
        fab = emu.directory.subscription("fabrikam-prod").id
        emu.clear_requests()
        az.sig.share.add(resource_group=RG, gallery_name="g", subscription_ids=[fab])
        assert [e["status"] for e in attempts(emu, "POST", "/share")] == [503, 202]
        groups = az.sig.show(resource_group=RG, gallery_name="g", sharing_groups=True, query="sharingProfile.groups")
        assert groups == [{"type": "Subscriptions", "ids": [fab]}]


def test_a_role_assignment_put_retried_after_a_lost_answer_is_not_duplicated():
    with start(faults=[{"kind": "drop", "after": True, "method": "PUT", "path": "/**/roleassignments/*", "next_n": 1}]) as emu:
        az = contoso_session(emu)
        az.group.create(name=RG, location="eastus")
        gallery = az.sig.create(resource_group=RG, gallery_name="g")
        emu.clear_requests()
        ra = az.role.assignment.create(role="Reader", assignee="alinne_montes@contoso.com", scope=gallery["id"])
        puts = attempts(emu, "PUT", "/roleAssignments/")
        assert [(e["fault"], e["status"]) for e in puts] == [("drop:after", None), (None, 200)]
        assert len({e["path"] for e in puts}) == 1, "the retry reuses the assignment's GUID"
        listed = [a for a in az.role.assignment.list(scope=gallery["id"]) if a["scope"].lower() == gallery["id"].lower()]
        assert [a["name"] for a in listed] == [ra["name"]]


@pytest.mark.parametrize("fault, error", [({"kind": "status", "status": 503}, gs.HttpResponseError),
                                          ({"kind": "drop"}, gs.ServiceResponseError)])
def test_a_non_idempotent_post_is_not_retried_after_a_fault_that_may_have_been_processed(fault, error):
    with start(faults=[{**fault, "method": "POST", "path": "/**/restart"}]) as emu:
        az = contoso_session(emu)
        sub = emu.directory.subscription("contoso-prod").id
        url = f"/subscriptions/{sub}/resourceGroups/images/providers/Microsoft.Compute/virtualMachines/vm1/restart?api-version=2024-07-01"
        with pytest.raises(error) as err:
            az.rest(method="post", url=url)
        if fault["kind"] == "status":
            assert err.value.status_code == 503
        assert len(attempts(emu, "POST", "/restart")) == 1


def test_a_429_on_a_non_idempotent_post_is_retried():
    with start(faults=[{"kind": "status", "status": 429, "retry_after": 0.05, "method": "POST", "path": "/**/restart", "next_n": 1}]) as emu:
        az = contoso_session(emu)
        sub = emu.directory.subscription("contoso-prod").id
        url = f"/subscriptions/{sub}/resourceGroups/images/providers/Microsoft.Compute/virtualMachines/vm1/restart?api-version=2024-07-01"
        with pytest.raises(gs.ResourceNotFoundError):
            az.rest(method="post", url=url)
        assert [e["status"] for e in attempts(emu, "POST", "/restart")] == [429, 404]


def test_faults_set_and_cleared_at_runtime_and_bad_rules_refused():
    with start() as emu:
        az = contoso_session(emu)
        emu.set_faults([{"kind": "status", "status": 503, "retry_after": 0.05, "path": ARM, "every_nth": 2}], seed=5)
        assert emu.faults()["seed"] == 5
        emu.clear_requests()
        az.group.show(name="images")
        az.group.show(name="images")
        assert [e["status"] for e in emu.requests()] == [200, 503, 200]
        emu.clear_faults()
        assert emu.faults()["rules"] == []
        with pytest.raises(ValueError, match="fault rule 0: status 404 is not one of 429, 500, 502, 503, 504"):
            emu.set_faults([{"kind": "status", "status": 404}])
        with pytest.raises(ValueError, match="fault rule 1: kind 'explode'"):
            gs.emulator.start(faults=[{"kind": "drop"}, {"kind": "explode"}])
        with pytest.raises(ValueError, match="unknown field `probabilty`"):
            emu.set_faults([{"kind": "drop", "probabilty": 0.5}])


def test_the_control_plane_refuses_requests_without_the_key():
    import json
    import ssl
    import urllib.error
    import urllib.request

    with start() as emu:
        context = ssl.create_default_context(cafile=emu.ca_cert_path)
        body = json.dumps([{"kind": "drop"}]).encode()
        for headers in ({}, {"x-emulator-key": "wrong"}):
            req = urllib.request.Request(f"{emu.endpoint}/_emulator/faults", data=body, method="PUT",
                                         headers={"content-type": "application/json", **headers})
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(req, context=context)
            err.value.close()
            assert err.value.code == 403
        assert emu.faults()["rules"] == []
        req = urllib.request.Request(f"{emu.endpoint}/_emulator/faults", data=body, method="PUT",
                                     headers={"content-type": "application/json", "x-emulator-key": emu.control_key})
        with urllib.request.urlopen(req, context=context) as resp:
            assert json.load(resp)["rules"][0]["kind"] == "drop"


# ---- acceptance: exactly-once under ≥ 20 % transient failures -------------------------------------------

TRANSIENT = [
    {"kind": "status", "status": 429, "retry_after": 0.05, "path": ARM, "probability": 0.15},
    {"kind": "status", "status": 503, "retry_after": 0.08, "path": ARM, "probability": 0.10},
    {"kind": "drop", "path": ARM, "probability": 0.02},
    # Answers lost after the write happened: the retry must find the write done, not do it twice.
    {"kind": "status", "status": 503, "retry_after": 0.05, "after": True, "method": "PUT", "path": ARM, "probability": 0.05},
    {"kind": "status", "status": 500, "retry_after": 0.05, "after": True, "method": "POST", "path": "/**/share", "probability": 0.10},
]


class Model:
    """What the emulator must hold at the end, updated as each call returns."""

    def __init__(self) -> None:
        self.galleries: Dict[str, Dict[str, List[str]]] = {}
        self.assignments: Set[Tuple[str, str, str]] = set()

    def share(self, name: str, op: str, subs: List[str], tenants: List[str]) -> None:
        g = self.galleries[name]
        for key, ids in (("Subscriptions", subs), ("AADTenants", tenants)):
            if op == "add":
                g[key] += [i for i in ids if i not in g[key]]
            else:
                g[key] = [i for i in g[key] if i not in ids]


def groups_of(az: gs.Az, name: str) -> Dict[str, List[str]]:
    groups = az.sig.show(resource_group=RG, gallery_name=name, sharing_groups=True, query="sharingProfile.groups") or []
    return {g["type"]: g["ids"] for g in groups}


def test_300_mixed_operations_under_transient_faults_complete_exactly_once():
    rnd = random.Random(20261204)
    with start(fault_seed=1204) as emu:
        az = contoso_session(emu)
        az.group.create(name=RG, location="eastus")
        sub_pool = [emu.directory.subscription(n).id for n in ("contoso-dev", "fabrikam-prod")] + \
            [str(uuid.UUID(int=rnd.getrandbits(128), version=4)) for _ in range(4)]
        tenant_pool = [emu.directory.tenant("fabrikam").id, str(uuid.UUID(int=rnd.getrandbits(128), version=4))]
        assignees = {"alinne_montes@contoso.com": emu.directory.user("alinne_montes@contoso.com").id,
                     emu.directory.app("myGalleryApp").client_id: emu.directory.app("myGalleryApp").service_principals["contoso"]}
        roles = {"Reader": READER, "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c"}
        model = Model()
        ids: Dict[str, str] = {}
        emu.set_faults(TRANSIENT, seed=1204)
        emu.clear_requests()

        counts: Dict[str, int] = {}
        for i in range(300):
            kind = "create" if len(model.galleries) < 3 else rnd.choice(
                ["create", "share_add", "share_add", "share_remove", "role", "role", "list", "show"])
            if kind == "create" and len(model.galleries) >= 8:
                kind = "list"
            counts[kind] = counts.get(kind, 0) + 1
            if kind == "create":
                name = f"g{len(model.galleries)}"
                ids[name] = az.sig.create(resource_group=RG, gallery_name=name, permissions="groups")["id"]
                model.galleries[name] = {"Subscriptions": [], "AADTenants": []}
            elif kind in ("share_add", "share_remove"):
                name = rnd.choice(sorted(model.galleries))
                subs = rnd.sample(sub_pool, rnd.randint(1, 3))
                tenants = rnd.sample(tenant_pool, rnd.randint(0, 1))
                op = "add" if kind == "share_add" else "remove"
                getattr(az.sig.share, op)(resource_group=RG, gallery_name=name, subscription_ids=subs, tenant_ids=tenants or None)
                model.share(name, op, subs, tenants)
            elif kind == "role":
                name = rnd.choice(sorted(model.galleries))
                assignee, role = rnd.choice(sorted(assignees)), rnd.choice(sorted(roles))
                ra = az.role.assignment.create(role=role, assignee=assignee, scope=ids[name])
                assert ra["principalId"] == assignees[assignee]
                model.assignments.add((ids[name].lower(), roles[role], assignees[assignee]))
            elif kind == "list":
                assert sorted(g["name"] for g in az.sig.list(resource_group=RG)) == sorted(model.galleries)
            else:
                name = rnd.choice(sorted(model.galleries))
                got = groups_of(az, name)
                want = {k: v for k, v in model.galleries[name].items() if v}
                assert {k: sorted(v) for k, v in got.items() if v} == {k: sorted(v) for k, v in want.items()}, (i, name)

        log = emu.requests()
        emu.clear_faults()

        # The final state, read back through the API, is exactly the model: no share or assignment twice.
        assert sorted(g["name"] for g in az.sig.list(resource_group=RG)) == sorted(model.galleries)
        for name, want in model.galleries.items():
            got = groups_of(az, name)
            for key in ("Subscriptions", "AADTenants"):
                assert len(got.get(key, [])) == len(set(got.get(key, []))), (name, key, got)
                assert sorted(got.get(key, [])) == sorted(want[key]), (name, key)
        found = set()
        for name, gid in ids.items():
            for ra in az.role.assignment.list(scope=gid):
                if ra["scope"].lower() == gid.lower():
                    key = (gid.lower(), ra["roleDefinitionId"].rsplit("/", 1)[-1], ra["principalId"])
                    assert key not in found, f"duplicate role assignment {key}"
                    found.add(key)
        assert found == model.assignments

        # Every retry came no sooner than the Retry-After of the attempt it follows (the client is
        # sequential, so the next logged request is that retry).
        faulted = [i for i, e in enumerate(log) if e["fault"]]
        for i in faulted:
            before, retry = log[i], log[i + 1]
            assert (retry["method"], retry["path"]) == (before["method"], before["path"]), (before, retry)
            if before["retry_after"] is not None:
                assert retry["received"] - before["time"] >= before["retry_after"], (before, retry)
        rate = len(faulted) / len(log)
        print(f"\nfaults acceptance: {sum(counts.values())} operations {counts}, {len(log)} attempts, "
              f"{len(faulted)} faulted ({rate:.1%}); kinds: "
              f"{ {k: sum(1 for e in log if e['fault'] == k) for k in sorted({e['fault'] for e in log if e['fault']})} }")
        assert sum(counts.values()) == 300
        assert rate >= 0.20
