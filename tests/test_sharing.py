"""Direct sharing end to end over HTTPS against the emulator: the docs' walkthrough as assertions."""

from __future__ import annotations

import pytest

import galleryshare as gs

RG = "myGalleryRG"
GALLERY = "myGallery"
IMAGE = "myImage"


def make_shared_gallery(emu, az: gs.Az, *, regions=("eastus", "westus")) -> dict:
    """contoso-admin: a Groups gallery with one definition and one version replicated to `regions`."""
    az.group.create(name=RG, location="eastus")
    gallery = az.sig.create(resource_group=RG, gallery_name=GALLERY, permissions="groups")
    az.sig.image_definition.create(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                   publisher="contoso", offer="ubuntu", sku="22_04", os_type="linux")
    image_id = az.group.show(name="images", query="id") + "/providers/Microsoft.Compute/images/ubuntu-base"
    az.sig.image_version.create(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                gallery_image_version="1.0.0", managed_image=image_id, target_regions=list(regions))
    return gallery


def unique_names(items) -> list:
    return [g["name"] for g in items]


def test_create_returns_cli_shape_with_unique_name(emu, contoso):
    gallery = make_shared_gallery(emu, contoso)
    sub = emu.directory.subscription("contoso-prod").id
    assert gallery["name"] == GALLERY
    assert gallery["resourceGroup"] == RG
    assert gallery["provisioningState"] == "Succeeded"
    assert gallery["sharingProfile"]["permissions"] == "Groups"
    assert gallery["identifier"]["uniqueName"] == f"{sub}-{GALLERY.upper()}"
    assert "properties" not in gallery
    assert list(gallery) == sorted(gallery)
    assert contoso.sig.show(resource_group=RG, gallery_name=GALLERY, query="id") == gallery["id"]


def test_shared_with_subscription_visible_in_replicated_regions_only(emu, contoso, fabrikam):
    gallery = make_shared_gallery(emu, contoso)
    unique = gallery["identifier"]["uniqueName"]
    fab_sub = emu.directory.subscription("fabrikam-prod").id

    assert fabrikam.sig.list_shared(location="eastus") == []
    assert contoso.sig.share.add(resource_group=RG, gallery_name=GALLERY, subscription_ids=[fab_sub]) == {}

    for region in ("eastus", "westus"):
        shared = fabrikam.sig.list_shared(location=region)
        assert unique_names(shared) == [unique], region
        assert shared[0]["uniqueId"] == f"/SharedGalleries/{unique}"
    assert fabrikam.sig.list_shared(location="northeurope") == []
    assert fabrikam.sig.list_shared(location="eastus", shared_to="tenant") == []

    # The consumer reads definitions and versions through the shared views.
    assert fabrikam.sig.show_shared(gallery_unique_name=unique, location="eastus")["uniqueId"] == f"/SharedGalleries/{unique}"
    images = fabrikam.sig.image_definition.list_shared(gallery_unique_name=unique, location="eastus")
    assert [i["name"] for i in images] == [IMAGE]
    image = fabrikam.sig.image_definition.show_shared(gallery_unique_name=unique, location="eastus",
                                                      gallery_image_definition=IMAGE)
    assert image["osType"] == "Linux"
    versions = fabrikam.sig.image_version.list_shared(gallery_unique_name=unique, gallery_image_definition=IMAGE,
                                                      location="westus")
    assert [v["name"] for v in versions] == ["1.0.0"]
    version = fabrikam.sig.image_version.show_shared(gallery_unique_name=unique, gallery_image_definition=IMAGE,
                                                     gallery_image_version="1.0.0", location="eastus")
    assert version["uniqueId"] == f"/SharedGalleries/{unique}/Images/{IMAGE}/Versions/1.0.0"


def test_shared_with_tenant_needs_shared_to_tenant(emu, contoso, fabrikam):
    unique = make_shared_gallery(emu, contoso)["identifier"]["uniqueName"]
    fab_tenant = emu.directory.tenant("fabrikam").id
    contoso.sig.share.add(resource_group=RG, gallery_name=GALLERY, tenant_ids=[fab_tenant])
    assert unique_names(fabrikam.sig.list_shared(location="eastus", shared_to="tenant")) == [unique]
    assert fabrikam.sig.list_shared(location="eastus") == []


def test_show_with_select_and_sharing_groups_returns_groups(emu, contoso):
    make_shared_gallery(emu, contoso)
    fab_sub = emu.directory.subscription("fabrikam-prod").id
    fab_tenant = emu.directory.tenant("fabrikam").id
    contoso.sig.share.add(resource_group=RG, gallery_name=GALLERY, subscription_ids=[fab_sub], tenant_ids=[fab_tenant])
    expected = [{"ids": [fab_sub], "type": "Subscriptions"}, {"ids": [fab_tenant], "type": "AADTenants"}]
    selected = contoso.sig.show(resource_group=RG, gallery_name=GALLERY, select="permissions")
    assert selected["sharingProfile"]["groups"] == expected
    expanded = contoso.sig.show(resource_group=RG, gallery_name=GALLERY, sharing_groups=True)
    assert expanded["sharingProfile"]["groups"] == expected
    plain = contoso.sig.show(resource_group=RG, gallery_name=GALLERY)
    assert "groups" not in plain["sharingProfile"]


