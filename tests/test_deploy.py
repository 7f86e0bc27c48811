"""Deployment: VMs and scale sets from shared, full-id and cross-tenant gallery images — the docs' "Share
gallery VM images across Azure tenants" end to end, in both mirrors."""

from __future__ import annotations

import pytest

import galleryshare as gs
from conftest import login_app

RG, GALLERY, IMAGE = "myGalleryRG", "myGallery", "myImage"
TARGET_RG = "myResourceGroup"
PASSWORD = "Str0ng!Passw0rd-42"


def publish(emu, contoso: gs.Az, *, versions=(("1.0.0", False),), regions=("eastus", "westus"), os_type="Windows") -> str:
    """contoso-admin: a Groups gallery with one definition and the given versions; returns the definition id."""
    contoso.group.create(name=RG, location="eastus")
    contoso.sig.create(resource_group=RG, gallery_name=GALLERY, permissions="groups")
    image = contoso.sig.image_definition.create(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                                publisher="contoso", offer="server", sku="2022", os_type=os_type)
    source = "windows-base" if os_type == "Windows" else "ubuntu-base"
    managed = contoso.group.show(name="images", query="id") + f"/providers/Microsoft.Compute/images/{source}"
    for version, excluded in versions:
        contoso.sig.image_version.create(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                         gallery_image_version=version, managed_image=managed,
                                         target_regions=list(regions), exclude_from_latest=excluded)
    return image["id"]


def grant_app_reader_on_gallery(emu, contoso: gs.Az) -> None:
    gallery_id = contoso.sig.show(resource_group=RG, gallery_name=GALLERY, query="id")
    contoso.role.assignment.create(role="Reader", assignee=emu.directory.app("myGalleryApp").client_id, scope=gallery_id)


def grant_app_contributor_in_fabrikam(emu, fabrikam: gs.Az) -> None:
    rg = fabrikam.group.create(name=TARGET_RG, location="eastus")
    fabrikam.role.assignment.create(role="Contributor", assignee=emu.directory.app("myGalleryApp").client_id, scope=rg["id"])


def vm_put(emu, name: str) -> dict:
    puts = [r for r in emu.requests() if r["method"] == "PUT" and r["path"].lower().endswith(f"/virtualmachines/{name.lower()}")]
    assert puts, "no VM PUT reached the emulator"
    return puts[-1]


def test_cross_tenant_docs_in_powershell(emu, contoso, fabrikam):
    image_id = publish(emu, contoso) + "/versions/1.0.0"
    grant_app_reader_on_gallery(emu, contoso)
    grant_app_contributor_in_fabrikam(emu, fabrikam)
    d = emu.directory
    app = d.app("myGalleryApp")

    ps = gs.Pwsh(cloud=emu.cloud)
    cred = gs.PSCredential(app.client_id, app.secret)
    ps.Clear_AzContext()
    ps.Connect_AzAccount(ServicePrincipal=True, Credential=cred, Tenant=d.tenant("contoso").id)
    ps.Connect_AzAccount(ServicePrincipal=True, Credential=cred, Tenant=d.tenant("fabrikam").id)
    location, vm_name = "eastus", "myVMfromImage"
    vm_cred = gs.PSCredential("azureuser", PASSWORD)
    ps.New_AzResourceGroup(Name=TARGET_RG, Location=location)
    subnet_config = ps.New_AzVirtualNetworkSubnetConfig(Name="mySubnet", AddressPrefix="192.168.1.0/24")
    vnet = ps.New_AzVirtualNetwork(ResourceGroupName=TARGET_RG, Location=location, Name="MYvNET",
                                   AddressPrefix="192.168.0.0/16", Subnet=subnet_config)
    pip = ps.New_AzPublicIpAddress(ResourceGroupName=TARGET_RG, Location=location, Name="mypublicdns1234",
                                   AllocationMethod="Static", IdleTimeoutInMinutes=4)
    rdp = ps.New_AzNetworkSecurityRuleConfig(Name="myNetworkSecurityGroupRuleRDP", Protocol="Tcp", Direction="Inbound",
                                             Priority=1000, SourceAddressPrefix="*", SourcePortRange="*",
                                             DestinationAddressPrefix="*", DestinationPortRange=3389, Access="Deny")
    nsg = ps.New_AzNetworkSecurityGroup(ResourceGroupName=TARGET_RG, Location=location, Name="myNetworkSecurityGroup",
                                        SecurityRules=rdp)
    nic = ps.New_AzNetworkInterface(Name="myNic", ResourceGroupName=TARGET_RG, Location=location,
                                    SubnetId=vnet.Subnets[0].Id, PublicIpAddressId=pip.Id, NetworkSecurityGroupId=nsg.Id)
    vm_config = (ps.New_AzVMConfig(VMName=vm_name, VMSize="Standard_D1_v2")
                 | ps.Set_AzVMOperatingSystem(Windows=True, ComputerName=vm_name, Credential=vm_cred)
                 | ps.Set_AzVMSourceImage(Id=image_id)
                 | ps.Add_AzVMNetworkInterface(Id=nic.Id))
    assert PASSWORD not in repr(vm_config)
    vm = ps.New_AzVM(ResourceGroupName=TARGET_RG, Location=location, VM=vm_config)

    assert vm.StorageProfile.ImageReference.Id == image_id
    assert f"/subscriptions/{d.subscription('fabrikam-prod').id}/" in vm.Id
    assert "AdminPassword" not in vm.OsProfile
    put = vm_put(emu, vm_name)
    assert put["status"] in (200, 201) and put["aux_tokens"] == 1
    assert put["aux_tenants"] == [d.tenant("contoso").id]
    assert ps.Get_AzVM(ResourceGroupName=TARGET_RG, Name=vm_name).Id == vm.Id


