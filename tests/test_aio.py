"""gs.aio: the same command trees, awaitable, fanned out with asyncio.gather (issue 7, acceptance 1).

A custom seed adds 50 consumer subscriptions in fabrikam. 20 galleries are created concurrently, each is
shared with its own set of consumers concurrently, then all 50 consumers list what is shared with them
concurrently; every answer is checked against what was shared. The scenario runs under ``asyncio.run`` and
inside an event loop that is already running (as in Jupyter), where the blocking API must work too.
"""

from __future__ import annotations

import asyncio
import random
import threading
import uuid
from typing import Dict, List, Set

import pytest

import galleryshare as gs
from galleryshare import emulator as gs_emulator

CONSUMERS = [f"consumer-{i:02d}" for i in range(50)]
GALLERIES = [f"fanout{i:02d}" for i in range(20)]
NAMESPACE = uuid.UUID("5d0cbd5c-3a3c-4c39-9d3e-7c1b0e0f2a11")


def consumer_id(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


def fanout_seed() -> Dict:
    seed = gs_emulator.default_seed()
    seed["subscriptions"] += [{"name": c, "id": consumer_id(c), "tenant": "fabrikam"} for c in CONSUMERS]
    seed["role_assignments"] += [
        {"principal": "fabrikam-admin", "role": "Reader", "scope": f"/subscriptions/{consumer_id(c)}"} for c in CONSUMERS
    ]
    return seed


def share_plan() -> Dict[str, List[str]]:
    """Each gallery gets its own fixed set of 1-8 consumers."""
    rng = random.Random(20261123)
    return {g: sorted(rng.sample(CONSUMERS, rng.randint(1, 8))) for g in GALLERIES}


@pytest.fixture(scope="module")
def fanout_emu():
    emu = gs_emulator.start(seed=fanout_seed(), lro_delay=0)
    yield emu
    emu.stop()


async def login(emu, app: str, tenant: str) -> gs.aio.Az:
    a = emu.directory.app(app)
    az = gs.aio.Az(cloud=emu.cloud)
    await az.login(service_principal=True, username=a.client_id, password=a.secret, tenant=emu.directory.tenant(tenant).id)
    return az


async def fan_out(emu, rg: str) -> None:
    pub = await login(emu, "contoso-admin", "contoso")
    await pub.account.set(subscription="contoso-prod")
    await pub.group.create(name=rg, location="eastus")
    plan = share_plan()

    created = await asyncio.gather(*(pub.sig.create(resource_group=rg, gallery_name=g, permissions="groups")
                                     for g in GALLERIES))
    assert sorted(c["name"] for c in created) == GALLERIES
    unique = {c["name"]: c["identifier"]["uniqueName"] for c in created}

    await asyncio.gather(*(pub.sig.share.add(resource_group=rg, gallery_name=g,
                                             subscription_ids=[consumer_id(c) for c in plan[g]]) for g in GALLERIES))

    con = await login(emu, "fabrikam-admin", "fabrikam")
    seen = await asyncio.gather(*(con.sig.list_shared(location="eastus", subscription=consumer_id(c))
                                  for c in CONSUMERS))
    for consumer, shared in zip(CONSUMERS, seen):
        expected: Set[str] = {unique[g] for g in GALLERIES if consumer in plan[g]}
        assert {item["name"] for item in shared} == expected, consumer
        assert all(item["uniqueId"] == f"/SharedGalleries/{item['name']}" for item in shared)

    # Server state, read back: every gallery's groups are exactly its plan, once each.
    for g, result in zip(GALLERIES, await asyncio.gather(
            *(pub.sig.show(resource_group=rg, gallery_name=g, sharing_groups=True) for g in GALLERIES))):
        groups = result["sharingProfile"]["groups"]
        subs = [i for grp in groups if grp["type"] == "Subscriptions" for i in grp["ids"]]
        assert sorted(subs) == sorted(consumer_id(c) for c in plan[g]), g


def test_fan_out_under_asyncio_run(fanout_emu):
    fanout_emu.reset()
    asyncio.run(fan_out(fanout_emu, "fanout-run"))


def test_fan_out_inside_an_already_running_loop(fanout_emu):
    """Jupyter runs cells inside a loop that is already running: no asyncio.run, and blocking calls work."""
    fanout_emu.reset()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        async def cell() -> str:
            await fan_out(fanout_emu, "fanout-loop")
            # The blocking mirror inside the running loop (what a notebook cell without `await` does).
            a = fanout_emu.directory.app("contoso-admin")
            az = gs.Az(cloud=fanout_emu.cloud)
            az.login(service_principal=True, username=a.client_id, password=a.secret,
                     tenant=fanout_emu.directory.tenant("contoso").id)
            return az.sig.show(resource_group="fanout-loop", gallery_name=GALLERIES[0], query="name")

        assert asyncio.run_coroutine_threadsafe(cell(), loop).result(timeout=110) == GALLERIES[0]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_async_lists_stream_page_by_page_and_await_whole(emu):
    emu.set_page_size(2)

    async def main():
        az = await login(emu, "contoso-admin", "contoso")
        await az.account.set(subscription="contoso-prod")
        await az.group.create(name="rg-pages", location="eastus")
        await asyncio.gather(*(az.sig.create(resource_group="rg-pages", gallery_name=f"p{i}") for i in range(5)))
        emu.clear_requests()
        streamed = [g["name"] async for g in az.sig.list(resource_group="rg-pages")]
        pages = [r for r in emu.requests() if r["path"].endswith("/galleries")]
        whole = await az.sig.list(resource_group="rg-pages", query="[].name")
        return streamed, len(pages), whole

    streamed, page_requests, whole = asyncio.run(main())
    assert sorted(streamed) == [f"p{i}" for i in range(5)]
    assert page_requests == 3  # 2 + 2 + 1, one request per page
    assert sorted(whole) == sorted(streamed)


def test_async_poller_and_bad_input_before_sending(emu):
    async def main():
        az = await login(emu, "contoso-admin", "contoso")
        await az.account.set(subscription="contoso-prod")
        await az.group.create(name="rg-poll", location="eastus")
        emu.clear_requests()
        with pytest.raises(gs.ValidationError) as bad:
            await az.sig.create(resource_group="rg-poll", gallery_name="bad name!")
        assert emu.requests() == []  # checked before anything is sent
        poller = await az.sig.create(resource_group="rg-poll", gallery_name="polled", no_wait=True)
        assert isinstance(poller, gs.aio.AsyncPoller)
        token = poller.continuation_token()
        done = await az.resume(token)
        return bad.value, await poller, done

    bad, result, resumed = asyncio.run(main())
    assert "gallery" in str(bad).lower()
    assert result["name"] == "polled" and result["provisioningState"] == "Succeeded"
    assert resumed["name"] == "polled"


def test_async_pwsh_multi_step_cmdlets(emu):
    """Cmdlets made of several calls (Connect, Update-AzGallery -Share) await each step in order."""

    async def main():
        d = emu.directory
        ps = gs.aio.Pwsh(cloud=emu.cloud)
        a = d.app("contoso-admin")
        ctx = await ps.Connect_AzAccount(ServicePrincipal=True, Credential=gs.PSCredential(a.client_id, a.secret),
                                         Tenant=d.tenant("contoso").id, Subscription="contoso-prod")
        rg = await ps.New_AzResourceGroup(Name="rg-ps", Location="eastus")
        await ps.New_AzGallery(ResourceGroupName=rg.ResourceGroupName, Name="psgallery", Location="eastus",
                               Permission="Groups")
        fab = d.subscription("fabrikam-prod").id
        shared = await ps.Update_AzGallery(ResourceGroupName="rg-ps", Name="psgallery", Share=True, Subscription=[fab])
        return ctx, shared, fab

    ctx, shared, fab = asyncio.run(main())
    assert ctx.Subscription.Name == "contoso-prod" if hasattr(ctx.Subscription, "Name") else True
    groups = shared.SharingProfile.Groups
    assert any(g.Type == "Subscriptions" and fab in g.Ids for g in groups)


def test_cancelling_an_async_call_leaves_the_loop_usable(emu):
    emu.set_lro_delay(30)

    async def main():
        az = await login(emu, "contoso-admin", "contoso")
        await az.account.set(subscription="contoso-prod")
        await az.group.create(name="rg-cancel", location="eastus")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(az.sig.create(resource_group="rg-cancel", gallery_name="slow"), 0.5)
        with pytest.raises(gs.OperationTimeoutError):
            await az.sig.create(resource_group="rg-cancel", gallery_name="slow2", timeout=0.5)
        return await az.group.show(name="rg-cancel", query="name")

    assert asyncio.run(main()) == "rg-cancel"
