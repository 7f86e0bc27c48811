"""The embedded emulator against the Azure REST API spec examples (x-ms-examples).

For each example, the emulator is put into the state the example assumes, sent the example's request
(method, path, query, body; the emulator's own ids substituted), and its raw ARM answer is compared with the
example's response: the status must be one the example lists, and the body must have the same keys with the
same JSON types (values such as ids, names, timestamps and GUIDs may differ). ``test_conformance_spec.py``
holds the client to the same examples through a replay server; this module holds the emulator to them.

Raw HTTPS (urllib) is used on purpose: the client reshapes responses into CLI output, and the contract here
is ARM's wire format.
"""

from __future__ import annotations

import copy
import json
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Dict, FrozenSet, List, Optional

import pytest

from replay_server import reference_dir

ARM_SCOPE = "https://management.azure.com/.default"
RESOURCES_API = "2024-11-01"
RG = "myResourceGroup"  # the examples' names are valid Azure names, so the state uses them as they are
GALLERY = "myGalleryName"
IMAGE = "myGalleryImageName"
# The shared-version examples name their version "myGalleryImageVersionName", which is not a valid version
# name (Major.Minor.Patch int32s, in Azure as in the emulator), so no such version can exist.
VERSION = "1.0.0"
# The shared examples' "myLocation" is a placeholder; the state replicates versions to West US.
LOCATION = "westus"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
DEFAULT_PAGE_SIZE = 10  # the emulator's default (src/emulator/mod.rs)
# The ComputeRP examples (VM / scale set from a gallery image): their placeholders, made real. The network
# names are those the examples' answers show; the VM name is the example's own.
NETWORK_API = "2024-05-01"
VNET, SUBNET, NIC = "nsgExistingVnet", "nsgExistingSubnet", "nsgExistingNic"
VMSS = "myVmss"  # the example's "{vmss-name}"
ADMIN = "azureuser"  # "{your-username}"
PASSWORD = "Conformance-Passw0rd!"  # "{your-password}": meets Azure's password rules (12+ chars, upper, lower, digit, special)

RG_PATH = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute"
GALLERY_PATH = RG_PATH + "/galleries/{galleryName}"
IMAGE_PATH = GALLERY_PATH + "/images/{galleryImageName}"
LOC_PATH = "/subscriptions/{subscriptionId}/providers/Microsoft.Compute/locations/{location}"
SHARED_PATH = LOC_PATH + "/sharedGalleries/{galleryUniqueName}"
SHARED_IMAGE_PATH = SHARED_PATH + "/images/{galleryImageName}"

# Keys whose value is a free-form map (``additionalProperties: string``): their keys are data, not schema,
# so only the value's type (object) is compared.
MAP_KEYS = frozenset({"tags", "artifactTags"})

# Fields the spec defines for a resource type that some examples omit; the emulator may return them.
# Everything else it returns at the top level or under ``properties`` must appear in the example itself.
RESOURCE_EXTRAS = frozenset({"type", "tags"})  # ARM's common resource envelope
GALLERY_EXTRAS = RESOURCE_EXTRAS | {
    # $select=Permissions examples show only sharingProfile, yet real Azure keeps these (CLI recording
    # test_shared_gallery.yaml, `sig show --select Permissions`).
    "description", "identifier", "provisioningState",
    # Gallery.properties.sharingProfile is returned even for Private galleries (recorded after `share reset`),
    # and sharingStatus (read-only) whenever the gallery is shared.
    "sharingProfile", "sharingStatus",
}
# SharedGalleryImageProperties.eula: the list example's images have none, the Get example's has one (as here).
SHARED_IMAGE_EXTRAS = frozenset({"eula"})
# VirtualMachineProperties.timeCreated and VirtualMachineScaleSetProperties.timeCreated (read-only, "Minimum
# api-version: 2021-11-01"): the 2025-04-01 spec defines them; the examples' answers predate them.
COMPUTE_EXTRAS = RESOURCE_EXTRAS | {"timeCreated"}
ROLE_ASSIGNMENT_EXTRAS = frozenset({
    # RoleAssignmentProperties (Authorization 2022-04-01) fields that ARM returns, null when unset.
    "condition", "conditionVersion", "createdOn", "updatedOn", "createdBy", "updatedBy",
    "delegatedManagedIdentityResourceId", "description",
})


# -- comparing shapes --------------------------------------------------------------------------------------

def json_type(value: Any) -> str:
    if isinstance(value, bool):  # before int: bool is an int in Python, not in JSON
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}[type(value)]