def test_cross_tenant_docs_in_cli(emu, contoso, fabrikam):
    image_id = publish(emu, contoso) + "/versions/1.0.0"
    grant_app_reader_on_gallery(emu, contoso)
    grant_app_contributor_in_fabrikam(emu, fabrikam)
    d = emu.directory
    app = d.app("myGalleryApp")
    az = gs.Az(cloud=emu.cloud)
    az.login(service_principal=True, username=app.client_id, password=app.secret, tenant=d.tenant("contoso").id)
    az.login(service_principal=True, username=app.client_id, password=app.secret, tenant=d.tenant("fabrikam").id)
    result = az.vm.create(name="myVM", resource_group=TARGET_RG, image=image_id, admin_username="azureuser",
                          admin_password=PASSWORD, subscription="fabrikam-prod")
    assert result["powerState"] == "VM running" and result["resourceGroup"] == TARGET_RG
    assert result["privateIpAddress"] and result["publicIpAddress"]
    vm = az.vm.show(name="myVM", resource_group=TARGET_RG, subscription="fabrikam-prod")
    assert vm["storageProfile"]["imageReference"]["id"] == image_id
    assert vm["osProfile"]["adminUsername"] == "azureuser" and "adminPassword" not in vm["osProfile"]
    assert vm_put(emu, "myVM")["aux_tenants"] == [d.tenant("contoso").id]
    # The CLI's default network resources, by the CLI's names.
    nic = az.network.nic.show(name="myVMVMNic", resource_group=TARGET_RG, subscription="fabrikam-prod")
    assert nic["ipConfigurations"][0]["subnet"]["id"].endswith("/virtualNetworks/myVMVNET/subnets/myVMSubnet")
    nsg = az.network.nsg.show(name="myVMNSG", resource_group=TARGET_RG, subscription="fabrikam-prod")
    assert [r["destinationPortRange"] for r in nsg["securityRules"]] == ["3389"]  # RDP for a Windows image


def test_without_second_login_the_error_names_the_tenant_and_the_fix(emu, contoso, fabrikam):
    image_id = publish(emu, contoso) + "/versions/1.0.0"
    grant_app_reader_on_gallery(emu, contoso)
    grant_app_contributor_in_fabrikam(emu, fabrikam)
    contoso_tenant = emu.directory.tenant("contoso").id
    az = login_app(emu, "myGalleryApp", "fabrikam")
    with pytest.raises(gs.HttpResponseError) as e:
        az.vm.create(name="myVM", resource_group=TARGET_RG, image=image_id, admin_password=PASSWORD)
    assert e.value.status_code == 403 and e.value.error.code == "LinkedAuthorizationFailed"
    assert contoso_tenant in str(e.value)
    assert f'tenant="{contoso_tenant}"' in str(e.value) and "az.login(" in str(e.value)


def test_app_without_reader_gets_linked_authorization_failed(emu, contoso, fabrikam):
    image_id = publish(emu, contoso) + "/versions/1.0.0"
    grant_app_contributor_in_fabrikam(emu, fabrikam)
    d = emu.directory
    app = d.app("myGalleryApp")
    az = gs.Az(cloud=emu.cloud)
    # The contoso login reaches no subscription (no role there), so the image's tenant is found from ARM's challenge.
    az.login(service_principal=True, username=app.client_id, password=app.secret, tenant=d.tenant("contoso").id)
    az.login(service_principal=True, username=app.client_id, password=app.secret, tenant=d.tenant("fabrikam").id)
    with pytest.raises(gs.HttpResponseError) as e:
        az.vm.create(name="myVM", resource_group=TARGET_RG, image=image_id, admin_password=PASSWORD,
                     subscription="fabrikam-prod", os_type="Windows")
    assert e.value.status_code == 403 and e.value.error.code == "LinkedAuthorizationFailed"


