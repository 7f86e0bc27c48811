"""The official Azure SDK for Python (azure-identity, azure-mgmt-compute/-network/-authorization/-resource),
unchanged, against the embedded emulator.

The SDK is the reference here: it is generated from the Azure REST specs, so a deserialization error, a poller
that never finishes or a model missing a value means the emulator disagrees with Azure. Each flow also checks
that what the SDK wrote is what galleryshare reads back, and the other way round.
"""

from __future__ import annotations

import uuid
from typing import Any, Dict, List

import pytest

import galleryshare as gs
from conftest import login_app

# Test dependencies (dev.py TEST, pyproject [test]): a missing one is a failure, not a skip.
from azure.identity import ClientSecretCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute import models as cm
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network import models as nm
from azure.mgmt.resource.resources import ResourceManagementClient

SCOPES = ["https://management.azure.com/.default"]
LOCATION = "eastus"
RG, GALLERY, IMAGE, VERSION = "sdkRG", "sdkGallery", "sdkImage", "1.0.0"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


# -- strict reading ------------------------------------------------------------------------------------------

def unknown_fields(value: Any, path: str = "$") -> List[str]:
    """JSON properties in an SDK result that its model (hence the REST spec) does not define, at any depth.

    azure-mgmt-compute's models keep such properties silently, so "no deserialization error" alone would let
    an emulator invent fields or misspell one (leaving the spec's field unset). This makes them visible."""
    from azure.mgmt.compute._utils.model_base import Model as ComputeModel

    out: List[str] = []
    if isinstance(value, ComputeModel):
        fields = type(value)._attr_to_rest_field  # filled in on the class by the first instantiation
        known = {rf._rest_name for rf in fields.values()}
        out += [f"{path}.{key}" for key in value.keys() if key not in known]
        for attr, rf in fields.items():
            if rf._rest_name in value:
                out += unknown_fields(getattr(value, attr), f"{path}.{rf._rest_name}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += unknown_fields(item, f"{path}[{i}]")
    return out


def strict_list(pager: Any) -> List[Any]:
    return [strict(item) for item in pager]


def strict(value: Any) -> Any:
    """``value``, once checked to carry only what the spec defines."""
    assert unknown_fields(value) == [], f"{type(value).__name__}: properties the spec does not define"
    return value


# -- clients ------------------------------------------------------------------------------------------------

def credential(emu, app: str, tenant: str) -> ClientSecretCredential:
    a = emu.directory.app(app)
    return ClientSecretCredential(emu.directory.tenant(tenant).id, a.client_id, a.secret,
                                  authority=emu.endpoint, disable_instance_discovery=True,
                                  connection_verify=emu.ca_cert_path)


def client(cls, emu, cred, subscription: str):
    return cls(cred, emu.directory.subscription(subscription).id, base_url=emu.endpoint,
               credential_scopes=SCOPES, connection_verify=emu.ca_cert_path)


class Sdk:
    """The four management clients of one principal in one subscription."""

    def __init__(self, emu, app: str, tenant: str, subscription: str):
        cred = credential(emu, app, tenant)
        self.subscription_id = emu.directory.subscription(subscription).id
        self.compute = client(ComputeManagementClient, emu, cred, subscription)
        self.network = client(NetworkManagementClient, emu, cred, subscription)
        self.auth = client(AuthorizationManagementClient, emu, cred, subscription)
        self.resources = client(ResourceManagementClient, emu, cred, subscription)


@pytest.fixture
def contoso_sdk(emu) -> Sdk:
    return Sdk(emu, "contoso-admin", "contoso", "contoso-prod")


@pytest.fixture
def fabrikam_sdk(emu) -> Sdk:
    return Sdk(emu, "fabrikam-admin", "fabrikam", "fabrikam-prod")


def managed_image_id(emu, name: str = "ubuntu-base") -> str:
    sub = emu.directory.subscription("contoso-prod").id
    return f"/subscriptions/{sub}/resourceGroups/images/providers/Microsoft.Compute/images/{name}"


def publish(emu, sdk: Sdk, *, permissions: str = "Groups") -> cm.GalleryImageVersion:
    """Resource group, gallery, Linux image definition and one version from the seeded managed image."""
    rg = sdk.resources.resource_groups.create_or_update(RG, {"location": LOCATION})
    assert rg.name == RG and rg.location == LOCATION and rg.properties.provisioning_state == "Succeeded"

    gallery = sdk.compute.galleries.begin_create_or_update(
        RG, GALLERY,
        cm.Gallery(location=LOCATION, properties=cm.GalleryProperties(
            description="made by the SDK", sharing_profile=cm.SharingProfile(permissions=permissions))),
    ).result()
    strict(gallery)
    assert isinstance(gallery, cm.Gallery)
    assert gallery.name == GALLERY and gallery.type == "Microsoft.Compute/galleries"
    assert gallery.properties.provisioning_state == "Succeeded"
    assert gallery.properties.sharing_profile.permissions == permissions
    assert gallery.properties.identifier.unique_name.endswith(f"-{GALLERY.upper()}")

    image = sdk.compute.gallery_images.begin_create_or_update(
        RG, GALLERY, IMAGE,
        cm.GalleryImage(location=LOCATION, properties=cm.GalleryImageProperties(
            os_type="Linux", os_state="Generalized",
            identifier=cm.GalleryImageIdentifier(publisher="contoso", offer="server", sku="22_04"))),
    ).result()
    strict(image)
    assert isinstance(image, cm.GalleryImage)
    assert image.properties.os_type == "Linux" and image.properties.os_state == "Generalized"
    assert image.properties.identifier.sku == "22_04"
    assert image.properties.provisioning_state == "Succeeded"

    version = sdk.compute.gallery_image_versions.begin_create_or_update(
        RG, GALLERY, IMAGE, VERSION,
        cm.GalleryImageVersion(location=LOCATION, properties=cm.GalleryImageVersionProperties(
            publishing_profile=cm.GalleryImageVersionPublishingProfile(
                target_regions=[cm.TargetRegion(name=LOCATION, regional_replica_count=1)]),
            storage_profile=cm.GalleryImageVersionStorageProfile(
                source=cm.GalleryArtifactVersionFullSource(id=managed_image_id(emu)))),
        ),
    ).result()
    strict(version)
    assert isinstance(version, cm.GalleryImageVersion)
    assert version.name == VERSION
    assert version.properties.provisioning_state == "Succeeded"
    assert version.properties.storage_profile.source.id.lower() == managed_image_id(emu).lower()
    assert [r.name.replace(" ", "").lower() for r in version.properties.publishing_profile.target_regions] == [LOCATION]
    return version


def share(sdk: Sdk, operation: str, groups: List[Dict[str, Any]] = ()) -> cm.SharingUpdate:
    poller = sdk.compute.gallery_sharing_profile.begin_update(
        RG, GALLERY,
        cm.SharingUpdate(operation_type=operation,
                         groups=[cm.SharingProfileGroup(type=g["type"], ids=g["ids"]) for g in groups] or None))
    result = poller.result()
    assert poller.done() and poller.status().lower() == "succeeded"
    return result


def groups_of(gallery: cm.Gallery) -> Dict[str, List[str]]:
    return {g.type: sorted(i.lower() for i in g.ids) for g in (gallery.properties.sharing_profile.groups or [])}


# -- tests --------------------------------------------------------------------------------------------------

def test_identity_tokens_from_the_emulator(emu):
    """azure-identity discovers the tenant's authority (openid-configuration) and gets an ARM token."""
    cred = credential(emu, "contoso-admin", "contoso")
    token = cred.get_token(*SCOPES)
    assert token.token.count(".") == 2 and token.expires_on > 0
    paths = [r["path"] for r in emu.requests()]
    tenant = emu.directory.tenant("contoso").id
    assert f"/{tenant}/oauth2/v2.0/token" in paths
    # A wrong secret is a ClientAuthenticationError, as with Entra ID.
    from azure.core.exceptions import ClientAuthenticationError
    a = emu.directory.app("contoso-admin")
    bad = ClientSecretCredential(tenant, a.client_id, "not-the-secret", authority=emu.endpoint,
                                 disable_instance_discovery=True, connection_verify=emu.ca_cert_path)
    with pytest.raises(ClientAuthenticationError):
        bad.get_token(*SCOPES)


def test_publish_and_direct_sharing(emu, contoso_sdk, fabrikam_sdk, contoso):
    sdk = contoso_sdk
    publish(emu, sdk)
    fabrikam_tenant = emu.directory.tenant("fabrikam").id
    fabrikam_sub = emu.directory.subscription("fabrikam-prod").id
    dev_sub = emu.directory.subscription("contoso-dev").id

    added = share(sdk, "Add", [{"type": "Subscriptions", "ids": [fabrikam_sub, dev_sub]},
                               {"type": "AADTenants", "ids": [fabrikam_tenant]}])
    assert isinstance(added, cm.SharingUpdate)
    gallery = strict(sdk.compute.galleries.get(RG, GALLERY, select="Permissions"))
    assert gallery.properties.sharing_profile.permissions == "Groups"
    assert groups_of(gallery) == {"Subscriptions": sorted([fabrikam_sub, dev_sub]), "AADTenants": [fabrikam_tenant]}
    expanded = strict(sdk.compute.galleries.get(RG, GALLERY, expand="SharingProfile/Groups"))
    assert groups_of(expanded) == groups_of(gallery)

    # What the SDK wrote is what galleryshare reads.
    seen = contoso.sig.show(resource_group=RG, gallery_name=GALLERY, select="permissions")
    assert {g["type"]: sorted(i.lower() for i in g["ids"]) for g in seen["sharingProfile"]["groups"]} == groups_of(gallery)

    # The consumer's view, from the other tenant.
    unique_name = gallery.properties.identifier.unique_name
    shared = strict_list(fabrikam_sdk.compute.shared_galleries.list(LOCATION, shared_to="tenant"))
    assert [g.name for g in shared] == [unique_name]
    assert shared[0].identifier.unique_id == f"/SharedGalleries/{unique_name}"
    assert shared[0].location == LOCATION
    assert [g.name for g in strict_list(fabrikam_sdk.compute.shared_galleries.list(LOCATION))] == [unique_name]
    one = strict(fabrikam_sdk.compute.shared_galleries.get(LOCATION, unique_name))
    assert one.name == unique_name
    images = strict_list(fabrikam_sdk.compute.shared_gallery_images.list(LOCATION, unique_name, shared_to="tenant"))
    assert [i.name for i in images] == [IMAGE]
    image = strict(fabrikam_sdk.compute.shared_gallery_images.get(LOCATION, unique_name, IMAGE))
    assert image.properties.os_type == "Linux" and image.properties.os_state == "Generalized"
    assert image.properties.identifier.publisher == "contoso"
    assert image.identifier.unique_id == f"/SharedGalleries/{unique_name}/Images/{IMAGE}"
    versions = strict_list(fabrikam_sdk.compute.shared_gallery_image_versions.list(LOCATION, unique_name, IMAGE,
                                                                             shared_to="tenant"))
    assert [v.name for v in versions] == [VERSION]
    version = strict(fabrikam_sdk.compute.shared_gallery_image_versions.get(LOCATION, unique_name, IMAGE, VERSION))
    assert version.identifier.unique_id == f"/SharedGalleries/{unique_name}/Images/{IMAGE}/Versions/{VERSION}"
    assert version.properties.exclude_from_latest is False
    assert version.properties.published_date is not None

    # And what galleryshare sees as the consumer is the same thing.
    fabrikam = login_app(emu, "fabrikam-admin", "fabrikam")
    assert [g["name"] for g in fabrikam.sig.list_shared(location=LOCATION, shared_to="tenant")] == [unique_name]

    # Remove one subscription and the tenant.
    share(sdk, "Remove", [{"type": "Subscriptions", "ids": [dev_sub]}, {"type": "AADTenants", "ids": [fabrikam_tenant]}])
    assert groups_of(strict(sdk.compute.galleries.get(RG, GALLERY, select="Permissions"))) == {"Subscriptions": [fabrikam_sub]}
    assert strict_list(fabrikam_sdk.compute.shared_galleries.list(LOCATION, shared_to="tenant")) == []
    assert [g.name for g in strict_list(fabrikam_sdk.compute.shared_galleries.list(LOCATION))] == [unique_name]

    # Reset: nobody sees it any more.
    share(sdk, "Reset")
    assert groups_of(strict(sdk.compute.galleries.get(RG, GALLERY, select="Permissions"))) == {}
    assert strict_list(fabrikam_sdk.compute.shared_galleries.list(LOCATION)) == []
    from azure.core.exceptions import ResourceNotFoundError
    with pytest.raises(ResourceNotFoundError):
        strict(fabrikam_sdk.compute.shared_galleries.get(LOCATION, unique_name))


def test_galleryshare_share_is_what_the_sdk_reads(emu, contoso_sdk, contoso):
    """The other direction: galleryshare shares, the SDK reads it back."""
    publish(emu, contoso_sdk)
    fabrikam_sub = emu.directory.subscription("fabrikam-prod").id
    contoso.sig.share.add(resource_group=RG, gallery_name=GALLERY, subscription_ids=[fabrikam_sub])
    gallery = strict(contoso_sdk.compute.galleries.get(RG, GALLERY, select="Permissions"))
    assert groups_of(gallery) == {"Subscriptions": [fabrikam_sub]}
    shown = contoso.sig.show(resource_group=RG, gallery_name=GALLERY)
    assert shown["identifier"]["uniqueName"] == gallery.properties.identifier.unique_name
    assert shown["id"] == gallery.id


def test_errors_are_the_sdk_exceptions(emu, contoso_sdk):
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
    with pytest.raises(ResourceNotFoundError) as missing:
        strict(contoso_sdk.compute.galleries.get("images", "nope"))
    assert missing.value.status_code == 404 and missing.value.error.code
    publish(emu, contoso_sdk, permissions="Private")
    # Direct sharing needs a Groups gallery: a 409 the SDK raises with Azure's error code.
    with pytest.raises(HttpResponseError) as conflict:
        share(contoso_sdk, "Add", [{"type": "Subscriptions", "ids": [contoso_sdk.subscription_id]}])
    assert conflict.value.status_code == 409 and conflict.value.error.code


def test_role_assignment_on_the_gallery(emu, contoso_sdk, contoso):
    publish(emu, contoso_sdk)
    gallery = strict(contoso_sdk.compute.galleries.get(RG, GALLERY))
    app = emu.directory.app("myGalleryApp")
    principal = app.service_principals["contoso"]
    role_id = f"/subscriptions/{contoso_sdk.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{READER}"

    reader = contoso_sdk.auth.role_definitions.get(gallery.id, READER)
    assert reader.role_name == "Reader" and reader.id.lower().endswith(READER)

    name = str(uuid.uuid4())
    created = contoso_sdk.auth.role_assignments.create(gallery.id, name, {
        "properties": {"roleDefinitionId": role_id, "principalId": principal, "principalType": "ServicePrincipal"}})
    assert created.name == name
    assert created.principal_id == principal and created.scope.lower() == gallery.id.lower()
    assert created.role_definition_id.lower() == role_id.lower()

    listed = list(contoso_sdk.auth.role_assignments.list_for_scope(gallery.id))
    assert name in [a.name for a in listed]
    # galleryshare sees the SDK's assignment.
    seen = contoso.role.assignment.list(scope=gallery.id)
    assert any(a["name"] == name and a["principalId"] == principal for a in seen)
    assert contoso_sdk.auth.role_assignments.get(gallery.id, name).principal_id == principal

    # The app can now read the gallery with the SDK (RBAC is enforced: before, it could not).
    app_sdk = Sdk(emu, "myGalleryApp", "contoso", "contoso-prod")
    assert app_sdk.compute.galleries.get(RG, GALLERY).name == GALLERY
    contoso_sdk.auth.role_assignments.delete(gallery.id, name)
    from azure.core.exceptions import HttpResponseError
    with pytest.raises(HttpResponseError) as denied:
        Sdk(emu, "myGalleryApp", "contoso", "contoso-prod").compute.galleries.get(RG, GALLERY)
    assert denied.value.status_code == 403 and denied.value.error.code == "AuthorizationFailed"


def test_community_gallery(emu, contoso_sdk, fabrikam_sdk, contoso):
    sdk = contoso_sdk
    sdk.resources.resource_groups.create_or_update(RG, {"location": LOCATION})
    gallery = sdk.compute.galleries.begin_create_or_update(
        RG, GALLERY,
        cm.Gallery(location=LOCATION, properties=cm.GalleryProperties(sharing_profile=cm.SharingProfile(
            permissions="Community",
            community_gallery_info=cm.CommunityGalleryInfo(
                publisher_uri="https://contoso.com", publisher_contact="images@contoso.com",
                eula="https://contoso.com/eula", public_name_prefix="contoso")))),
    ).result()
    assert gallery.properties.sharing_profile.permissions == "Community"
    image = cm.GalleryImage(location=LOCATION, properties=cm.GalleryImageProperties(
        os_type="Linux", os_state="Generalized",
        identifier=cm.GalleryImageIdentifier(publisher="contoso", offer="server", sku="22_04")))
    sdk.compute.gallery_images.begin_create_or_update(RG, GALLERY, IMAGE, image).result()
    sdk.compute.gallery_image_versions.begin_create_or_update(RG, GALLERY, IMAGE, VERSION, {
        "location": LOCATION,
        "properties": {"storageProfile": {"source": {"id": managed_image_id(emu)}}}}).result()

    share(sdk, "EnableCommunity")
    gallery = strict(sdk.compute.galleries.get(RG, GALLERY))
    info = gallery.properties.sharing_profile.community_gallery_info
    assert info.community_gallery_enabled is True
    assert len(info.public_names) == 1 and info.public_names[0].startswith("contoso-")
    public = info.public_names[0]

    community = strict(fabrikam_sdk.compute.community_galleries.get(LOCATION, public))
    assert isinstance(community, cm.CommunityGallery)
    assert community.name == public and community.location == LOCATION
    assert community.identifier.unique_id == f"/CommunityGalleries/{public}"
    meta = community.properties.community_metadata
    assert meta.publisher_uri == "https://contoso.com" and meta.publisher_contact == "images@contoso.com"
    assert meta.eula == "https://contoso.com/eula" and meta.public_names == [public]
    images = strict_list(fabrikam_sdk.compute.community_gallery_images.list(LOCATION, public))
    assert [i.name for i in images] == [IMAGE]
    one = strict(fabrikam_sdk.compute.community_gallery_images.get(LOCATION, public, IMAGE))
    assert one.properties.os_type == "Linux" and one.properties.identifier.offer == "server"
    versions = strict_list(fabrikam_sdk.compute.community_gallery_image_versions.list(LOCATION, public, IMAGE))
    assert [v.name for v in versions] == [VERSION]
    v = strict(fabrikam_sdk.compute.community_gallery_image_versions.get(LOCATION, public, IMAGE, VERSION))
    assert v.identifier.unique_id == f"/CommunityGalleries/{public}/Images/{IMAGE}/Versions/{VERSION}"

    # galleryshare sees the same community gallery.
    fabrikam = login_app(emu, "fabrikam-admin", "fabrikam")
    shown = fabrikam.sig.show_community(public_gallery_name=public, location=LOCATION)
    assert shown["uniqueId"] == community.identifier.unique_id


def test_vm_from_a_shared_image(emu, contoso_sdk, fabrikam_sdk, contoso):
    """fabrikam deploys a VM from contoso's image shared to its subscription: network with
    azure-mgmt-network, the VM with azure-mgmt-compute, the image by its /SharedGalleries id."""
    publish(emu, contoso_sdk)
    fabrikam_sub = emu.directory.subscription("fabrikam-prod").id
    share(contoso_sdk, "Add", [{"type": "Subscriptions", "ids": [fabrikam_sub]}])
    unique_name = strict(contoso_sdk.compute.galleries.get(RG, GALLERY)).properties.identifier.unique_name
    image_id = f"/SharedGalleries/{unique_name}/Images/{IMAGE}/Versions/{VERSION}"

    sdk = fabrikam_sdk
    sdk.resources.resource_groups.create_or_update("vmRG", {"location": LOCATION})
    vnet = sdk.network.virtual_networks.begin_create_or_update("vmRG", "vnet1", nm.VirtualNetwork(
        location=LOCATION, address_space=nm.AddressSpace(address_prefixes=["10.0.0.0/16"]),
        subnets=[nm.Subnet(name="default", address_prefix="10.0.0.0/24")])).result()
    assert vnet.provisioning_state == "Succeeded"
    assert vnet.address_space.address_prefixes == ["10.0.0.0/16"]
    subnet = sdk.network.subnets.get("vmRG", "vnet1", "default")
    assert subnet.address_prefix == "10.0.0.0/24" and subnet.id == vnet.subnets[0].id
    nic = sdk.network.network_interfaces.begin_create_or_update("vmRG", "nic1", nm.NetworkInterface(
        location=LOCATION, ip_configurations=[nm.NetworkInterfaceIPConfiguration(
            name="ipconfig1", subnet=nm.Subnet(id=subnet.id), private_ip_allocation_method="Dynamic")])).result()
    assert nic.provisioning_state == "Succeeded"
    assert nic.ip_configurations[0].subnet.id.lower() == subnet.id.lower()

    vm = sdk.compute.virtual_machines.begin_create_or_update("vmRG", "vm1", {
        "location": LOCATION,
        "properties": {
            "hardwareProfile": {"vmSize": "Standard_DS1_v2"},
            "storageProfile": {"imageReference": {"sharedGalleryImageId": image_id},
                               "osDisk": {"createOption": "FromImage",
                                          "managedDisk": {"storageAccountType": "Premium_LRS"}}},
            "osProfile": {"computerName": "vm1", "adminUsername": "azureuser",
                          "adminPassword": "Str0ng!Passw0rd-42"},
            "networkProfile": {"networkInterfaces": [{"id": nic.id, "properties": {"primary": True}}]},
        }}).result()
    strict(vm)
    assert isinstance(vm, cm.VirtualMachine)
    assert vm.name == "vm1" and vm.location == LOCATION
    assert vm.properties.provisioning_state == "Succeeded"
    assert vm.properties.storage_profile.image_reference.shared_gallery_image_id == image_id
    assert vm.properties.os_profile.admin_username == "azureuser"
    assert vm.properties.os_profile.admin_password is None  # never echoed
    assert vm.properties.network_profile.network_interfaces[0].id.lower() == nic.id.lower()

    got = strict(sdk.compute.virtual_machines.get("vmRG", "vm1"))
    assert got.id == vm.id and got.properties.vm_id
    assert [v.name for v in strict_list(sdk.compute.virtual_machines.list("vmRG"))] == ["vm1"]
    # galleryshare reads the SDK's VM.
    fabrikam = login_app(emu, "fabrikam-admin", "fabrikam")
    shown = fabrikam.vm.show(resource_group="vmRG", name="vm1")
    assert shown["id"] == vm.id
    assert shown["storageProfile"]["imageReference"]["sharedGalleryImageId"] == image_id