def shape_diff(example: Any, actual: Any, path: str = "", skip: FrozenSet[str] = frozenset()) -> List[str]:
    """Where ``actual`` lacks a key of ``example`` or holds another JSON type; ``[]`` if the shapes agree.

    Objects are walked key by key, arrays through their first element. Paths look like
    ``properties.publishingProfile.targetRegions[].encryption``; those in ``skip`` are not compared.
    """
    if example is None:  # a null in an example says nothing about the type
        return []
    if json_type(example) != json_type(actual):
        return [f"{path or '<body>'}: {json_type(actual)} where the example has {json_type(example)}"]
    diffs: List[str] = []
    if isinstance(example, dict):
        for k, v in example.items():
            sub = f"{path}.{k}" if path else k
            if sub in skip:
                continue
            if k not in actual:
                diffs.append(f"{sub}: missing")
            elif k in MAP_KEYS:
                diffs += shape_diff({}, actual[k], sub)
            else:
                diffs += shape_diff(v, actual[k], sub, skip)
    elif isinstance(example, list) and example:
        if not actual:
            diffs.append(f"{path}: empty where the example has items")
        else:
            diffs += shape_diff(example[0], actual[0], f"{path}[]", skip)
    return diffs


def extra_keys(example: Dict[str, Any], actual: Dict[str, Any], allowed: FrozenSet[str]) -> List[str]:
    """Top-level and ``properties`` keys the emulator returns that neither the example nor ``allowed`` has."""
    out = [k for k in actual if k not in example and k not in allowed]
    props_ex, props_act = example.get("properties"), actual.get("properties")
    if isinstance(props_ex, dict) and isinstance(props_act, dict):
        out += [f"properties.{k}" for k in props_act if k not in props_ex and k not in allowed]
    return out


def resources(body: Any) -> Any:
    """The resource objects to check for extra keys: a list's first item, or the body itself."""
    if isinstance(body, dict) and isinstance(body.get("value"), list):
        return body["value"][0] if body["value"] else None
    return body


# -- talking to the emulator -------------------------------------------------------------------------------

@dataclass
class Reply:
    status: int
    headers: Dict[str, str]
    body: Any


class Arm:
    """Raw ARM calls against the emulator as one of its seeded apps."""

    def __init__(self, emu: Any, app: str, tenant: str):
        self.emu = emu
        self.ssl = ssl.create_default_context(cafile=emu.ca_cert_path)
        a = emu.directory.app(app)
        form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": a.client_id,
                                       "client_secret": a.secret, "scope": ARM_SCOPE}).encode()
        tenant_id = emu.directory.tenant(tenant).id
        reply = self._send("POST", f"{emu.endpoint}/{tenant_id}/oauth2/v2.0/token", form,
                           {"Content-Type": "application/x-www-form-urlencoded"})
        assert reply.status == 200, reply.body
        self.token = reply.body["access_token"]

    def _send(self, method: str, url: str, data: Optional[bytes], headers: Dict[str, str]) -> Reply:
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, context=self.ssl, timeout=10) as resp:
                status, hdrs, raw = resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            status, hdrs, raw = err.code, dict(err.headers), err.read()
        return Reply(status, {k.lower(): v for k, v in hdrs.items()}, json.loads(raw) if raw.strip() else None)

    def call(self, method: str, path: str, query: Dict[str, str], body: Any = None) -> Reply:
        url = f"{self.emu.endpoint}{urllib.parse.quote(path)}?{urllib.parse.urlencode(query)}"
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        return self._send(method, url, data, headers)

    def ok(self, method: str, path: str, body: Any = None, api: str = "2025-03-03") -> Any:
        """A setup call that must succeed (with lro_delay 0 its state is final at once)."""
        reply = self.call(method, path, {"api-version": api}, body)
        assert reply.status < 300, f"setup {method} {path} -> {reply.status}: {reply.body}"
        return reply.body


# -- the state each example assumes ------------------------------------------------------------------------