@pytest.mark.parametrize("share_by", ["subscription", "tenant"])
def test_vm_and_vmss_from_shared_image_latest(emu, contoso, fabrikam, share_by):
    publish(emu, contoso, versions=(("1.0.0", False), ("1.1.0", False), ("2.0.0", True)), os_type="Linux")
    d = emu.directory
    if share_by == "subscription":
        contoso.sig.share.add(resource_group=RG, gallery_name=GALLERY, subscription_ids=[d.subscription("fabrikam-prod").id])
    else:
        contoso.sig.share.add(resource_group=RG, gallery_name=GALLERY, tenant_ids=[d.tenant("fabrikam").id])
    unique = contoso.sig.show(resource_group=RG, gallery_name=GALLERY, query="identifier.uniqueName")
    image = f"/SharedGalleries/{unique}/Images/{IMAGE}/Versions/latest"
    fabrikam.group.create(name=TARGET_RG, location="westus")
    vm = fabrikam.vm.create(name="vm1", resource_group=TARGET_RG, image=image, location="westus",
                            admin_username="azureuser", admin_password=PASSWORD)
    assert vm["powerState"] == "VM running"
    shown = fabrikam.vm.show(name="vm1", resource_group=TARGET_RG)
    ref = shown["storageProfile"]["imageReference"]
    assert ref["sharedGalleryImageId"] == image and "id" not in ref
    assert ref.get("exactVersion") == "1.1.0"  # 2.0.0 is excluded from latest
    assert vm_put(emu, "vm1")["aux_tokens"] == 0
    vmss = fabrikam.vmss.create(name="ss1", resource_group=TARGET_RG, image=image, location="westus",
                                admin_username="azureuser", admin_password=PASSWORD, instance_count=2)
    assert vmss["vmss"]["sku"]["capacity"] == 2
    assert vmss["vmss"]["virtualMachineProfile"]["storageProfile"]["imageReference"]["sharedGalleryImageId"] == image


def test_shared_image_not_shared_with_the_subscription_fails(emu, contoso, fabrikam):
    publish(emu, contoso, os_type="Linux")
    unique = contoso.sig.show(resource_group=RG, gallery_name=GALLERY, query="identifier.uniqueName")
    fabrikam.group.create(name=TARGET_RG, location="eastus")
    with pytest.raises(gs.HttpResponseError) as e:
        fabrikam.vm.create(name="vm1", resource_group=TARGET_RG, image=f"/SharedGalleries/{unique}/Images/{IMAGE}/Versions/latest",
                           location="eastus", admin_password=PASSWORD, os_type="Linux")
    assert e.value.status_code in (403, 404)


def test_shared_id_as_image_resource_id_is_refused_before_sending(emu, fabrikam):
    fabrikam.group.create(name=TARGET_RG, location="eastus")
    ps = gs.Pwsh(cloud=emu.cloud)
    app = emu.directory.app("fabrikam-admin")
    ps.Connect_AzAccount(ServicePrincipal=True, Credential=gs.PSCredential(app.client_id, app.secret),
                         Tenant=emu.directory.tenant("fabrikam").id)
    subnet = ps.New_AzVirtualNetworkSubnetConfig(Name="s", AddressPrefix="10.0.0.0/24")
    vnet = ps.New_AzVirtualNetwork(ResourceGroupName=TARGET_RG, Location="eastus", Name="v", AddressPrefix="10.0.0.0/16", Subnet=subnet)
    nic = ps.New_AzNetworkInterface(Name="n", ResourceGroupName=TARGET_RG, Location="eastus", SubnetId=vnet.Subnets[0].Id)
    shared_id = "/SharedGalleries/abc-G/Images/i/Versions/1.0.0"
    config = (ps.New_AzVMConfig(VMName="v1", VMSize="Standard_D1_v2")
              | ps.Set_AzVMOperatingSystem(Linux=True, ComputerName="v1", Credential=gs.PSCredential("u", PASSWORD))
              | ps.Set_AzVMSourceImage(Id=shared_id) | ps.Add_AzVMNetworkInterface(Id=nic.Id))
    emu.clear_requests()
    with pytest.raises(gs.ValidationError, match="SharedGalleryImageId"):
        ps.New_AzVM(ResourceGroupName=TARGET_RG, Location="eastus", VM=config)
    assert emu.requests() == []


