"""The PowerShell mirror: the docs' direct-sharing and RBAC lines through `gs.Pwsh`, each result compared field
by field with what the CLI mirror returns for the same resource."""

from __future__ import annotations

import pytest

import galleryshare as gs
from conftest import login_app

RG, GALLERY, IMAGE = "myGalleryRG", "myGallery", "myImage"


def connect(emu, app: str, tenant: str) -> gs.Pwsh:
    a = emu.directory.app(app)
    ps = gs.Pwsh(cloud=emu.cloud)
    ps.Connect_AzAccount(ServicePrincipal=True, Credential=gs.PSCredential(a.client_id, a.secret),
                         Tenant=emu.directory.tenant(tenant).id)
    return ps


def pascal(key: str) -> str:
    return {"id": "Id", "resourceGroup": "ResourceGroupName"}.get(key, key[:1].upper() + key[1:])


def assert_same(ps_obj, cli, path="") -> None:
    """Every CLI field is present in the PowerShell object under PowerShell's name, with the same value."""
    if isinstance(cli, dict):
        data = ps_obj.to_dict() if isinstance(ps_obj, gs.PSObject) else ps_obj
        assert isinstance(data, dict), path
        for k, v in cli.items():
            name = k if path.endswith(".tags") else pascal(k)
            assert name in data, f"{path}.{name} missing from {sorted(data)}"
            assert_same(data[name], v, f"{path}.{name}" if k != "tags" else f"{path}.tags")
    elif isinstance(cli, list):
        assert len(ps_obj) == len(cli), path
        for i, (p, c) in enumerate(zip(ps_obj, cli)):
            assert_same(p, c, f"{path}[{i}]")
    else:
        assert ps_obj == cli, f"{path}: {ps_obj!r} != {cli!r}"


@pytest.fixture
def ps(emu) -> gs.Pwsh:
    ps = connect(emu, "contoso-admin", "contoso")
    ps.Set_AzContext(Subscription="contoso-prod")
    return ps


@pytest.fixture
def gallery(emu, ps):
    rg = ps.New_AzResourceGroup(Name=RG, Location="eastus")
    assert rg.ResourceGroupName == RG and rg.ProvisioningState == "Succeeded"
    g = ps.New_AzGallery(ResourceGroupName=rg.ResourceGroupName, Name=GALLERY, Location="eastus")
    ps.New_AzGalleryImageDefinition(ResourceGroupName=RG, GalleryName=g.Name, Name=IMAGE, Location="eastus",
                                    Publisher="contoso", Offer="ubuntu", Sku="22_04", OsState="Generalized", OsType="Linux")
    source = ps.Get_AzResourceGroup(Name="images").ResourceId + "/providers/Microsoft.Compute/images/ubuntu-base"
    ps.New_AzGalleryImageVersion(ResourceGroupName=RG, GalleryName=g.Name, GalleryImageDefinitionName=IMAGE, Name="1.0.0",
                                 Location="eastus", SourceImageId=source,
                                 TargetRegion=[{"Name": "eastus"}, {"Name": "westus", "ReplicaCount": 2}])
    return g


def test_context_and_objects(emu, ps, gallery):
    ctx = ps.Get_AzContext()
    assert ctx.Subscription == emu.directory.subscription("contoso-prod").id
    assert ctx.Tenant == emu.directory.tenant("contoso").id
    assert gallery.Identifier.UniqueName.endswith("-MYGALLERY")
    assert "SharingProfile" in gallery and "Name" in repr(gallery)
    assert gallery.name == GALLERY  # property names are case-insensitive, as in PowerShell
    assert "<table>" in gallery._repr_html_()


