"""Conformance of deployment from gallery images against the ComputeRP spec examples (api-version 2025-04-01).

For each example (``VirtualMachine_Create_From{ASharedGalleryImage,AGeneralizedSharedImage,ACommunityGalleryImage}``,
``VirtualMachineScaleSet_Create_FromAGeneralizedSharedImage``) and each success status (201 create, 200 update),
the public Python API is driven so that its PUT is the example's request; a replay server (HTTPS) answers with the
example's response and the long-running-operation headers Azure sends. The tests check the whole request
sequence (method, path, query, body) and the value returned, built independently from the served responses.

Placeholders in the examples become concrete values, the same in request and response:
- ``{subscription-id}`` -> the replay login's subscription;
- ``{existing-nic-name}`` / ``{existing-virtual-network-name}`` / ``{existing-subnet-name}`` -> the names the
  example's *responses* use (``nsgExistingNic``, ``nsgExistingVnet``, ``nsgExistingSubnet``), so the request and
  the response name one and the same NIC / subnet;
- ``{vmss-name}`` -> ``myVmss`` (braces are not valid in a resource name);
- ``{your-password}`` -> a password that meets the CLI's length and complexity rules (the placeholder itself
  would not). ``{your-username}`` stays verbatim: it is a valid user name for the CLI.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Dict, List, Optional

import pytest

import galleryshare as gs
from replay_server import Interaction, ReplayServer, cli_shape, reference_dir, request_view

SUB = "5c2a5f1e-0b7e-4a42-9f8c-1d2e3f405162"
PASSWORD = "Repl4y-Passw0rd!"
VMSS_NAME = "myVmss"
PLACEHOLDERS = {
    "{subscription-id}": SUB,
    "{existing-nic-name}": "nsgExistingNic",
    "{existing-virtual-network-name}": "nsgExistingVnet",
    "{existing-subnet-name}": "nsgExistingSubnet",
    "{vmss-name}": VMSS_NAME,
    "{your-password}": PASSWORD,
}

COMPUTE_API = "2025-04-01"   # the examples' api-version (checked against each example below)
GALLERY_API = "2025-03-03"   # GalleryRP, for the image definition the CLI reads the OS type from
NETWORK_API = "2024-05-01"   # any recent stable Network version (README); passed explicitly, not assumed

OP_ID = "7d0c1f3e-2a4b-4c5d-8e9f-0a1b2c3d4e5f"
POLL_URL = (f"https://management.azure.com/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westus/"
            f"operations/{OP_ID}?api-version={COMPUTE_API}")

VM_EXAMPLES = [
    "VirtualMachine_Create_FromASharedGalleryImage",
    "VirtualMachine_Create_FromAGeneralizedSharedImage",
    "VirtualMachine_Create_FromACommunityGalleryImage",
]
VMSS_EXAMPLE = "VirtualMachineScaleSet_Create_FromAGeneralizedSharedImage"
STATUSES = ["201", "200"]

# The NIC (and its public IP) the VM's summary is read from: served by the test, so the expected summary is
# built from these values and the example's response, independently of the client.
NIC_PRIVATE_IP = "10.0.0.4"
NIC_MAC = "00-0D-3A-1B-2C-3D"
PUBLIC_IP = "20.42.17.9"


def load_example(name: str) -> Dict[str, Any]:
    text = (reference_dir() / "spec-examples" / f"{name}.json").read_text()
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    example = json.loads(text)
    assert example["parameters"]["api-version"] == COMPUTE_API
    assert example["parameters"]["subscriptionId"] == SUB
    return example


def load_reference(name: str) -> Dict[str, Any]:
    text = (reference_dir() / "spec-examples" / f"{name}.json").read_text().replace("{subscription-id}", SUB)
    return json.loads(text)


# -- what the server answers ----------------------------------------------------------------------------------

def lro_put(path: str, body: Any, status: str, example: Dict[str, Any]) -> List[Interaction]:
    """The PUT answered with the example's response for ``status`` and Azure-AsyncOperation (Retry-After: 0,
    which the client honours, so no test waits), polled InProgress then Succeeded, then the resource read
    back with the same api-version (answered with the example's 200 body)."""
    query = {"api-version": COMPUTE_API}
    responses = example["responses"]
    return [
        Interaction("PUT", path, query, body=body, status=int(status),
                    headers={"Azure-AsyncOperation": POLL_URL, "Retry-After": "0"},
                    response=responses[status]["body"]),
        Interaction.from_url("GET", POLL_URL, headers={"Retry-After": "0"},
                             response={"startTime": "2025-01-01T00:00:00Z", "status": "InProgress", "name": OP_ID}),
        Interaction.from_url("GET", POLL_URL,
                             response={"startTime": "2025-01-01T00:00:00Z", "endTime": "2025-01-01T00:00:01Z",
                                       "status": "Succeeded", "name": OP_ID}),
        Interaction("GET", path, query, response=responses["200"]["body"]),
    ]


def image_definition_get(image_reference: Dict[str, str], location: str, os_type: str) -> Interaction:
    """The GET the CLI makes to learn the image's OS type, answered with the GalleryRP example of that kind of
    definition (re-pointed at the example's image, ``osType`` set to ``os_type``)."""
    (kind, value), = image_reference.items()
    loc = f"/subscriptions/{SUB}/providers/Microsoft.Compute/locations/{location}"
    if kind in ("sharedGalleryImageId", "communityGalleryImageId"):
        parts = value.strip("/").split("/")   # {Shared|Community}Galleries/{g}/Images/{i}/Versions/{v}
        gallery, image = parts[1], parts[3]
        if kind == "sharedGalleryImageId":
            ref, collection, root = load_reference("SharedGalleryImage_Get"), "sharedGalleries", "SharedGalleries"
        else:
            ref, collection, root = load_reference("CommunityGalleryImage_Get"), "communityGalleries", "CommunityGalleries"
        body = ref["responses"]["200"]["body"]
        body.update(name=image, location=location, identifier={"uniqueId": f"/{root}/{gallery}/Images/{image}"})
        path = f"{loc}/{collection}/{gallery}/images/{image}"
    else:
        assert kind == "id" and "/versions/" not in value.lower(), "the examples reference an image definition"
        body = load_reference("GalleryImage_Create")["responses"]["200"]["body"]
        body.update(id=value, name=value.rsplit("/", 1)[1], location=location)
        body["properties"]["provisioningState"] = "Succeeded"
        path = value
    body["properties"]["osType"] = os_type
    return Interaction("GET", path, {"api-version": GALLERY_API}, response=body)


def nic_and_public_ip(nic_id: str) -> List[Interaction]:
    rg_net = nic_id.split("/providers/")[0] + "/providers/Microsoft.Network"
    pip_id = f"{rg_net}/publicIPAddresses/nsgExistingPublicIP"
    nic = {
        "id": nic_id, "name": nic_id.rsplit("/", 1)[1], "location": "westus",
        "type": "Microsoft.Network/networkInterfaces",
        "properties": {
            "provisioningState": "Succeeded", "macAddress": NIC_MAC, "primary": True,
            "ipConfigurations": [{
                "id": f"{nic_id}/ipConfigurations/ipconfig1", "name": "ipconfig1",
                "properties": {"privateIPAddress": NIC_PRIVATE_IP, "privateIPAllocationMethod": "Dynamic",
                               "subnet": {"id": f"{rg_net}/virtualNetworks/nsgExistingVnet/subnets/nsgExistingSubnet"},
                               "publicIPAddress": {"id": pip_id}, "primary": True},
            }],
        },
    }
    pip = {"id": pip_id, "name": "nsgExistingPublicIP", "location": "westus",
           "type": "Microsoft.Network/publicIPAddresses",
           "properties": {"provisioningState": "Succeeded", "ipAddress": PUBLIC_IP,
                          "publicIPAllocationMethod": "Static", "publicIPAddressVersion": "IPv4"}}
    return [Interaction("GET", nic_id, {"api-version": NETWORK_API}, response=nic),
            Interaction("GET", pip_id, {"api-version": NETWORK_API}, response=pip)]


def run(interactions: List[Interaction], call) -> "tuple[Any, Optional[BaseException], ReplayServer]":
    with ReplayServer(interactions, subscription=SUB) as server:
        error: Optional[BaseException] = None
        result = None
        try:
            result = call(server)
        except gs.AzureError as e:  # compare the requests first: their diff says more than the error
            error = e
    return result, error, server


def assert_sequence(server: ReplayServer, interactions: List[Interaction], error: Optional[BaseException],
                    normalize=lambda body: body) -> None:
    sent = [request_view(r.method, r.path, r.query, normalize(r.body)) for r in server.requests]
    expected = [request_view(i.method, i.path, i.query, normalize(i.body)) for i in interactions]
    assert sent == expected
    assert all(r.bearer for r in server.requests), "every ARM request must carry a Bearer token"
    # The image is in the current subscription (and for shared/community images no RBAC is involved): no
    # auxiliary token is sent.
    assert not any("x-ms-authorization-auxiliary" in r.headers for r in server.requests)
    assert error is None, f"the command raised {error!r}"
    assert not server.unconsumed


def vm_path(p: Dict[str, Any]) -> str:
    return (f"/subscriptions/{p['subscriptionId']}/resourceGroups/{p['resourceGroupName']}"
            f"/providers/Microsoft.Compute/virtualMachines/{p['vmName']}")


# -- az vm create ---------------------------------------------------------------------------------------------

def cli_vm_body(example_body: Dict[str, Any], os_type: str) -> Dict[str, Any]:
    """The body ``az vm create`` must send for the example's VM. For a Windows image it is exactly the example.
    For a Linux image the CLI (2.91, ``build_vm_resource``) always adds ``linuxConfiguration`` with
    ``disablePasswordAuthentication: false`` when signing in with a password; that is the value Azure applies
    anyway — the example's own response shows ``"linuxConfiguration": {"disablePasswordAuthentication": false}``."""
    body = copy.deepcopy(example_body)
    if os_type == "Linux":
        body["properties"]["osProfile"]["linuxConfiguration"] = {"disablePasswordAuthentication": False}
    return body


def expected_vm_summary(final_vm: Dict[str, Any]) -> Dict[str, Any]:
    """``az vm create``'s output, from the VM read back after the operation and the NIC / public IP served."""
    return {
        "fqdns": "",
        "id": final_vm["id"],
        "location": final_vm["location"],
        "macAddress": NIC_MAC,
        "powerState": "VM running",
        "privateIpAddress": NIC_PRIVATE_IP,
        "publicIpAddress": PUBLIC_IP,
        "resourceGroup": final_vm["id"].split("/")[4],
        "zones": "",
    }


@pytest.mark.parametrize("os_type", ["Windows", "Linux"])
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("name", VM_EXAMPLES)
def test_az_vm_create_matches_example(name: str, status: str, os_type: str) -> None:
    example = load_example(name)
    p = example["parameters"]
    vm = p["parameters"]
    props = vm["properties"]
    image_ref = props["storageProfile"]["imageReference"]
    os_disk = props["storageProfile"]["osDisk"]
    nic_id = props["networkProfile"]["networkInterfaces"][0]["id"]
    (image,) = image_ref.values()

    interactions = [
        image_definition_get(image_ref, vm["location"], os_type),
        *lro_put(vm_path(p), cli_vm_body(vm, os_type), status, example),
        *nic_and_public_ip(nic_id),
    ]

    def call(server: ReplayServer) -> Any:
        az = server.login(api_versions={"compute": COMPUTE_API, "gallery": GALLERY_API, "network": NETWORK_API})
        return az.vm.create(
            name=p["vmName"], resource_group=p["resourceGroupName"], image=image, location=vm["location"],
            size=props["hardwareProfile"]["vmSize"], admin_username=props["osProfile"]["adminUsername"],
            admin_password=props["osProfile"]["adminPassword"], nics=[nic_id], os_disk_name=os_disk["name"],
            os_disk_caching=os_disk["caching"], storage_sku=os_disk["managedDisk"]["storageAccountType"],
            accept_term="communityGalleryImageId" in image_ref)

    result, error, server = run(interactions, call)
    assert_sequence(server, interactions, error)
    # The VM PUT, on its own: the example's request body (semantically) for a Windows image.
    (put,) = [r for r in server.requests if r.method == "PUT"]
    if os_type == "Windows":
        assert request_view("PUT", put.path, put.query, put.body) == request_view(
            "PUT", vm_path(p), {"api-version": p["api-version"]}, vm)
    assert result == expected_vm_summary(example["responses"]["200"]["body"])
    assert list(result) == sorted(result), "the CLI prints keys sorted"
    assert PASSWORD not in json.dumps(result)


# -- New-AzVM -VM $config ---------------------------------------------------------------------------------------

# Defaults ARM applies to a Windows VM's osProfile when the request leaves them out (ComputeRP spec,
# WindowsConfiguration.provisionVMAgent: "When this property is not specified in the request body, it is set to
# true by default"). The mirror's Set-AzVMOperatingSystem -Windows writes it explicitly
# ({"windowsConfiguration": {"provisionVMAgent": true}}); the example sends no windowsConfiguration. Both mean
# the same VM, so that value is not held against either side: the PUT must be the example's once ARM's default
# is taken out, whether the client writes it or not (Az.Compute versions differ here: older ones set it only
# with -ProvisionVMAgent).
ARM_WINDOWS_DEFAULTS = {"provisionVMAgent": True}


def without_arm_defaults(body: Any) -> Any:
    if not (isinstance(body, dict) and isinstance(body.get("properties", {}).get("osProfile"), dict)):
        return body
    body = copy.deepcopy(body)
    profile = body["properties"]["osProfile"]
    windows = profile.get("windowsConfiguration")
    if isinstance(windows, dict):
        rest = {k: v for k, v in windows.items() if ARM_WINDOWS_DEFAULTS.get(k, object()) != v}
        if rest:
            profile["windowsConfiguration"] = rest
        else:
            del profile["windowsConfiguration"]
    return body


def source_image_kwargs(image_ref: Dict[str, str]) -> Dict[str, str]:
    (kind, value), = image_ref.items()
    return {"id": {"Id": value}, "sharedGalleryImageId": {"SharedGalleryImageId": value},
            "communityGalleryImageId": {"CommunityGalleryImageId": value}}[kind]


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("name", VM_EXAMPLES)
def test_new_azvm_matches_example(name: str, status: str) -> None:
    example = load_example(name)
    p = example["parameters"]
    vm = p["parameters"]
    props = vm["properties"]
    os_disk = props["storageProfile"]["osDisk"]
    nic_id = props["networkProfile"]["networkInterfaces"][0]["id"]

    interactions = lro_put(vm_path(p), vm, status, example)

    def call(server: ReplayServer) -> Any:
        ps = gs.Pwsh(cloud=server.cloud, api_versions={"compute": COMPUTE_API})
        ps.Connect_AzAccount(ServicePrincipal=True, Credential=gs.PSCredential("11111111-1111-1111-1111-111111111111",
                                                                               "replay-secret"), Tenant=server.tenant)
        server.login_requests.clear()
        osp = props["osProfile"]
        config = (ps.New_AzVMConfig(VMName=p["vmName"], VMSize=props["hardwareProfile"]["vmSize"])
                  | ps.Set_AzVMOperatingSystem(Windows=True, ComputerName=osp["computerName"],
                                               Credential=gs.PSCredential(osp["adminUsername"], osp["adminPassword"]))
                  | ps.Set_AzVMSourceImage(**source_image_kwargs(props["storageProfile"]["imageReference"]))
                  | ps.Set_AzVMOSDisk(Name=os_disk["name"], Caching=os_disk["caching"], CreateOption="FromImage",
                                      StorageAccountType=os_disk["managedDisk"]["storageAccountType"])
                  | ps.Add_AzVMNetworkInterface(Id=nic_id, Primary=True))
        assert PASSWORD not in repr(config)
        return ps.New_AzVM(ResourceGroupName=p["resourceGroupName"], Location=vm["location"], VM=config)

    result, error, server = run(interactions, call)
    # One VM PUT, its LRO polls and the read-back; no image or network GET (New-AzVM -VM sends the config as is).
    assert_sequence(server, interactions, error, normalize=without_arm_defaults)
    (put,) = [r for r in server.requests if r.method == "PUT"]
    windows = put.body["properties"]["osProfile"].get("windowsConfiguration")
    assert windows in (None, {"provisionVMAgent": True}), "nothing beyond ARM's default may be added for -Windows"

    final = example["responses"]["200"]["body"]
    fp = final["properties"]
    assert result.Id == final["id"]
    assert result.Name == final["name"] == p["vmName"]
    assert result.Location == final["location"]
    assert result.ResourceGroupName == p["resourceGroupName"]
    assert result.HardwareProfile.VmSize == fp["hardwareProfile"]["vmSize"]
    assert result.OsProfile.ComputerName == fp["osProfile"]["computerName"]
    assert result.OsProfile.AdminUsername == fp["osProfile"]["adminUsername"]
    assert "AdminPassword" not in result.OsProfile
    (kind, value), = fp["storageProfile"]["imageReference"].items()
    assert getattr(result.StorageProfile.ImageReference, kind[0].upper() + kind[1:]) == value
    assert result.StorageProfile.OsDisk.Name == fp["storageProfile"]["osDisk"]["name"]
    assert result.StorageProfile.OsDisk.ManagedDisk.StorageAccountType == "Standard_LRS"
    assert result.NetworkProfile.NetworkInterfaces[0].Id == fp["networkProfile"]["networkInterfaces"][0]["id"]
    assert result.ProvisioningState == fp["provisioningState"]
    assert PASSWORD not in repr(result) and PASSWORD not in json.dumps(result.to_dict())


# -- az vmss create ---------------------------------------------------------------------------------------------

def vmss_expressible(body: Dict[str, Any]) -> Dict[str, Any]:
    """The part of a scale set body that ``az vmss create``'s arguments decide. The example also sets
    ``enableIPForwarding: true`` on the NIC configuration and ``sku.tier: "Standard"`` — no ``az vmss create``
    argument sends either (the CLI recording's scale set has ``"sku": {"name", "capacity"}`` and no
    ``enableIPForwarding``) — and names its NIC / IP configurations after the scale set, where the CLI always
    uses ``{name[:9]}Nic`` / ``{name[:9]}IPConfig`` (``vmss3eb94Nic`` / ``vmss3eb94IPConfig`` in the
    recording). Those cannot be asked of the mirror, so they are left out here.

    ``overprovision: true`` is *not* left out: the CLI sends it for every Uniform scale set (its template
    builder writes ``'overprovision': not disable_overprovision``; the recorded ``vmss create`` in
    cli-recordings/test_create_vm_with_shared_gallery_image.yaml sends ``"overprovision": true``), and the
    example sends it too."""
    props = body["properties"]
    profile = props["virtualMachineProfile"]
    nic = profile["networkProfile"]["networkInterfaceConfigurations"][0]["properties"]
    return {
        "location": body["location"],
        "sku": {"name": body["sku"]["name"], "capacity": body["sku"]["capacity"]},
        "upgradePolicy": props["upgradePolicy"],
        "overprovision": props.get("overprovision"),
        "storageProfile": profile["storageProfile"],
        "osProfile": profile["osProfile"],
        "nicPrimary": nic["primary"],
        "subnets": [c["properties"]["subnet"] for c in nic["ipConfigurations"]],
    }


def cli_vmss_body(example_body: Dict[str, Any], name: str, os_type: str) -> Dict[str, Any]:
    """The full body ``az vmss create`` sends for the example's arguments: the example's (``overprovision: true``
    included, as the CLI sends it), without what the CLI cannot express, with the CLI's NIC/IP configuration
    names and ``orchestrationMode`` (``Uniform``, as in the CLI recording; also what ARM assumes when it is
    absent, as in the example)."""
    body = copy.deepcopy(example_body)
    body["sku"].pop("tier")
    props = body["properties"]
    assert props["overprovision"] is True
    props["orchestrationMode"] = "Uniform"
    nic = props["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0]
    nic["properties"].pop("enableIPForwarding")
    nic["name"] = f"{name[:9]}Nic"
    nic["properties"]["ipConfigurations"][0]["name"] = f"{name[:9]}IPConfig"
    if os_type == "Linux":
        props["virtualMachineProfile"]["osProfile"]["linuxConfiguration"] = {"disablePasswordAuthentication": False}
    return body


@pytest.mark.parametrize("os_type", ["Windows", "Linux"])
@pytest.mark.parametrize("status", STATUSES)
def test_az_vmss_create_matches_example(status: str, os_type: str) -> None:
    example = load_example(VMSS_EXAMPLE)
    p = example["parameters"]
    vmss = p["parameters"]
    profile = vmss["properties"]["virtualMachineProfile"]
    image_ref = profile["storageProfile"]["imageReference"]
    os_disk = profile["storageProfile"]["osDisk"]
    nic = profile["networkProfile"]["networkInterfaceConfigurations"][0]
    subnet_id = nic["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"]
    name = p["vmScaleSetName"]
    assert profile["osProfile"]["computerNamePrefix"] == name[:9]
    path = (f"/subscriptions/{SUB}/resourceGroups/{p['resourceGroupName']}"
            f"/providers/Microsoft.Compute/virtualMachineScaleSets/{name}")

    interactions = [
        image_definition_get(image_ref, vmss["location"], os_type),
        *lro_put(path, cli_vmss_body(vmss, name, os_type), status, example),
    ]

    def call(server: ReplayServer) -> Any:
        az = server.login(api_versions={"compute": COMPUTE_API, "gallery": GALLERY_API})
        return az.vmss.create(
            name=name, resource_group=p["resourceGroupName"], image=image_ref["id"], location=vmss["location"],
            instance_count=vmss["sku"]["capacity"], vm_sku=vmss["sku"]["name"],
            admin_username=profile["osProfile"]["adminUsername"], admin_password=profile["osProfile"]["adminPassword"],
            subnet=subnet_id, upgrade_policy_mode=vmss["properties"]["upgradePolicy"]["mode"],
            orchestration_mode="Uniform", os_disk_caching=os_disk["caching"],
            storage_sku=os_disk["managedDisk"]["storageAccountType"])

    result, error, server = run(interactions, call)
    assert_sequence(server, interactions, error)
    (put,) = [r for r in server.requests if r.method == "PUT"]
    assert put.path == path and put.query == {"api-version": p["api-version"]}
    sent = put.body
    if os_type == "Linux":
        sent = copy.deepcopy(sent)
        sent["properties"]["virtualMachineProfile"]["osProfile"].pop("linuxConfiguration")
    assert vmss_expressible(sent) == vmss_expressible(vmss)
    assert result == {"vmss": cli_shape(example["responses"]["200"]["body"])}
    assert PASSWORD not in json.dumps(result)
