"""RBAC sharing (the docs' first way to share): Reader on the gallery lets a principal read it, its
definitions and versions — and nothing else, and never write."""

from __future__ import annotations

import pytest

import galleryshare as gs
from conftest import login_app

RG, GALLERY, IMAGE = "myGalleryRG", "myGallery", "myImage"


def make_gallery(az: gs.Az) -> str:
    az.group.create(name=RG, location="eastus")
    gallery_id = az.sig.create(resource_group=RG, gallery_name=GALLERY, query="id")
    az.sig.image_definition.create(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                   publisher="contoso", offer="ubuntu", sku="22_04", os_type="Linux")
    image = az.group.show(name="images", query="id") + "/providers/Microsoft.Compute/images/ubuntu-base"
    az.sig.image_version.create(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                gallery_image_version="1.0.0", managed_image=image)
    return gallery_id


def app_object_id(emu, app: str, tenant: str) -> str:
    return emu.directory.app(app).service_principals[tenant]


def test_reader_on_gallery_reads_it_and_nothing_else(emu, contoso):
    gallery_id = make_gallery(contoso)
    prod = emu.directory.subscription("contoso-prod").id
    reader = login_app(emu, "myGalleryApp", "contoso")
    with pytest.raises(gs.AzureError):
        reader.sig.show(resource_group=RG, gallery_name=GALLERY, subscription=prod)

    sp = app_object_id(emu, "myGalleryApp", "contoso")
    ra = contoso.role.assignment.create(role="Reader", scope=gallery_id, assignee_object_id=sp,
                                        assignee_principal_type="ServicePrincipal")
    assert ra["principalId"] == sp and ra["scope"] == gallery_id and ra["principalType"] == "ServicePrincipal"
    assert ra["roleDefinitionId"].endswith("acdd72a7-3385-48ef-bd42-f606fba81ae7")

    # Reader flows down to definitions and versions...
    reader = login_app(emu, "myGalleryApp", "contoso")
    assert reader.sig.show(resource_group=RG, gallery_name=GALLERY, subscription=prod, query="name") == GALLERY
    assert [i["name"] for i in reader.sig.image_definition.list(resource_group=RG, gallery_name=GALLERY, subscription=prod)] == [IMAGE]
    assert [v["name"] for v in reader.sig.image_version.list(resource_group=RG, gallery_name=GALLERY,
                                                             gallery_image_definition=IMAGE, subscription=prod)] == ["1.0.0"]
    # ...but not to the rest of the resource group, and never to writes.
    with pytest.raises(gs.HttpResponseError) as e:
        reader.group.show(name=RG, subscription=prod)
    assert e.value.status_code == 403 and e.value.error.code == "AuthorizationFailed"
    image = f"/subscriptions/{prod}/resourceGroups/images/providers/Microsoft.Compute/images/ubuntu-base"
    with pytest.raises(gs.HttpResponseError) as e:
        reader.sig.image_version.create(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                        gallery_image_version="2.0.0", managed_image=image, location="eastus",
                                        subscription=prod)
    assert e.value.status_code == 403
    assert "Microsoft.Compute/galleries/images/versions/write" in e.value.error.message


def test_assigning_twice_returns_the_same_assignment(emu, contoso):
    gallery_id = make_gallery(contoso)
    sp = app_object_id(emu, "myGalleryApp", "contoso")
    first = contoso.role.assignment.create(role="Reader", scope=gallery_id, assignee_object_id=sp,
                                           assignee_principal_type="ServicePrincipal")
    again = contoso.role.assignment.create(role="reader", scope=gallery_id, assignee_object_id=sp,
                                           assignee_principal_type="ServicePrincipal")
    assert again["id"] == first["id"]
    listed = contoso.role.assignment.list(scope=gallery_id, role="Reader")
    assert [r["id"] for r in listed if r["scope"] == gallery_id] == [first["id"]]


def test_role_definitions_by_name(emu, contoso):
    owner = contoso.role.definition.list(name="Owner")
    assert [(r["roleName"], r["name"]) for r in owner] == [("Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635")]


def test_delete_assignment_revokes_access(emu, contoso):
    gallery_id = make_gallery(contoso)
    sp = app_object_id(emu, "myGalleryApp", "contoso")
    ra = contoso.role.assignment.create(role="Reader", scope=gallery_id, assignee_object_id=sp,
                                        assignee_principal_type="ServicePrincipal")
    contoso.role.assignment.delete(ids=[ra["id"]])
    reader = login_app(emu, "myGalleryApp", "contoso")
    with pytest.raises(gs.AzureError):
        reader.sig.show(resource_group=RG, gallery_name=GALLERY, subscription=emu.directory.subscription("contoso-prod").id)


@pytest.mark.parametrize("kwargs,param,message", [
    ({"assignee": "a@b.com", "assignee_object_id": "0b1f6471-1bf0-4dda-aec3-cb9272f09590"}, "assignee",
     "usage error: --assignee STRING | --assignee-object-id GUID"),
    ({}, "assignee", "usage error: --assignee STRING | --assignee-object-id GUID"),
    ({"assignee": "a@b.com", "assignee_principal_type": "User"}, "assignee_principal_type", "must be used with --assignee-object-id"),
    ({"assignee_object_id": "not-a-guid"}, "assignee_object_id", "is not a valid object id"),
], ids=["both", "neither", "type-without-object-id", "bad-object-id"])
def test_assignment_bad_input_sends_nothing(emu, contoso, kwargs, param, message):
    emu.clear_requests()
    with pytest.raises(gs.ValidationError) as e:
        contoso.role.assignment.create(role="Reader", scope="/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590", **kwargs)
    assert message in str(e.value) and e.value.parameter == param
    assert emu.requests() == []


