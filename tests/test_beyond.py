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


# ---- explain_access --------------------------------------------------------------------------------------

from conftest import login_app  # noqa: E402

PASSWORD = "Str0ng!Passw0rd-42"


def publish(contoso: gs.Az, *, versions=(("1.0.0", False),), regions=("eastus",), permissions="groups") -> str:
    extra = dict(publisher_uri="https://contoso.com", publisher_email="a@contoso.com", eula="https://contoso.com/eula",
                 public_name_prefix="contoso") if permissions == "community" else {}
    contoso.group.create(name=RG, location="eastus")
    contoso.sig.create(resource_group=RG, gallery_name=GALLERY, permissions=permissions, **extra)
    image = contoso.sig.image_definition.create(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                                publisher="contoso", offer="o", sku="s", os_type="Linux", query="id")
    managed = contoso.group.show(name="images", query="id") + "/providers/Microsoft.Compute/images/ubuntu-base"
    for v, excluded in versions:
        contoso.sig.image_version.create(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                         gallery_image_version=v, managed_image=managed, target_regions=list(regions),
                                         exclude_from_latest=excluded)
    return image


def admin_of_both(emu) -> gs.Az:
    """An admin session with logins in both tenants, as someone diagnosing a share would have."""
    az = login_app(emu, "contoso-admin", "contoso")
    a = emu.directory.app("fabrikam-admin")
    az.login(service_principal=True, username=a.client_id, password=a.secret, tenant=emu.directory.tenant("fabrikam").id)
    az.account.set(subscription="contoso-prod")
    return az


def finding(findings, check: str) -> dict:
    return next(f for f in findings if f["check"] == check)


def run_fix(f: dict, az: gs.Az, **placeholders) -> None:
    code = f["fixPython"]
    for k, v in placeholders.items():
        code = code.replace(k, repr(v))
    eval(code, {"az": az})  # the fix is a line of this API


def unique_name(contoso: gs.Az) -> str:
    return contoso.sig.show(resource_group=RG, gallery_name=GALLERY, query="identifier.uniqueName")


def deploy(fabrikam: gs.Az, image: str, location="eastus", name="vm1", **kw) -> dict:
    fabrikam.group.create(name="apps", location=location)
    fabrikam.vm.create(name=name, resource_group="apps", image=image, location=location, admin_username="azureuser",
                       admin_password=PASSWORD, **kw)
    return fabrikam.vm.show(name=name, resource_group="apps", query="storageProfile.imageReference")


def test_explain_not_shared_then_fix(emu, contoso, fabrikam):
    publish(contoso)
    image = f"/SharedGalleries/{unique_name(contoso)}/Images/{IMAGE}/Versions/latest"
    admin = admin_of_both(emu)
    findings = admin.sig.explain_access(image=image, subscription=emu.directory.subscription("fabrikam-prod").id, location="eastus")
    shared = finding(findings, "shared")
    assert shared["verdict"] == "blocked" and "Not shared" in shared["detail"]
    assert shared["fixCli"].startswith("az sig share add") and "Update-AzGallery" in shared["fixPowerShell"]
    assert "<table>" in findings._repr_html_()
    with pytest.raises(gs.HttpResponseError):
        deploy(fabrikam, image, os_type="Linux")
    run_fix(shared, admin)
    assert deploy(fabrikam, image)["exactVersion"] == "1.0.0"


def test_explain_shared_by_tenant_needs_shared_to_tenant(emu, contoso, fabrikam):
    publish(contoso)
    contoso.sig.share.add(resource_group=RG, gallery_name=GALLERY, tenant_ids=[emu.directory.tenant("fabrikam").id])
    image = f"/SharedGalleries/{unique_name(contoso)}/Images/{IMAGE}/Versions/latest"
    findings = admin_of_both(emu).sig.explain_access(image=image, subscription="fabrikam-prod", location="eastus")
    shared = finding(findings, "shared")
    assert shared["verdict"] == "warning" and 'shared_to="tenant"' in shared["detail"]
    assert fabrikam.sig.list_shared(location="eastus") == []
    run_fix(shared, fabrikam)  # the fix is the listing that shows it
    assert [g["name"] for g in fabrikam.sig.list_shared(location="eastus", shared_to="tenant")] == [unique_name(contoso)]
    assert deploy(fabrikam, image)["exactVersion"] == "1.0.0"