def test_remove_and_reset_revoke_at_once(emu, contoso, fabrikam):
    unique = make_shared_gallery(emu, contoso)["identifier"]["uniqueName"]
    fab_sub = emu.directory.subscription("fabrikam-prod").id
    fab_tenant = emu.directory.tenant("fabrikam").id
    contoso.sig.share.add(resource_group=RG, gallery_name=GALLERY, subscription_ids=[fab_sub], tenant_ids=[fab_tenant])
    contoso.sig.share.remove(resource_group=RG, gallery_name=GALLERY, subscription_ids=[fab_sub])
    assert fabrikam.sig.list_shared(location="eastus") == []
    assert unique_names(fabrikam.sig.list_shared(location="eastus", shared_to="tenant")) == [unique]

    contoso.sig.share.reset(resource_group=RG, gallery_name=GALLERY)
    assert fabrikam.sig.list_shared(location="eastus", shared_to="tenant") == []
    with pytest.raises(gs.ResourceNotFoundError):
        fabrikam.sig.show_shared(gallery_unique_name=unique, location="eastus")
    assert contoso.sig.show(resource_group=RG, gallery_name=GALLERY)["sharingProfile"]["permissions"] == "Private"


def test_contributor_cannot_share(emu):
    seed = gs.emulator.default_seed()
    seed["apps"].append({"name": "contoso-contributor", "home_tenant": "contoso", "tenants": ["contoso"]})
    prod = next(s for s in seed["subscriptions"] if s["name"] == "contoso-prod")
    seed["role_assignments"].append({"principal": "contoso-contributor", "role": "Contributor", "scope": f"/subscriptions/{prod['id']}"})
    from conftest import login_app

    with gs.emulator.start(seed=seed, lro_delay=0) as own:
        admin = login_app(own, "contoso-admin", "contoso")
        admin.account.set(subscription="contoso-prod")
        make_shared_gallery(own, admin)
        contributor = login_app(own, "contoso-contributor", "contoso")
        fab_sub = own.directory.subscription("fabrikam-prod").id
        with pytest.raises(gs.HttpResponseError) as e:
            contributor.sig.share.add(resource_group=RG, gallery_name=GALLERY, subscription_ids=[fab_sub])
        assert e.value.status_code == 403
        assert e.value.error.code == "AuthorizationFailed"
        assert "Microsoft.Compute/galleries/share/action" in e.value.error.message
        # A Contributor may still read and write the gallery itself.
        assert contributor.sig.show(resource_group=RG, gallery_name=GALLERY)["name"] == GALLERY


def test_token_from_wrong_tenant_is_refused(emu, contoso):
    # A subscription id that no login reaches is tried with the current login, as ARM will judge it.
    fab_sub = emu.directory.subscription("fabrikam-prod").id
    with pytest.raises(gs.ClientAuthenticationError) as e:
        contoso.sig.list(subscription=fab_sub)
    assert e.value.status_code == 401
    assert e.value.error.code == "InvalidAuthenticationTokenTenant"


@pytest.mark.parametrize("op", ["add", "remove"])
def test_direct_sharing_on_private_gallery_names_the_mode(emu, contoso, op):
    contoso.group.create(name=RG, location="eastus")
    contoso.sig.create(resource_group=RG, gallery_name=GALLERY)
    fab_sub = emu.directory.subscription("fabrikam-prod").id
    with pytest.raises(gs.HttpResponseError) as e:
        getattr(contoso.sig.share, op)(resource_group=RG, gallery_name=GALLERY, subscription_ids=[fab_sub])
    assert "Private" in e.value.message and "Groups" in e.value.message


def test_no_wait_returns_a_poller_with_a_resumable_token(emu, contoso):
    make_shared_gallery(emu, contoso)
    fab_sub = emu.directory.subscription("fabrikam-prod").id
    emu.set_lro_delay(0.3)
    poller = contoso.sig.share.add(resource_group=RG, gallery_name=GALLERY, subscription_ids=[fab_sub], no_wait=True)
    assert isinstance(poller, gs.Poller)
    assert poller.status() == "InProgress"
    resumed = contoso.resume(poller.continuation_token())
    assert resumed.result(timeout=30) == {}
    assert resumed.done() and resumed.status() == "Succeeded"


def test_share_wait_returns_once_sharing_settles(emu, contoso, fabrikam):
    make_shared_gallery(emu, contoso)
    contoso.sig.share.add(resource_group=RG, gallery_name=GALLERY,
                          subscription_ids=[emu.directory.subscription("fabrikam-prod").id])
    emu.clear_requests()
    assert contoso.sig.share.wait(resource_group=RG, gallery_name=GALLERY, timeout=60, interval=1) is None
    gets = [r for r in emu.requests() if r["method"] == "GET"]
    assert len(gets) == 1 and gets[0]["path"].endswith(f"/galleries/{GALLERY}")
