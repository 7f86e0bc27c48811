"""Community galleries end to end: publish, enable, discover and deploy from another tenant, then reset."""

from __future__ import annotations

import pytest

import galleryshare as gs

RG, GALLERY, IMAGE = "myCommunityRG", "myCommunityGallery", "ubuntu"
PUBLISHER = dict(publisher_uri="https://contoso.com", publisher_email="images@contoso.com",
                 eula="https://contoso.com/eula", public_name_prefix="contoso")
PASSWORD = "Str0ng!Passw0rd-42"


def publish(contoso: gs.Az) -> dict:
    contoso.group.create(name=RG, location="eastus")
    gallery = contoso.sig.create(resource_group=RG, gallery_name=GALLERY, permissions="community", **PUBLISHER)
    contoso.sig.image_definition.create(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                        publisher="contoso", offer="ubuntu", sku="22_04", os_type="Linux")
    managed = contoso.group.show(name="images", query="id") + "/providers/Microsoft.Compute/images/ubuntu-base"
    contoso.sig.image_version.create(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                     gallery_image_version="1.0.0", managed_image=managed, target_regions=["eastus", "westus"])
    return gallery


def public_name(contoso: gs.Az) -> str:
    return contoso.sig.show(resource_group=RG, gallery_name=GALLERY, query="sharingProfile.communityGalleryInfo.publicNames[0]")


def test_community_gallery_end_to_end_cli(emu, contoso, fabrikam):
    gallery = publish(contoso)
    info = gallery["sharingProfile"]["communityGalleryInfo"]
    assert gallery["sharingProfile"]["permissions"] == "Community"
    assert info["publisherUri"] == PUBLISHER["publisher_uri"] and info["publisherContact"] == PUBLISHER["publisher_email"]
    name = public_name(contoso)
    assert name.startswith("contoso-")

    # Not visible to anyone before EnableCommunity.
    with pytest.raises(gs.ResourceNotFoundError):
        fabrikam.sig.show_community(public_gallery_name=name, location="eastus")
    assert fabrikam.sig.list_community(location="eastus") == []

    contoso.sig.share.enable_community(resource_group=RG, gallery_name=GALLERY)
    assert contoso.sig.show(resource_group=RG, gallery_name=GALLERY,
                            query="sharingProfile.communityGalleryInfo.communityGalleryEnabled") is True

    shown = fabrikam.sig.show_community(public_gallery_name=name, location="westus")
    assert shown["uniqueId"] == f"/CommunityGalleries/{name}"
    assert shown["communityMetadata"]["eula"] == PUBLISHER["eula"]
    listed = fabrikam.sig.list_community(location="eastus")
    assert [row["name"] for row in listed] == [name]
    assert {row["location"] for row in fabrikam.sig.list_community()} == {"eastus", "westus"}
    images = fabrikam.sig.image_definition.list_community(public_gallery_name=name, location="eastus")
    assert [i["name"] for i in images] == [IMAGE]
    image = fabrikam.sig.image_definition.show_community(public_gallery_name=name, location="eastus",
                                                         gallery_image_definition=IMAGE)
    assert image["osType"] == "Linux" and image["uniqueId"] == f"/CommunityGalleries/{name}/Images/{IMAGE}"
    versions = fabrikam.sig.image_version.list_community(public_gallery_name=name, gallery_image_definition=IMAGE,
                                                         location="westus")
    assert [v["uniqueId"] for v in versions] == [f"/CommunityGalleries/{name}/Images/{IMAGE}/Versions/1.0.0"]
    assert fabrikam.sig.image_version.show_community(public_gallery_name=name, gallery_image_definition=IMAGE,
                                                     gallery_image_version="1.0.0", location="eastus")["name"] == "1.0.0"

    # Deploy in fabrikam from the community image (terms accepted).
    fabrikam.group.create(name="apps", location="eastus")
    image_id = f"/CommunityGalleries/{name}/Images/{IMAGE}/Versions/latest"
    vm = fabrikam.vm.create(name="vm1", resource_group="apps", image=image_id, location="eastus",
                            admin_username="azureuser", admin_password=PASSWORD, accept_term=True)
    assert vm["powerState"] == "VM running"
    ref = fabrikam.vm.show(name="vm1", resource_group="apps", query="storageProfile.imageReference")
    assert ref["communityGalleryImageId"] == image_id and ref["exactVersion"] == "1.0.0"

    # Reset: gone for the consumer at once.
    contoso.sig.share.reset(resource_group=RG, gallery_name=GALLERY)
    with pytest.raises(gs.ResourceNotFoundError):
        fabrikam.sig.show_community(public_gallery_name=name, location="eastus")
    assert fabrikam.sig.list_community() == []
    with pytest.raises(gs.HttpResponseError):
        fabrikam.vm.create(name="vm2", resource_group="apps", image=image_id, location="eastus",
                           admin_username="azureuser", admin_password=PASSWORD, accept_term=True, os_type="Linux")


