"""Beyond the official tools: desired-state sharing, explain access, sharing report."""

from __future__ import annotations

import pytest

import galleryshare as gs

RG, GALLERY, IMAGE = "myGalleryRG", "myGallery", "myImage"


def make_gallery(az: gs.Az, permissions: str = "groups") -> None:
    az.group.create(name=RG, location="eastus")
    az.sig.create(resource_group=RG, gallery_name=GALLERY, permissions=permissions)


def groups(az: gs.Az) -> dict:
    g = az.sig.show(resource_group=RG, gallery_name=GALLERY, sharing_groups=True)["sharingProfile"].get("groups", [])
    return {x["type"]: sorted(x["ids"]) for x in g if x["ids"]}


def posts(emu) -> list:
    return [r for r in emu.requests() if r["method"] == "POST" and r["path"].endswith("/share")]


@pytest.fixture
def ids(emu):
    d = emu.directory
    return {"dev": d.subscription("contoso-dev").id, "fab": d.subscription("fabrikam-prod").id,
            "fab_t": d.tenant("fabrikam").id}


def test_sync_from_empty_from_superset_from_disjoint_and_in_sync(emu, contoso, ids):
    make_gallery(contoso)
    result = contoso.sig.share.sync(resource_group=RG, gallery_name=GALLERY, subscription_ids=[ids["dev"], ids["fab"]])
    assert result["add"]["subscriptionIds"] == sorted([ids["dev"], ids["fab"]]) and not result["inSync"]
    assert groups(contoso) == {"Subscriptions": sorted([ids["dev"], ids["fab"]])}

    # From a superset: only the Remove is sent.
    emu.clear_requests()
    result = contoso.sig.share.sync(resource_group=RG, gallery_name=GALLERY, subscription_ids=[ids["fab"]])
    assert result["remove"]["subscriptionIds"] == [ids["dev"]] and result["add"]["subscriptionIds"] == []
    assert len(posts(emu)) == 1
    assert groups(contoso) == {"Subscriptions": [ids["fab"]]}

    # From a disjoint set: one Add and one Remove.
    emu.clear_requests()
    contoso.sig.share.sync(resource_group=RG, gallery_name=GALLERY, subscription_ids=[ids["dev"]], tenant_ids=[ids["fab_t"]])
    assert len(posts(emu)) == 2
    assert groups(contoso) == {"Subscriptions": [ids["dev"]], "AADTenants": [ids["fab_t"]]}

    # Already in sync: nothing is sent.
    emu.clear_requests()
    result = contoso.sig.share.sync(resource_group=RG, gallery_name=GALLERY, subscription_ids=[ids["dev"].upper()],
                                    tenant_ids=[ids["fab_t"]])
    assert result["inSync"] and result["applied"] == [] and posts(emu) == []


def test_sync_dry_run_sends_no_post(emu, contoso, ids):
    make_gallery(contoso)
    emu.clear_requests()
    result = contoso.sig.share.sync(resource_group=RG, gallery_name=GALLERY, subscription_ids=[ids["fab"]], dry_run=True)
    assert result["dryRun"] and result["add"]["subscriptionIds"] == [ids["fab"]] and result["applied"] == []
    assert posts(emu) == [] and groups(contoso) == {}


def test_sync_switches_a_private_gallery_to_groups(emu, contoso, ids):
    make_gallery(contoso, permissions="private")
    result = contoso.sig.share.sync(resource_group=RG, gallery_name=GALLERY, tenant_ids=[ids["fab_t"]])
    assert result["permissions"] == {"current": "Private", "desired": "Groups"}
    assert contoso.sig.show(resource_group=RG, gallery_name=GALLERY, query="sharingProfile.permissions") == "Groups"
    assert groups(contoso) == {"AADTenants": [ids["fab_t"]]}


def test_sync_in_powershell_with_whatif(emu, contoso, ids):
    make_gallery(contoso)
    a = emu.directory.app("contoso-admin")
    ps = gs.Pwsh(cloud=emu.cloud)
    ps.Connect_AzAccount(ServicePrincipal=True, Credential=gs.PSCredential(a.client_id, a.secret),
                         Tenant=emu.directory.tenant("contoso").id)
    ps.Set_AzContext(Subscription="contoso-prod")
    plan = ps.Sync_AzGallerySharing(ResourceGroupName=RG, Name=GALLERY, Subscription=ids["fab"], WhatIf=True)
    assert plan.add.subscriptionIds == [ids["fab"]] and groups(contoso) == {}
    ps.Sync_AzGallerySharing(ResourceGroupName=RG, Name=GALLERY, Subscription=ids["fab"])
    assert groups(contoso) == {"Subscriptions": [ids["fab"]]}


def test_sync_bad_ids_send_nothing(emu, contoso):
    emu.clear_requests()
    with pytest.raises(gs.ValidationError, match="--tenant-ids"):
        contoso.sig.share.sync(resource_group=RG, gallery_name=GALLERY, tenant_ids=["contoso.com"])
    assert emu.requests() == []