@dataclass
class World:
    emu: Any
    owner: Arm  # contoso-admin, Owner of contoso-prod
    sub: str  # contoso-prod
    consumer_sub: str  # fabrikam-prod
    consumer_tenant: str

    def param(self, template: str, **kw: str) -> str:
        return template.format(subscriptionId=self.sub, resourceGroupName=RG, **kw)

    def managed_image(self, name: str) -> str:
        return f"/subscriptions/{self.sub}/resourceGroups/images/providers/Microsoft.Compute/images/{name}"

    def unique_name(self, gallery: str = GALLERY) -> str:
        return f"{self.sub}-{gallery.upper()}"

    def resource_group(self) -> None:
        self.owner.ok("PUT", f"/subscriptions/{self.sub}/resourcegroups/{RG}", {"location": LOCATION}, RESOURCES_API)

    def gallery(self, name: str = GALLERY, permissions: str = "Private") -> None:
        body = {"location": "West US", "properties": {"description": "This is the gallery description.",
                                                      "sharingProfile": {"permissions": permissions}}}
        self.owner.ok("PUT", self.param(GALLERY_PATH, galleryName=name), body)

    def share(self, gallery: str = GALLERY) -> None:
        self.owner.ok("POST", self.param(GALLERY_PATH, galleryName=gallery) + "/share", self.sharing_update("Add"))

    def sharing_update(self, operation: str) -> Dict[str, Any]:
        """The examples' Add body with the emulator's ids (the examples' GUIDs name nothing here)."""
        return {"operationType": operation, "groups": [
            {"type": "Subscriptions", "ids": [self.emu.directory.subscription("contoso-dev").id, self.consumer_sub]},
            {"type": "AADTenants", "ids": [self.consumer_tenant]}]}

    def image(self, name: str = IMAGE, gallery: str = GALLERY, extra: Optional[Dict[str, Any]] = None) -> None:
        # The shared-image examples show an eula, so the definition has one.
        body = {"location": "West US", "properties": {
            "osType": "Windows", "osState": "Generalized", "hyperVGeneration": "V1", "eula": "https://www.microsoft.com/en-us/",
            "identifier": {"publisher": "myPublisherName", "offer": "myOfferName", "sku": f"{name}Sku"},
            **(extra or {})}}
        self.owner.ok("PUT", self.param(IMAGE_PATH, galleryName=gallery, galleryImageName=name), body)

    def version(self, name: str = VERSION, image: str = IMAGE, source: str = "windows-base") -> None:
        # The shared-version examples show an endOfLifeDate, so the version has one.
        body = {"location": "West US", "properties": {
            "publishingProfile": {"targetRegions": [{"name": "West US"}], "endOfLifeDate": "2030-03-20T09:12:28Z"},
            "storageProfile": {"source": {"id": self.managed_image(source)}}}}
        path = self.param(IMAGE_PATH, galleryName=GALLERY, galleryImageName=image) + f"/versions/{name}"
        self.owner.ok("PUT", path, body)

    def shared_galleries(self) -> None:
        """Two galleries shared with fabrikam-prod; the first has two images, the first image two versions
        replicated to West US: enough for every shared list to have a second page at page size 1."""
        self.resource_group()
        for g in (GALLERY, GALLERY + "2"):
            self.gallery(g, "Groups")
            self.share(g)
        self.image(IMAGE)
        self.image(IMAGE + "2")
        self.version("1.0.0")
        self.version("1.0.1")


    def community_gallery(self, enable: bool = True) -> None:
        """The community examples' state: contoso-admin's Community gallery (CommunityGallery_Create's own
        body), two images, the first with two versions replicated to West US (enough for a second page at
        page size 1), then EnableCommunity unless ``enable`` is false."""
        self.resource_group()
        self.owner.ok("PUT", self.param(GALLERY_PATH, galleryName=GALLERY),
                      load_example("CommunityGallery_Create")["parameters"]["gallery"])
        # The community image examples show a privacy statement, which the publisher sets on the definition.
        for name in (IMAGE, IMAGE + "2"):
            self.image(name, extra={"privacyStatementUri": "https://test-uri.com"})
        self.version("1.0.0")
        self.version("1.0.1")
        if enable:
            self.enable_community()

    def enable_community(self) -> None:
        self.owner.ok("POST", self.param(GALLERY_PATH, galleryName=GALLERY) + "/share",
                      {"operationType": "EnableCommunity"})

    def public_name(self) -> str:
        """The gallery's public name, as its owner reads it (``{prefix}-{guid}``)."""
        gallery = self.owner.ok("GET", self.param(GALLERY_PATH, galleryName=GALLERY))
        return gallery["properties"]["sharingProfile"]["communityGalleryInfo"]["publicNames"][0]

    # -- the ComputeRP examples (VM / scale set from a gallery image) --

    def consumer(self) -> Arm:
        """fabrikam-admin (Owner of fabrikam-prod), who deploys from a shared or community gallery."""
        return Arm(self.emu, "fabrikam-admin", "fabrikam")

    def linux_image(self) -> None:
        """The examples' image: a Linux definition (their answers show osType Linux and a
        linuxConfiguration) with version 1.0.0 replicated to West US, from the seeded Linux managed image."""
        self.image(extra={"osType": "Linux"})
        self.version(VERSION, source="ubuntu-base")

    def gallery_image_id(self) -> str:
        return self.param(IMAGE_PATH, galleryName=GALLERY, galleryImageName=IMAGE)

    def network(self, arm: Arm, sub: str) -> None:
        """The examples' existing network in ``sub``/myResourceGroup (West US, like the VM): VNet
        nsgExistingVnet with subnet nsgExistingSubnet and NIC nsgExistingNic on it (the answers' names)."""
        arm.ok("PUT", f"/subscriptions/{sub}/resourcegroups/{RG}", {"location": LOCATION}, RESOURCES_API)
        arm.ok("PUT", vm_network_id(sub, "virtualNetworks", VNET), {"location": LOCATION, "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": SUBNET, "properties": {"addressPrefix": "10.0.0.0/24"}}]}}, NETWORK_API)
        arm.ok("PUT", vm_network_id(sub, "networkInterfaces", NIC), {"location": LOCATION, "properties": {
            "ipConfigurations": [{"name": "ipconfig1", "properties": {
                "subnet": {"id": subnet_id(sub)}}}]}}, NETWORK_API)