def test_explain_wrong_region_then_fix(emu, contoso, fabrikam):
    publish(contoso, regions=("eastus",))
    contoso.sig.share.add(resource_group=RG, gallery_name=GALLERY, subscription_ids=[emu.directory.subscription("fabrikam-prod").id])
    image = f"/SharedGalleries/{unique_name(contoso)}/Images/{IMAGE}/Versions/latest"
    admin = admin_of_both(emu)
    region = finding(admin.sig.explain_access(image=image, subscription="fabrikam-prod", location="westus"), "region")
    assert region["verdict"] == "blocked" and "not to westus" in region["detail"]
    with pytest.raises(gs.HttpResponseError):
        deploy(fabrikam, image, location="westus")
    run_fix(region, admin)
    assert deploy(fabrikam, image, location="westus", name="vm2")["exactVersion"] == "1.0.0"


def test_explain_excluded_from_latest_then_fix(emu, contoso, fabrikam):
    publish(contoso, versions=(("1.0.0", False), ("2.0.0", True)))
    contoso.sig.share.add(resource_group=RG, gallery_name=GALLERY, subscription_ids=[emu.directory.subscription("fabrikam-prod").id])
    image = f"/SharedGalleries/{unique_name(contoso)}/Images/{IMAGE}/Versions/latest"
    admin = admin_of_both(emu)
    latest = finding(admin.sig.explain_access(image=image, subscription="fabrikam-prod", location="eastus"), "latest")
    assert latest["verdict"] == "warning" and "2.0.0 is excluded from latest" in latest["detail"]
    run_fix(latest, admin)
    assert deploy(fabrikam, image)["exactVersion"] == "2.0.0"


def test_explain_community_not_enabled_then_fix(emu, contoso, fabrikam):
    publish(contoso, permissions="community")
    public = contoso.sig.show(resource_group=RG, gallery_name=GALLERY, query="sharingProfile.communityGalleryInfo.publicNames[0]")
    image = f"/CommunityGalleries/{public}/Images/{IMAGE}/Versions/latest"
    fab = emu.directory.subscription("fabrikam-prod").id  # a session without a fabrikam login names it by id
    community = finding(contoso.sig.explain_access(image=image, subscription=fab), "community")
    assert community["verdict"] == "blocked" and "not enabled" in community["detail"]
    run_fix(community, contoso)
    assert deploy(fabrikam, image, accept_term=True)["communityGalleryImageId"] == image


def test_explain_missing_reader_and_missing_second_login_then_fix(emu, contoso, fabrikam):
    version_id = publish(contoso) + "/versions/1.0.0"
    d = emu.directory
    app = d.app("myGalleryApp")
    rg = fabrikam.group.create(name="apps", location="eastus", query="id")
    fabrikam.role.assignment.create(role="Contributor", assignee=app.client_id, scope=rg)

    # The app, logged in to fabrikam only: the missing second login is named, with its fix.
    only_fabrikam = login_app(emu, "myGalleryApp", "fabrikam")
    aux = finding(only_fabrikam.sig.explain_access(image=version_id, subscription="fabrikam-prod"), "auxiliary token")
    assert aux["verdict"] == "blocked" and d.tenant("contoso").id in aux["detail"]
    run_fix(aux, only_fabrikam, APP_ID=app.client_id, SECRET=app.secret)
    assert finding(only_fabrikam.sig.explain_access(image=version_id, subscription="fabrikam-prod"), "auxiliary token")["verdict"] == "ok"

    # The admin sees that the app has no Reader on the gallery; the fix grants it.
    admin = admin_of_both(emu)
    rbac = finding(admin.sig.explain_access(image=version_id, subscription="fabrikam-prod", principal=app.client_id), "rbac")
    assert rbac["verdict"] == "blocked" and "Reader" in rbac["fixCli"]
    with pytest.raises(gs.HttpResponseError):
        only_fabrikam.vm.create(name="vm1", resource_group="apps", image=version_id, admin_password=PASSWORD, subscription="fabrikam-prod")
    run_fix(rbac, admin)
    only_fabrikam.login(service_principal=True, username=app.client_id, password=app.secret, tenant=d.tenant("contoso").id)
    only_fabrikam.vm.create(name="vm1", resource_group="apps", image=version_id, admin_password=PASSWORD, subscription="fabrikam-prod")
    assert only_fabrikam.vm.show(name="vm1", resource_group="apps", subscription="fabrikam-prod",
                                 query="storageProfile.imageReference.id") == version_id


