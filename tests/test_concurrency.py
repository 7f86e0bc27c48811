"""One client, many callers at once (issue 8, acceptance 5): a `gs.Az` hammered from 8 threads, a `gs.Pwsh`
from 8 threads, and a `gs.aio.Az` from 200 asyncio tasks, with mixed reads and writes. Every result and
the final server state are checked exactly."""

from __future__ import annotations

import asyncio
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List

import galleryshare as gs

RG = "hammerRG"
NS = uuid.UUID("9b7e3f0e-5a52-4a55-8a55-0f2f0c3d9e01")
DEF = {"publisher": "p", "offer": "o", "os_type": "Linux"}


def consumer(i: int) -> str:
    return str(uuid.uuid5(NS, f"consumer-{i}"))


def worker(az: gs.Az, i: int, start: threading.Barrier) -> Dict[str, object]:
    """Gallery i: create, two definitions, share with its own subscription, read it all back."""
    g = f"hammer{i}"
    start.wait()
    created = az.sig.create(resource_group=RG, gallery_name=g, permissions="groups", description=f"gallery {i}")
    images = [az.sig.image_definition.create(resource_group=RG, gallery_name=g, gallery_image_definition=f"img{i}x{k}",
                                             sku=f"s{k}", **DEF)["name"] for k in range(2)]
    az.sig.share.add(resource_group=RG, gallery_name=g, subscription_ids=[consumer(i)])
    return {
        "created": (created["name"], created["description"], created["resourceGroup"]),
        "images": images,
        "listed": sorted(az.sig.image_definition.list(resource_group=RG, gallery_name=g, query="[].name")),
        "groups": az.sig.show(resource_group=RG, gallery_name=g, sharing_groups=True,
                              query="sharingProfile.groups[?type=='Subscriptions'].ids[]"),
        "group": az.group.show(name=RG, query="name"),
        "account": az.account.show(query="name"),
    }


def test_one_cli_client_from_8_threads(emu, contoso):
    contoso.group.create(name=RG, location="eastus")
    start = threading.Barrier(8)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: worker(contoso, i, start), range(8)))
    for i, r in enumerate(results):
        assert r["created"] == (f"hammer{i}", f"gallery {i}", RG)
        assert r["images"] == [f"img{i}x0", f"img{i}x1"] == r["listed"]
        assert r["groups"] == [consumer(i)]
        assert r["group"] == RG and r["account"] == "contoso-prod"
    # The server holds exactly what the threads made.
    assert sorted(contoso.sig.list(resource_group=RG, query="[].name")) == sorted(f"hammer{i}" for i in range(8))
    creates = [r for r in emu.requests() if r["method"] == "PUT" and "/images/" in r["path"]]
    assert len(creates) == 16 and all(r["status"] in (200, 201) for r in creates)


def test_one_powershell_client_from_8_threads(emu, contoso):
    contoso.group.create(name=RG, location="eastus")
    for i in range(4):
        contoso.sig.create(resource_group=RG, gallery_name=f"ps{i}")
    a = emu.directory.app("contoso-admin")
    ps = gs.Pwsh(cloud=emu.cloud)
    ps.Connect_AzAccount(ServicePrincipal=True, Credential=gs.PSCredential(a.client_id, a.secret),
                         Tenant=emu.directory.tenant("contoso").id, Subscription="contoso-prod")

    def read(n: int) -> List[str]:
        names = [ps.Get_AzGallery(ResourceGroupName=RG, Name=f"ps{(n + k) % 4}").Name for k in range(4)]
        return names + [sorted(g.Name for g in ps.Get_AzGallery(ResourceGroupName=RG))]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(read, range(32)))
    for n, r in enumerate(results):
        assert r[:4] == [f"ps{(n + k) % 4}" for k in range(4)]
        assert r[4] == ["ps0", "ps1", "ps2", "ps3"]


async def hammer(emu) -> None:
    a = emu.directory.app("contoso-admin")
    az = gs.aio.Az(cloud=emu.cloud)
    await az.login(service_principal=True, username=a.client_id, password=a.secret,
                   tenant=emu.directory.tenant("contoso").id)
    az.account.set(subscription="contoso-prod")
    await az.group.create(name=RG, location="eastus")
    galleries = [f"aio{i:02d}" for i in range(20)]
    made = await asyncio.gather(*(az.sig.create(resource_group=RG, gallery_name=g) for g in galleries))
    assert [m["name"] for m in made] == galleries

    # 200 tasks on one client: 100 writes (5 definitions per gallery) mixed with 100 reads of stable state.
    writes = [az.sig.image_definition.create(resource_group=RG, gallery_name=g, gallery_image_definition=f"d{k}",
                                             sku=f"{g}-{k}", **DEF) for g in galleries for k in range(5)]
    reads = [az.sig.show(resource_group=RG, gallery_name=galleries[n % 20], query="name") for n in range(100)]
    tasks = [x for pair in zip(writes, reads) for x in pair]
    assert len(tasks) == 200
    out = await asyncio.gather(*tasks)
    for n in range(100):
        g, k = galleries[n // 5], n % 5
        assert out[2 * n]["name"] == f"d{k}" and out[2 * n]["identifier"]["sku"] == f"{g}-{k}"
        assert out[2 * n + 1] == galleries[n % 20]
    listed = await asyncio.gather(*(az.sig.image_definition.list(resource_group=RG, gallery_name=g, query="[].name")
                                    for g in galleries))
    assert [sorted(names) for names in listed] == [[f"d{k}" for k in range(5)]] * 20


def test_one_asyncio_client_from_200_tasks(emu):
    asyncio.run(hammer(emu))
    assert len([r for r in emu.requests() if r["method"] == "PUT" and "/images/" in r["path"]]) == 100


def test_blocking_calls_outlive_the_threads_that_made_them(emu, contoso):
    """Each thread's blocking calls run on that thread's own runtime and connections: a client keeps
    working when those threads have ended, from new threads, from the main thread and under asyncio
    (a running loop on the calling thread)."""
    contoso.group.create(name=RG, location="eastus")

    def one(i: int) -> str:
        return contoso.sig.create(resource_group=RG, gallery_name=f"outlive{i}", query="name")

    for round_ in range(3):  # a fresh set of threads each round; the previous ones have exited
        threads = [threading.Thread(target=one, args=(round_ * 4 + k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    async def in_a_loop() -> List[str]:
        return contoso.sig.list(resource_group=RG, query="sort([?starts_with(name, 'outlive')].name)")

    expected = sorted(f"outlive{i}" for i in range(12))
    assert asyncio.run(in_a_loop()) == expected
    assert contoso.sig.list(resource_group=RG, query="sort([?starts_with(name, 'outlive')].name)") == expected
    puts = [r for r in emu.requests() if r["method"] == "PUT" and "/galleries/outlive" in r["path"]]
    assert len(puts) == 12 and all(r["status"] in (200, 201) for r in puts)