@dataclass
class Request:
    method: str
    path: str
    query: Dict[str, str]
    body: Any = None


@dataclass
class Case:
    """How to run one example against the emulator."""

    setup: Callable[[World], None]
    path: str  # template over the example's (substituted) parameters
    method: str = "GET"
    body_key: Optional[str] = None  # where the example keeps the request body
    adapt_body: Callable[[World, Any], Any] = lambda w, b: b  # substitutes the emulator's ids, drops what it can't honour
    as_consumer: bool = False  # shared views: call as fabrikam-admin in fabrikam-prod
    repeat_put: bool = False  # the example lists 201 and 200: the first PUT creates, a repeat updates
    paged: bool = False  # the example shows a nextLink: set a page size that leaves a second page
    allowed_extras: FrozenSet[str] = frozenset()
    not_requested: FrozenSet[str] = frozenset()  # example paths describing features the request did not ask for
    params: Callable[[World], Dict[str, str]] = lambda w: {}
    # The ``type`` every returned resource (or list item) must carry, when it has one; a Get example's type must
    # be there. The community views use the singular types of the examples.
    singular_type: Optional[str] = None
    # Dotted paths that must be absent from the reply: write-only fields (a VM's adminPassword).
    write_only: FrozenSet[str] = frozenset()


def no_setup(w: World) -> None:
    w.resource_group()


def with_gallery(permissions: str = "Private") -> Callable[[World], None]:
    def setup(w: World) -> None:
        w.resource_group()
        w.gallery(permissions=permissions)
    return setup


def with_shared_gallery(w: World) -> None:
    w.resource_group()
    w.gallery(permissions="Groups")
    w.share()


def with_two_galleries(w: World) -> None:
    w.resource_group()
    w.gallery()
    w.gallery(GALLERY + "2")


def with_image(w: World) -> None:
    w.resource_group()
    w.gallery()
    w.image()


def version_body(w: World, body: Dict[str, Any]) -> Dict[str, Any]:
    body = copy.deepcopy(body)
    # Disk encryption sets do not exist in the emulator; the regions are replicated unencrypted.
    for region in body["properties"]["publishingProfile"]["targetRegions"]:
        region.pop("encryption", None)
    # The example's source is a placeholder; the seeded managed image stands in (Windows, like the definition).
    body["properties"]["storageProfile"]["source"]["id"] = w.managed_image("windows-base")
    return body


def role_assignment_body(w: World, body: Dict[str, Any]) -> Dict[str, Any]:
    # The example's role (a custom one) and principal do not exist here: Reader, granted to the seeded user.
    return {"properties": {
        "roleDefinitionId": f"/subscriptions/{w.sub}/providers/Microsoft.Authorization/roleDefinitions/{READER}",
        "principalId": w.emu.directory.user("alinne_montes@contoso.com").id,
        "principalType": body["properties"]["principalType"]}}


def shared_params(w: World) -> Dict[str, str]:
    return {"subscriptionId": w.consumer_sub, "location": LOCATION, "galleryUniqueName": w.unique_name(),
            "galleryImageName": IMAGE, "galleryImageVersionName": VERSION}