@pytest.mark.parametrize("kwargs,param,message", [
    ({"image": "/SharedGalleries/u/Images/i/Versions/1.0.0"}, "location", "--location is required"),
    ({"image": "/SharedGalleries/u/Images/i", "location": "eastus"}, "image", "not a valid shared gallery image version id"),
    ({"image": "Ubuntu2204", "authentication_type": "password", "admin_password": "short"}, "admin_password", "between 12 and 123"),
    ({"image": "Win2022Datacenter", "authentication_type": "ssh"}, "authentication_type", "SSH not supported for Windows"),
    ({"image": "Win2022Datacenter", "os_type": "linux", "admin_password": PASSWORD}, "os_type", "does not match"),
    ({"image": "not-an-image"}, "image", "is not a known image alias"),
], ids=["shared-needs-location", "bad-shared-id", "short-password", "ssh-windows",
        "os-mismatch", "unknown-image"])
def test_vm_create_bad_input_sends_nothing(emu, fabrikam, kwargs, param, message):
    emu.clear_requests()
    with pytest.raises(gs.ValidationError) as e:
        fabrikam.vm.create(name="vm1", resource_group=TARGET_RG, **kwargs)
    assert message in str(e.value) and e.value.parameter == param
    assert emu.requests() == []


def test_vmss_in_powershell_simple_and_config_forms(emu, contoso, fabrikam):
    publish(emu, contoso, os_type="Linux")
    d = emu.directory
    contoso.sig.share.add(resource_group=RG, gallery_name=GALLERY, subscription_ids=[d.subscription("fabrikam-prod").id])
    unique = contoso.sig.show(resource_group=RG, gallery_name=GALLERY, query="identifier.uniqueName")
    image = f"/SharedGalleries/{unique}/Images/{IMAGE}/Versions/latest"
    a = d.app("fabrikam-admin")
    ps = gs.Pwsh(cloud=emu.cloud)
    ps.Connect_AzAccount(ServicePrincipal=True, Credential=gs.PSCredential(a.client_id, a.secret), Tenant=d.tenant("fabrikam").id)
    ps.New_AzResourceGroup(Name=TARGET_RG, Location="eastus")
    simple = ps.New_AzVmss(ResourceGroupName=TARGET_RG, VMScaleSetName="ss1", Location="eastus", ImageName=image,
                           Credential=gs.PSCredential("azureuser", PASSWORD), InstanceCount=3)
    assert simple.Sku.Capacity == 3 and simple.VirtualMachineProfile.StorageProfile.ImageReference.SharedGalleryImageId == image

    subnet = ps.New_AzVirtualNetworkSubnetConfig(Name="s", AddressPrefix="10.2.0.0/24")
    vnet = ps.New_AzVirtualNetwork(ResourceGroupName=TARGET_RG, Location="eastus", Name="vmssnet", AddressPrefix="10.2.0.0/16", Subnet=subnet)
    cfg = ps.New_AzVmssConfig(Location="eastus", SkuCapacity=2, SkuName="Standard_DS1_v2", UpgradePolicyMode="Manual")
    ps.Set_AzVmssStorageProfile(VirtualMachineScaleSet=cfg, SharedGalleryImageId=image, OsDiskCreateOption="FromImage")
    ps.Set_AzVmssOsProfile(VirtualMachineScaleSet=cfg, ComputerNamePrefix="ss2", AdminUsername="azureuser", AdminPassword=PASSWORD)
    ip = ps.New_AzVmssIpConfig(Name="ipc", SubnetId=vnet.Subnets[0].Id)
    ps.Add_AzVmssNetworkInterfaceConfiguration(VirtualMachineScaleSet=cfg, Name="nic", Primary=True, IPConfiguration=ip)
    assert PASSWORD not in repr(cfg) and PASSWORD not in str(cfg.to_dict())
    vmss = ps.New_AzVmss(ResourceGroupName=TARGET_RG, VMScaleSetName="ss2", VirtualMachineScaleSet=cfg)
    assert vmss.Sku.Capacity == 2 and ps.Get_AzVmss(ResourceGroupName=TARGET_RG, VMScaleSetName="ss2").Id == vmss.Id


def test_vmss_from_a_gallery_not_shared_fails(emu, contoso, fabrikam):
    publish(emu, contoso, os_type="Linux")
    unique = contoso.sig.show(resource_group=RG, gallery_name=GALLERY, query="identifier.uniqueName")
    fabrikam.group.create(name=TARGET_RG, location="eastus")
    with pytest.raises(gs.HttpResponseError) as e:
        fabrikam.vmss.create(name="ss1", resource_group=TARGET_RG, image=f"/SharedGalleries/{unique}/Images/{IMAGE}/Versions/latest",
                             location="eastus", admin_password=PASSWORD, os_type="Linux")
    assert e.value.status_code in (403, 404)