def test_explain_in_powershell(emu, contoso):
    publish(contoso)
    a = emu.directory.app("contoso-admin")
    ps = gs.Pwsh(cloud=emu.cloud)
    ps.Connect_AzAccount(ServicePrincipal=True, Credential=gs.PSCredential(a.client_id, a.secret), Tenant=emu.directory.tenant("contoso").id)
    image = f"/SharedGalleries/{unique_name(contoso)}/Images/{IMAGE}/Versions/latest"
    findings = ps.Test_AzGalleryAccess(Image=image, Subscription=emu.directory.subscription("contoso-dev").id, Location="eastus")
    shared = next(f for f in findings if f.Check == "shared")
    assert shared.Verdict == "blocked" and shared.FixPowerShell.startswith("Update-AzGallery")


# ---- sharing_report -------------------------------------------------------------------------------------

def test_sharing_report_matches_the_emulator_state(emu, contoso):
    d = emu.directory
    contoso.group.create(name=RG, location="eastus")
    contoso.sig.create(resource_group=RG, gallery_name="rbacGallery")
    contoso.sig.create(resource_group=RG, gallery_name="directGallery", permissions="groups")
    contoso.sig.create(resource_group=RG, gallery_name="communityGallery", permissions="community",
                       publisher_uri="https://contoso.com", publisher_email="a@contoso.com",
                       eula="https://contoso.com/eula", public_name_prefix="contoso")
    rbac_id = contoso.sig.show(resource_group=RG, gallery_name="rbacGallery", query="id")
    contoso.role.assignment.create(role="Reader", assignee="alinne_montes@contoso.com", scope=rbac_id)
    contoso.sig.share.add(resource_group=RG, gallery_name="directGallery",
                          subscription_ids=[d.subscription("fabrikam-prod").id], tenant_ids=[d.tenant("fabrikam").id])
    contoso.sig.share.enable_community(resource_group=RG, gallery_name="communityGallery")

    report = contoso.sig.sharing_report(resource_group=RG)
    by = lambda gallery, access: [r for r in report if r["gallery"] == gallery and r["access"] == access]  # noqa: E731
    alinne = [r for r in by("rbacGallery", "rbac") if r["principal"] == "alinne_montes@contoso.com"]
    assert len(alinne) == 1 and alinne[0]["role"] == "Reader" and alinne[0]["inheritedFrom"] is None
    owner = [r for r in by("rbacGallery", "rbac") if r["role"] == "Owner"]
    assert owner and owner[0]["inheritedFrom"] == f"/subscriptions/{d.subscription('contoso-prod').id}"
    assert [r["target"] for r in by("directGallery", "subscription")] == [d.subscription("fabrikam-prod").id]
    assert [r["target"] for r in by("directGallery", "tenant")] == [d.tenant("fabrikam").id]
    community = by("communityGallery", "community")
    public = contoso.sig.show(resource_group=RG, gallery_name="communityGallery",
                              query="sharingProfile.communityGalleryInfo.publicNames[0]")
    assert community == [dict(community[0], target=public, communityEnabled=True)]
    assert by("rbacGallery", "subscription") == [] and "<table>" in report._repr_html_()
    assert {r["permissions"] for r in report if r["gallery"] == "directGallery"} == {"Groups"}