def vm_network_id(sub: str, kind: str, name: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{RG}/providers/Microsoft.Network/{kind}/{name}"


def subnet_id(sub: str) -> str:
    return vm_network_id(sub, "virtualNetworks", VNET) + f"/subnets/{SUBNET}"


VM_PATH = RG_PATH + "/virtualMachines/{vmName}"
VMSS_PATH = RG_PATH + "/virtualMachineScaleSets/{vmScaleSetName}"


def deployment_body(w: World, body: Dict[str, Any], sub: str, reference: Dict[str, str]) -> Dict[str, Any]:
    """The example's VM / scale set body with its placeholders made real: the subscription deploying (``sub``),
    the existing network there, a user name and a valid password; the image reference points at the state's
    image (the examples' gallery ids name nothing here)."""
    text = json.dumps(body)
    for placeholder, value in {"{subscription-id}": sub, "{existing-nic-name}": NIC,
                               "{existing-virtual-network-name}": VNET, "{existing-subnet-name}": SUBNET,
                               "{vmss-name}": VMSS, "{your-username}": ADMIN, "{your-password}": PASSWORD}.items():
        text = text.replace(placeholder, value)
    body = json.loads(text)
    props = body["properties"]
    storage = (props["virtualMachineProfile"] if "virtualMachineProfile" in props else props)["storageProfile"]
    assert set(storage["imageReference"]) == set(reference), (storage["imageReference"], reference)
    storage["imageReference"] = reference
    left = re.findall(r"\{[a-z-]+\}", json.dumps(body))
    assert not left, f"placeholders {left} left in {body}"
    return body


def setup_network(w: World, consumer: bool) -> None:
    if consumer:
        w.network(w.consumer(), w.consumer_sub)
    else:
        w.network(w.owner, w.sub)


def vm_from_shared_image(w: World) -> None:
    """contoso-prod's gallery shared (direct share) with fabrikam-prod, where fabrikam-admin deploys."""
    w.resource_group()
    w.gallery(permissions="Groups")
    w.share()
    w.linux_image()
    setup_network(w, consumer=True)


def vm_from_community_image(w: World) -> None:
    """contoso-prod's Community gallery with EnableCommunity; fabrikam-admin deploys in fabrikam-prod."""
    w.resource_group()
    w.owner.ok("PUT", w.param(GALLERY_PATH, galleryName=GALLERY),
               load_example("CommunityGallery_Create")["parameters"]["gallery"])
    w.linux_image()
    w.enable_community()
    setup_network(w, consumer=True)


def vm_from_gallery_image(w: World) -> None:
    """A private gallery in contoso-prod; contoso-admin (Owner, so it can read the image) deploys there too."""
    w.resource_group()
    w.gallery()
    w.linux_image()
    setup_network(w, consumer=False)


def vm_case(setup: Callable[[World], None], reference: Callable[[World], Dict[str, str]],
            as_consumer: bool) -> Case:
    def adapt(w: World, body: Any) -> Any:
        return deployment_body(w, body, w.consumer_sub if as_consumer else w.sub, reference(w))
    return Case(
        setup, VM_PATH, "PUT", "parameters", adapt_body=adapt, as_consumer=as_consumer, repeat_put=True,
        allowed_extras=COMPUTE_EXTRAS, write_only=frozenset({"properties.osProfile.adminPassword"}),
        params=(lambda w: {"subscriptionId": w.consumer_sub}) if as_consumer else (lambda w: {}))


ROLE_PATH = "/{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}"

COMMUNITY_PATH = LOC_PATH + "/communityGalleries/{publicGalleryName}"
COMMUNITY_IMAGE_PATH = COMMUNITY_PATH + "/images/{galleryImageName}"
# CommunityGalleryImageProperties.eula and privacyStatementUri: the Get example's image has them, the list
# example's does not; the spec defines both for every community image. ``type`` (PirCommunityGalleryResource)
# is read-only and defined for list items too.
COMMUNITY_ITEM_EXTRAS = frozenset({"type", "eula", "privacyStatementUri"})


def community_params(w: World) -> Dict[str, str]:
    return {"subscriptionId": w.consumer_sub, "location": LOCATION, "publicGalleryName": w.public_name(),
            "galleryImageName": IMAGE, "galleryImageVersionName": VERSION}


def community_case(path: str, singular_type: str, paged: bool = False) -> Case:
    """A consumer call as fabrikam-admin in fabrikam-prod: community galleries need no share and no role."""
    return Case(setup=lambda w: w.community_gallery(), path=path, as_consumer=True, paged=paged,
                params=community_params, allowed_extras=COMMUNITY_ITEM_EXTRAS, singular_type=singular_type)


def shared_case(path: str, paged: bool = False, allowed_extras: FrozenSet[str] = frozenset()) -> Case:
    return Case(setup=lambda w: w.shared_galleries(), path=path, as_consumer=True, paged=paged, params=shared_params,
                allowed_extras=allowed_extras)


CASES: Dict[str, Case] = {
    "Gallery_Create": Case(no_setup, GALLERY_PATH, "PUT", "gallery", repeat_put=True, allowed_extras=GALLERY_EXTRAS),
    "Gallery_Create_WithSharingProfile": Case(no_setup, GALLERY_PATH, "PUT", "gallery", repeat_put=True,
                                              allowed_extras=GALLERY_EXTRAS),
    "Gallery_Get": Case(with_gallery(), GALLERY_PATH, allowed_extras=GALLERY_EXTRAS),
    "Gallery_Get_WithSelectPermissions": Case(with_shared_gallery, GALLERY_PATH, allowed_extras=GALLERY_EXTRAS),
    "Gallery_Get_WithExpandSharingProfileGroups": Case(with_shared_gallery, GALLERY_PATH,
                                                       allowed_extras=GALLERY_EXTRAS),
    "Gallery_ListByResourceGroup": Case(with_two_galleries, RG_PATH + "/galleries", paged=True,
                                        allowed_extras=GALLERY_EXTRAS),
    "Gallery_Delete": Case(with_gallery(), GALLERY_PATH, "DELETE"),
    "Gallery_AddToSharingProfile": Case(with_gallery("Groups"), GALLERY_PATH + "/share", "POST", "sharingUpdate",
                                        adapt_body=lambda w, b: w.sharing_update("Add")),
    "Gallery_ResetSharingProfile": Case(with_shared_gallery, GALLERY_PATH + "/share", "POST", "sharingUpdate"),
    "GalleryImage_Create": Case(with_gallery(), IMAGE_PATH, "PUT", "galleryImage", repeat_put=True,
                                allowed_extras=RESOURCE_EXTRAS),
    "GalleryImageVersion_Create": Case(
        with_image, IMAGE_PATH + "/versions/{galleryImageVersionName}", "PUT", "galleryImageVersion",
        adapt_body=version_body, repeat_put=True, allowed_extras=RESOURCE_EXTRAS,
        not_requested=frozenset({
            # Dropped from the request (no disk encryption sets in the emulator).
            "properties.publishingProfile.targetRegions[].encryption",
            # The example's source image has a data disk; the seeded one has only an OS disk.
            "properties.storageProfile.dataDiskImages",
            # Present only when the image has been flagged for a policy violation.
            "properties.safetyProfile.policyViolations",
        })),
    "SharedGallery_List": shared_case(LOC_PATH + "/sharedGalleries", paged=True),
    "SharedGallery_Get": shared_case(SHARED_PATH),
    "SharedGalleryImages_List": shared_case(SHARED_PATH + "/images", paged=True, allowed_extras=SHARED_IMAGE_EXTRAS),
    "SharedGalleryImage_Get": shared_case(SHARED_IMAGE_PATH),
    "SharedGalleryImageVersions_List": shared_case(SHARED_IMAGE_PATH + "/versions", paged=True),
    "SharedGalleryImageVersion_Get": shared_case(SHARED_IMAGE_PATH + "/versions/{galleryImageVersionName}"),
    "CommunityGallery_Create": Case(
        no_setup, GALLERY_PATH, "PUT", "gallery", repeat_put=True, allowed_extras=GALLERY_EXTRAS,
        # Real Azure does not echo the prefix: the recorded `sig create --permissions community`
        # (test_shared_gallery_community.yaml #1, #3) answers publicNames ("{prefix}-{guid}") and
        # communityGalleryEnabled instead; test_emulator_community_create_answers_as_recorded checks those.
        not_requested=frozenset({"properties.sharingProfile.communityGalleryInfo.publicNamePrefix"})),
    "Gallery_EnableCommunityGallery": Case(lambda w: w.community_gallery(enable=False), GALLERY_PATH + "/share",
                                           "POST", "sharingUpdate"),
    "galleryExamples/CommunityGallery_Get": Case(lambda w: w.community_gallery(), GALLERY_PATH,
                                                 allowed_extras=GALLERY_EXTRAS),
    "CommunityGallery_Get": community_case(COMMUNITY_PATH, "Microsoft.Compute/locations/communityGallery"),
    "CommunityGalleryImage_List": community_case(COMMUNITY_PATH + "/images",
                                                 "Microsoft.Compute/locations/communityGalleryImage", paged=True),
    "CommunityGalleryImage_Get": community_case(COMMUNITY_IMAGE_PATH,
                                                "Microsoft.Compute/locations/communityGalleryImage"),
    "CommunityGalleryImageVersion_List": community_case(
        COMMUNITY_IMAGE_PATH + "/versions", "Microsoft.Compute/locations/communityGalleryImageVersion", paged=True),
    "CommunityGalleryImageVersion_Get": community_case(
        COMMUNITY_IMAGE_PATH + "/versions/{galleryImageVersionName}",
        "Microsoft.Compute/locations/communityGalleryImageVersion"),
    "VirtualMachine_Create_FromASharedGalleryImage": vm_case(
        vm_from_shared_image, as_consumer=True, reference=lambda w: {
            "sharedGalleryImageId": f"/SharedGalleries/{w.unique_name()}/Images/{IMAGE}/Versions/{VERSION}"}),
    "VirtualMachine_Create_FromACommunityGalleryImage": vm_case(
        vm_from_community_image, as_consumer=True, reference=lambda w: {
            "communityGalleryImageId": f"/CommunityGalleries/{w.public_name()}/Images/{IMAGE}/Versions/{VERSION}"}),
    "VirtualMachine_Create_FromAGeneralizedSharedImage": vm_case(
        vm_from_gallery_image, as_consumer=False, reference=lambda w: {"id": w.gallery_image_id()}),
    "VirtualMachineScaleSet_Create_FromAGeneralizedSharedImage": Case(
        vm_from_gallery_image, VMSS_PATH, "PUT", "parameters", repeat_put=True, allowed_extras=COMPUTE_EXTRAS,
        adapt_body=lambda w, b: deployment_body(w, b, w.sub, {"id": w.gallery_image_id()}),
        params=lambda w: {"vmScaleSetName": VMSS},
        write_only=frozenset({"properties.virtualMachineProfile.osProfile.adminPassword"})),
    # The example's scope is a Cosmos DB account, a resource type the emulator does not model; a gallery is
    # the resource scope here.
    "RoleAssignments_CreateForResource": Case(
        with_gallery(), ROLE_PATH, "PUT", "parameters", adapt_body=role_assignment_body, repeat_put=True,
        allowed_extras=ROLE_ASSIGNMENT_EXTRAS,
        params=lambda w: {"scope": w.param(GALLERY_PATH, galleryName=GALLERY).lstrip("/")}),
    "RoleAssignments_CreateForResourceGroup": Case(
        no_setup, ROLE_PATH, "PUT", "parameters", adapt_body=role_assignment_body, repeat_put=True,
        allowed_extras=ROLE_ASSIGNMENT_EXTRAS,
        params=lambda w: {"scope": f"subscriptions/{w.sub}/resourceGroups/{RG}"}),
}


def load_example(name: str) -> Dict[str, Any]:
    return json.loads((reference_dir() / "spec-examples" / f"{name}.json").read_text())


def build_request(w: World, case: Case, example: Dict[str, Any]) -> Request:
    params = dict(example["parameters"])
    params.update(subscriptionId=w.sub, resourceGroupName=RG)
    params.update(case.params(w))
    # Some upstream examples name the api-version parameter "version" (INDEX.md).
    query = {"api-version": params.get("api-version") or params["version"]}
    for option in ("$select", "$expand"):
        if option in params:
            query[option] = params[option]
    body = case.adapt_body(w, params[case.body_key]) if case.body_key else None
    return Request(case.method, case.path.format(**params), query, body)


def check_reply(name: str, case: Case, example: Dict[str, Any], reply: Reply) -> None:
    responses = example["responses"]
    assert str(reply.status) in responses, (
        f"{name}: status {reply.status}, the example lists {sorted(responses)}; body {reply.body}")
    expected = responses[str(reply.status)]
    # Headers the example shows (the LRO ones) must be there too; their values point at the emulator.
    missing_headers = [h for h in expected.get("headers", {}) if h.lower() not in reply.headers]
    assert not missing_headers, f"{name}: headers {missing_headers} missing from {sorted(reply.headers)}"
    if "body" not in expected:
        assert reply.body is None, f"{name}: the example's {reply.status} has no body, the emulator sent {reply.body}"
        return
    diffs = shape_diff(expected["body"], reply.body, skip=case.not_requested)
    ex_res, act_res = resources(expected["body"]), resources(reply.body)
    if isinstance(ex_res, dict) and isinstance(act_res, dict):
        diffs += [f"{k}: not in the example" for k in extra_keys(ex_res, act_res, case.allowed_extras)]
    if isinstance(expected["body"], dict) and isinstance(reply.body, dict) and "value" in expected["body"]:
        diffs += [f"{k}: not in the example" for k in reply.body if k not in expected["body"]]
    if case.singular_type is not None:
        diffs += type_value_diffs(case.singular_type, ex_res, reply.body)
    diffs += [f"{p}: write-only, yet returned" for p in case.write_only if has_path(reply.body, p)]
    assert not diffs, f"{name} ({reply.status}): emulator body differs in shape:\n  " + "\n  ".join(diffs) + \
        f"\nbody: {json.dumps(reply.body, indent=1)}"


def has_path(body: Any, dotted: str) -> bool:
    for part in dotted.split("."):
        if not isinstance(body, dict) or part not in body:
            return False
        body = body[part]
    return True


def type_value_diffs(expected_type: str, example_resource: Any, body: Any) -> List[str]:
    """Where a returned resource's ``type`` is not ``expected_type`` (exact spelling: singular, as the
    examples have it), or is missing though the example's resource has one."""
    items = body["value"] if isinstance(body, dict) and isinstance(body.get("value"), list) else [body]
    required = isinstance(example_resource, dict) and "type" in example_resource
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        if "type" not in item:
            if required:
                out.append(f"[{i}].type: missing")
        elif item["type"] != expected_type:
            out.append(f"[{i}].type: {item['type']!r}, expected {expected_type!r}")
    return out


@pytest.fixture
def world(azure_emulator) -> World:
    emu = azure_emulator
    return World(emu=emu, owner=Arm(emu, "contoso-admin", "contoso"), sub=emu.directory.subscription("contoso-prod").id,
                 consumer_sub=emu.directory.subscription("fabrikam-prod").id,
                 consumer_tenant=emu.directory.tenant("fabrikam").id)


@pytest.mark.parametrize("name", sorted(CASES))
def test_emulator_answers_like_the_spec_example(world: World, name: str) -> None:
    case, example = CASES[name], load_example(name)
    case.setup(world)
    caller = Arm(world.emu, "fabrikam-admin", "fabrikam") if case.as_consumer else world.owner
    request = build_request(world, case, example)
    if case.paged:
        # One item per page, and the state holds two, so the emulator must produce the example's nextLink.
        world.emu.set_page_size(1)
    try:
        reply = caller.call(request.method, request.path, request.query, request.body)
        if case.repeat_put:
            assert reply.status == 201, f"{name}: first PUT answered {reply.status}: {reply.body}"
        check_reply(name, case, example, reply)
        if case.repeat_put:
            again = caller.call(request.method, request.path, request.query, request.body)
            assert again.status == 200, f"{name}: repeated PUT answered {again.status}: {again.body}"
            check_reply(name, case, example, again)
    finally:
        world.emu.set_page_size(DEFAULT_PAGE_SIZE)


def test_shape_diff_reports_missing_keys_wrong_types_and_empty_arrays() -> None:
    # The comparison itself, so a lenient shape_diff cannot make the conformance tests pass vacuously.
    example = {"a": "x", "n": 1, "flag": True, "obj": {"k": "v"}, "arr": [{"id": "1"}], "tags": {"t": "v"}}
    assert shape_diff(example, {"a": "y", "n": 2.5, "flag": False, "obj": {"k": "w"}, "arr": [{"id": "2"}],
                                "tags": {}}) == []
    assert shape_diff(example, {"a": 1, "n": True, "flag": "no", "obj": {}, "arr": [], "tags": []}) == [
        "a: number where the example has string", "n: bool where the example has number",
        "flag: string where the example has bool", "obj.k: missing", "arr: empty where the example has items",
        "tags: array where the example has object"]
    assert shape_diff({"arr": [{"id": "1", "enc": {}}]}, {"arr": [{"id": "1"}]}, skip=frozenset({"arr[].enc"})) == []
    assert extra_keys({"id": "", "properties": {"a": 1}}, {"id": "", "x": 1, "properties": {"a": 1, "b": 2}},
                      frozenset({"x"})) == ["properties.b"]


def test_emulator_community_create_answers_as_recorded(world: World) -> None:
    """What CommunityGallery_Create's shape check leaves out (the prefix), as real Azure answered it in the CLI
    recording (test_shared_gallery_community.yaml #1 and #3): no publicNamePrefix, a publicNames entry
    "{prefix}-{guid}" and communityGalleryEnabled false until EnableCommunity, then true."""
    world.resource_group()
    body = load_example("CommunityGallery_Create")["parameters"]["gallery"]
    path = world.param(GALLERY_PATH, galleryName=GALLERY)
    reply = world.owner.call("PUT", path, {"api-version": "2025-03-03"}, body)
    assert reply.status == 201, reply.body
    for answer in (reply.body, world.owner.ok("GET", path)):
        info = answer["properties"]["sharingProfile"]["communityGalleryInfo"]
        assert "publicNamePrefix" not in info, info
        assert info["communityGalleryEnabled"] is False, info
        [public] = info["publicNames"]
        prefix, _, guid = public.partition("-")
        assert prefix == "PirPublic" and len(guid) == 36, public
    world.enable_community()
    info = world.owner.ok("GET", path)["properties"]["sharingProfile"]["communityGalleryInfo"]
    assert info["communityGalleryEnabled"] is True and info["publicNames"] == [public], info


def test_type_value_diffs_reports_plural_and_missing_types() -> None:
    t = "Microsoft.Compute/locations/communityGallery"
    assert type_value_diffs(t, {"type": t}, {"type": t}) == []
    assert type_value_diffs(t, {"type": t}, {"type": t + "s"}) == [f"[0].type: {t + 's'!r}, expected {t!r}"]
    assert type_value_diffs(t, {"type": t}, {}) == ["[0].type: missing"]
    assert type_value_diffs(t, {}, {"value": [{}, {"type": t.lower()}]}) == [f"[1].type: {t.lower()!r}, expected {t!r}"]


def test_has_path_finds_write_only_fields() -> None:
    # The write-only check itself, so a returned password cannot slip through a broken lookup.
    body = {"properties": {"osProfile": {"adminUsername": "u", "adminPassword": "p"}}}
    assert has_path(body, "properties.osProfile.adminPassword")
    assert not has_path(body, "properties.virtualMachineProfile.osProfile.adminPassword")
    assert not has_path({"properties": {"osProfile": None}}, "properties.osProfile.adminPassword")