def test_community_gallery_end_to_end_powershell(emu):
    d = emu.directory

    def connect(app: str, tenant: str) -> gs.Pwsh:
        a = d.app(app)
        ps = gs.Pwsh(cloud=emu.cloud)
        ps.Connect_AzAccount(ServicePrincipal=True, Credential=gs.PSCredential(a.client_id, a.secret), Tenant=d.tenant(tenant).id)
        return ps

    owner = connect("contoso-admin", "contoso")
    owner.Set_AzContext(Subscription="contoso-prod")
    owner.New_AzResourceGroup(Name=RG, Location="eastus")
    gallery = owner.New_AzGallery(ResourceGroupName=RG, Name=GALLERY, Location="eastus", Permission="Community",
                                  PublisherUri=PUBLISHER["publisher_uri"], PublisherContact=PUBLISHER["publisher_email"],
                                  Eula=PUBLISHER["eula"], PublicNamePrefix="contoso")
    owner.New_AzGalleryImageDefinition(ResourceGroupName=RG, GalleryName=GALLERY, Name=IMAGE, Location="eastus",
                                       Publisher="contoso", Offer="ubuntu", Sku="22_04", OsState="Generalized", OsType="Linux")
    source = owner.Get_AzResourceGroup(Name="images").ResourceId + "/providers/Microsoft.Compute/images/ubuntu-base"
    owner.New_AzGalleryImageVersion(ResourceGroupName=RG, GalleryName=GALLERY, GalleryImageDefinitionName=IMAGE,
                                    Name="1.0.0", Location="eastus", SourceImageId=source)
    name = gallery.SharingProfile.CommunityGalleryInfo.PublicNames[0]

    consumer = connect("fabrikam-admin", "fabrikam")
    assert consumer.Get_AzGallery(Community=True, Location="eastus") is None
    enabled = owner.Update_AzGallery(ResourceGroupName=RG, Name=GALLERY, Share=True, Community=True)
    assert enabled.SharingProfile.Permissions == "Community"

    found = consumer.Get_AzGallery(GalleryPublicName=name, Location="eastus")
    assert found.UniqueId == f"/CommunityGalleries/{name}"
    assert consumer.Get_AzGallery(Community=True, Location="eastus").Name == name
    image = consumer.Get_AzGalleryImageDefinition(GalleryPublicName=name, Location="eastus", Name=IMAGE)
    assert image.OsType == "Linux"
    version = consumer.Get_AzGalleryImageVersion(GalleryPublicName=name, GalleryImageDefinitionName=IMAGE, Location="eastus")
    assert version.Name == "1.0.0"

    consumer.New_AzResourceGroup(Name="apps", Location="eastus")
    subnet = consumer.New_AzVirtualNetworkSubnetConfig(Name="s", AddressPrefix="10.1.0.0/24")
    vnet = consumer.New_AzVirtualNetwork(ResourceGroupName="apps", Location="eastus", Name="v", AddressPrefix="10.1.0.0/16", Subnet=subnet)
    nic = consumer.New_AzNetworkInterface(Name="n", ResourceGroupName="apps", Location="eastus", SubnetId=vnet.Subnets[0].Id)
    config = (consumer.New_AzVMConfig(VMName="vm1", VMSize="Standard_D1_v2")
              | consumer.Set_AzVMOperatingSystem(Linux=True, ComputerName="vm1", Credential=gs.PSCredential("azureuser", PASSWORD))
              | consumer.Set_AzVMSourceImage(CommunityGalleryImageId=version.UniqueId)
              | consumer.Add_AzVMNetworkInterface(Id=nic.Id))
    vm = consumer.New_AzVM(ResourceGroupName="apps", Location="eastus", VM=config)
    assert vm.StorageProfile.ImageReference.CommunityGalleryImageId == version.UniqueId

    owner.Update_AzGallery(ResourceGroupName=RG, Name=GALLERY, Share=True, Reset=True)
    assert consumer.Get_AzGallery(Community=True, Location="eastus") is None


def test_missing_publisher_fields_are_refused_before_sending(emu, contoso):
    emu.clear_requests()
    partial = dict(PUBLISHER)
    del partial["eula"]
    with pytest.raises(gs.ValidationError, match="--publisher-uri, --publisher-email, --eula, --public-name-prefix"):
        contoso.sig.create(resource_group=RG, gallery_name=GALLERY, permissions="community", **partial)
    assert emu.requests() == []


def test_enable_community_on_a_groups_gallery_names_the_mode(emu, contoso):
    contoso.group.create(name=RG, location="eastus")
    contoso.sig.create(resource_group=RG, gallery_name=GALLERY, permissions="groups")
    with pytest.raises(gs.ResourceExistsError) as e:
        contoso.sig.share.enable_community(resource_group=RG, gallery_name=GALLERY)
    assert e.value.error.code == "OperationNotAllowed" and "Groups" in e.value.message


def test_unknown_public_name_is_not_found(emu, fabrikam):
    with pytest.raises(gs.ResourceNotFoundError) as e:
        fabrikam.sig.show_community(public_gallery_name="nobody-00000000-0000-0000-0000-000000000000", location="eastus")
    assert e.value.status_code == 404


def test_community_vm_without_accept_term_shows_the_terms_and_refuses(emu, contoso, fabrikam):
    publish(contoso)
    contoso.sig.share.enable_community(resource_group=RG, gallery_name=GALLERY)
    name = public_name(contoso)
    fabrikam.group.create(name="apps", location="eastus")
    emu.clear_requests()
    with pytest.raises(gs.ValidationError) as e:
        fabrikam.vm.create(name="vm1", resource_group="apps", location="eastus", admin_password=PASSWORD,
                           image=f"/CommunityGalleries/{name}/Images/{IMAGE}/Versions/latest")
    assert "accept_term=True" in str(e.value) and PUBLISHER["eula"] in str(e.value)
    # Only the gallery's public metadata was read: nothing was created.
    assert [r["method"] for r in emu.requests()] == ["GET"]