def test_malformed_scope_sends_nothing(emu, contoso):
    emu.clear_requests()
    with pytest.raises(gs.ValidationError, match="--scope"):
        contoso.role.assignment.create(role="Reader", scope="myGallery", assignee_object_id="0b1f6471-1bf0-4dda-aec3-cb9272f09590")
    assert emu.requests() == []


def test_unknown_role_uses_the_cli_message(emu, contoso):
    prod = emu.directory.subscription("contoso-prod").id
    with pytest.raises(gs.ValidationError, match="Role 'Gallery Reader' doesn't exist."):
        contoso.role.assignment.create(role="Gallery Reader", scope=f"/subscriptions/{prod}",
                                       assignee_object_id="0b1f6471-1bf0-4dda-aec3-cb9272f09590",
                                       assignee_principal_type="User")


def login_user(emu, upn: str) -> gs.Az:
    u = emu.directory.user(upn)
    az = gs.Az(cloud=emu.cloud)
    az.login(username=u.upn, password=u.password)
    return az


ALINNE = "alinne_montes@contoso.com"


def test_docs_rbac_section_cli(emu, contoso):
    """`az sig show --query id` + `az role assignment create --role Reader --assignee EMAIL --scope ID`."""
    make_gallery(contoso)
    prod = emu.directory.subscription("contoso-prod").id
    alinne = login_user(emu, ALINNE)
    with pytest.raises(gs.HttpResponseError) as before:
        alinne.sig.image_definition.list(resource_group=RG, gallery_name=GALLERY, subscription=prod)
    assert before.value.status_code in (403, 404)

    gallery_id = contoso.sig.show(resource_group=RG, gallery_name=GALLERY, query="id")
    ra = contoso.role.assignment.create(role="Reader", assignee=ALINNE, scope=gallery_id)
    assert ra["principalId"] == emu.directory.user(ALINNE).id and ra["principalType"] == "User"

    alinne = login_user(emu, ALINNE)  # a fresh login now lists contoso-prod
    assert [i["name"] for i in alinne.sig.image_definition.list(resource_group=RG, gallery_name=GALLERY)] == [IMAGE]
    assert alinne.sig.image_version.show(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                         gallery_image_version="1.0.0", query="name") == "1.0.0"
    with pytest.raises(gs.HttpResponseError) as write:
        alinne.sig.image_version.create(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                        gallery_image_version="2.0.0", managed_image="ubuntu-base", location="eastus")
    assert write.value.status_code == 403


def test_docs_rbac_section_powershell(emu, contoso):
    """`Get-AzADUser -StartsWith` + `New-AzRoleAssignment -ObjectId $user.Id -RoleDefinitionName Reader -ResourceName …`."""
    make_gallery(contoso)
    a = emu.directory.app("contoso-admin")
    ps = gs.Pwsh(cloud=emu.cloud)
    ps.Connect_AzAccount(ServicePrincipal=True, Credential=gs.PSCredential(a.client_id, a.secret),
                         Tenant=emu.directory.tenant("contoso").id)
    ps.Set_AzContext(Subscription="contoso-prod")
    gallery = ps.Get_AzGallery(ResourceGroupName=RG, Name=GALLERY)
    rg = ps.Get_AzResourceGroup(Name=RG)
    # The docs pass the e-mail to -StartsWith, which Graph matches against displayName ("Alinne Montes"):
    # the display name's start is what finds her.
    user = ps.Get_AzADUser(StartsWith="Alinne")
    assert user.UserPrincipalName == ALINNE and user.DisplayName == "Alinne Montes"
    ra = ps.New_AzRoleAssignment(ObjectId=user.Id, RoleDefinitionName="Reader", ResourceName=gallery.Name,
                                 ResourceType="Microsoft.Compute/galleries", ResourceGroupName=rg.ResourceGroupName)
    assert ra.ObjectType == "User" and ra.RoleDefinitionName == "Reader" and ra.Scope == gallery.Id
    alinne = login_user(emu, ALINNE)
    assert [i["name"] for i in alinne.sig.image_definition.list(resource_group=RG, gallery_name=GALLERY)] == [IMAGE]


def test_reader_for_app_by_app_id_twice(emu, contoso):
    """The cross-tenant docs' step: Reader for the multi-tenant app, named by its appId; twice is fine."""
    gallery_id = make_gallery(contoso)
    app = emu.directory.app("myGalleryApp")
    first = contoso.role.assignment.create(role="Reader", assignee=app.client_id, scope=gallery_id)
    assert first["principalId"] == app.service_principals["contoso"] and first["principalType"] == "ServicePrincipal"
    second = contoso.role.assignment.create(role="Reader", assignee=app.client_id, scope=gallery_id)
    assert second["id"] == first["id"]


def test_unknown_assignee_uses_the_cli_message(emu, contoso):
    prod = emu.directory.subscription("contoso-prod").id
    with pytest.raises(gs.ValidationError, match="Cannot find user or service principal in graph database for 'nobody@contoso.com'"):
        contoso.role.assignment.create(role="Reader", assignee="nobody@contoso.com", scope=f"/subscriptions/{prod}")


def test_ad_lookups(emu, contoso):
    assert contoso.ad.user.show(id=ALINNE)["displayName"] == "Alinne Montes"
    assert [u["userPrincipalName"] for u in contoso.ad.user.list(display_name="Alinne")] == [ALINNE]
    app = emu.directory.app("myGalleryApp")
    assert contoso.ad.sp.show(id=app.client_id)["id"] == app.service_principals["contoso"]