def test_direct_sharing_lines_match_the_cli_mirror(emu, ps, gallery):
    az = login_app(emu, "contoso-admin", "contoso")
    az.account.set(subscription="contoso-prod")
    fab_sub = emu.directory.subscription("fabrikam-prod").id
    dev_sub = emu.directory.subscription("contoso-dev").id
    fab_tenant = emu.directory.tenant("fabrikam").id

    # Update-AzGallery -Permission groups
    updated = ps.Update_AzGallery(ResourceGroupName=RG, Name=gallery.Name, Permission="groups")
    assert updated.SharingProfile.Permissions == "Groups"
    assert_same(ps.Get_AzGallery(ResourceGroupName=RG, Name=GALLERY), az.sig.show(resource_group=RG, gallery_name=GALLERY))

    # Update-AzGallery -Share -Subscription s1,s2 -Tenant t1  (returns the gallery read with $select=Permissions)
    shared = ps.Update_AzGallery(ResourceGroupName=RG, Name=GALLERY, Share=True, Subscription=[fab_sub, dev_sub], Tenant=fab_tenant)
    assert [g.Type for g in shared.SharingProfile.Groups] == ["Subscriptions", "AADTenants"]
    assert_same(shared, az.sig.show(resource_group=RG, gallery_name=GALLERY, select="permissions"))
    assert_same(ps.Get_AzGallery(ResourceGroupName=RG, Name=GALLERY, Expand="SharingProfile/Groups"),
                az.sig.show(resource_group=RG, gallery_name=GALLERY, sharing_groups=True))

    # The consumer side: Get-AzGallery -Location [-Scope tenant], Get-AzGalleryImageDefinition/Version -GalleryUniqueName
    consumer_ps = connect(emu, "fabrikam-admin", "fabrikam")
    consumer_az = login_app(emu, "fabrikam-admin", "fabrikam")
    unique = shared.Identifier.UniqueName
    assert_same(consumer_ps.Get_AzGallery(Location="eastus"), consumer_az.sig.list_shared(location="eastus")[0])
    assert_same(consumer_ps.Get_AzGallery(Location="eastus", Scope="tenant"),
                consumer_az.sig.list_shared(location="eastus", shared_to="tenant")[0])
    assert_same(consumer_ps.Get_AzGallery(Location="westus", GalleryUniqueName=unique),
                consumer_az.sig.show_shared(location="westus", gallery_unique_name=unique))
    image = consumer_ps.Get_AzGalleryImageDefinition(GalleryUniqueName=unique, Location="eastus", Name=IMAGE)
    assert image.Identifier.Publisher == "contoso" and image.UniqueId.endswith(f"/Images/{IMAGE}")
    assert_same(image, consumer_az.sig.image_definition.show_shared(gallery_unique_name=unique, location="eastus",
                                                                    gallery_image_definition=IMAGE))
    assert_same(consumer_ps.Get_AzGalleryImageDefinition(GalleryUniqueName=unique, Location="eastus", Scope="tenant"),
                consumer_az.sig.image_definition.list_shared(gallery_unique_name=unique, location="eastus", shared_to="tenant")[0])
    version = consumer_ps.Get_AzGalleryImageVersion(GalleryUniqueName=unique, GalleryImageDefinitionName=IMAGE,
                                                    Location="westus", Name="1.0.0")
    assert_same(version, consumer_az.sig.image_version.show_shared(gallery_unique_name=unique, gallery_image_definition=IMAGE,
                                                                   gallery_image_version="1.0.0", location="westus"))
    assert_same(consumer_ps.Get_AzGalleryImageVersion(GalleryUniqueName=unique, GalleryImageDefinitionName=IMAGE, Location="eastus"),
                consumer_az.sig.image_version.list_shared(gallery_unique_name=unique, gallery_image_definition=IMAGE,
                                                          location="eastus")[0])

    # Update-AzGallery -Share -RemoveSubscription s2 ; then -Share -Reset
    removed = ps.Update_AzGallery(ResourceGroupName=RG, Name=GALLERY, Share=True, RemoveSubscription=dev_sub)
    assert removed.SharingProfile.Groups[0].Ids == [fab_sub]
    reset = ps.Update_AzGallery(ResourceGroupName=RG, Name=GALLERY, Share=True, Reset=True)
    assert reset.SharingProfile.Permissions == "Private"
    assert consumer_ps.Get_AzGallery(Location="eastus") is None


def test_own_definitions_and_versions_match_the_cli_mirror(emu, ps, gallery):
    az = login_app(emu, "contoso-admin", "contoso")
    az.account.set(subscription="contoso-prod")
    assert_same(ps.Get_AzGalleryImageDefinition(ResourceGroupName=RG, GalleryName=GALLERY, Name=IMAGE),
                az.sig.image_definition.show(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE))
    version = ps.Get_AzGalleryImageVersion(ResourceGroupName=RG, GalleryName=GALLERY, GalleryImageDefinitionName=IMAGE, Name="1.0.0")
    assert [(r.Name, r.RegionalReplicaCount) for r in version.PublishingProfile.TargetRegions][1] == ("westus", 2)
    assert_same(version, az.sig.image_version.show(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                                   gallery_image_version="1.0.0"))
    assert_same(ps.Get_AzGallery(ResourceGroupName=RG), az.sig.list(resource_group=RG)[0])


def test_share_lists_without_share_switch_use_powershell_wording(emu, ps, gallery):
    emu.clear_requests()
    with pytest.raises(gs.ValidationError) as e:
        ps.Update_AzGallery(ResourceGroupName=RG, Name=GALLERY, Subscription=["0b1f6471-1bf0-4dda-aec3-cb9272f09590"])
    assert str(e.value) == ("Parameters '-Subscription', '-Tenant', '-RemoveSubscription' or '-RemoveTenant'  "
                            "must be used with '-Share' parameter.")
    assert emu.requests() == []


def test_rbac_by_object_id_with_resource_scope(emu, ps, gallery):
    sp = emu.directory.app("myGalleryApp").service_principals["contoso"]
    ra = ps.New_AzRoleAssignment(ObjectId=sp, ObjectType="ServicePrincipal", RoleDefinitionName="Reader",
                                 ResourceName=gallery.Name, ResourceType="Microsoft.Compute/galleries",
                                 ResourceGroupName=RG)
    assert ra.RoleDefinitionName == "Reader" and ra.ObjectId == sp and ra.Scope == gallery.Id
    listed = ps.Get_AzRoleAssignment(Scope=gallery.Id, RoleDefinitionName="Reader")
    listed = listed if isinstance(listed, list) else [listed]
    assert ra.RoleAssignmentId in [r.RoleAssignmentId for r in listed]
    ps.Remove_AzRoleAssignment(ObjectId=sp, RoleDefinitionName="Reader", Scope=gallery.Id)
    after = ps.Get_AzRoleAssignment(Scope=gallery.Id, RoleDefinitionName="Reader")
    after = [] if after is None else after if isinstance(after, list) else [after]
    assert ra.RoleAssignmentId not in [r.RoleAssignmentId for r in after]


def test_credential_never_shows_its_secret(emu):
    a = emu.directory.app("contoso-admin")
    cred = gs.PSCredential(a.client_id, a.secret)
    assert a.secret not in repr(cred)
