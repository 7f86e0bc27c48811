"""The Azure CLI's recording of ``vm create`` from a shared gallery image
(cli-recordings/test_create_vm_with_shared_gallery_image.yaml), and its quota-409 variant.

* The CLI's ``vm create`` goes through an ARM template deployment; the VM resource inside the recorded template
  (interactions 48 and 58) is compared with the VM body galleryshare's ``az.vm.create`` sends for the same
  command line. galleryshare PUTs the VM directly, so its body is captured by a recording HTTPS proxy in front of
  the emulator (the emulator's request log has no bodies).
* The recorded ``sig share add`` and ``sig image-version show-shared`` interactions replay request for request.
* The quota 409 of the variant surfaces as ``gs.ResourceExistsError`` with Azure's code and message intact.
"""

from __future__ import annotations

import copy
import json
import re
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional

import pytest
import trustme
import yaml

import galleryshare as gs
from replay_server import Interaction, ReplayServer, cli_shape, reference_dir, request_view

SUB = "00000000-0000-0000-0000-000000000000"  # the cassette's (sanitized) subscription
RG = "clitest.rg000001"
GALLERY = "gellery000007"
IMAGE = "image000008"
UNIQUE_NAME = "0b1f6471-1bf0-4dda-aec3-cb9272f09590-GELLERYIYETCQAE3"
VERSION = "1.1.2"
LOCATION = "eastus"
# Every command of this cassette used api-version 2021-07-01 for Compute (CLI 2.30).
API_VERSIONS = {"gallery": "2021-07-01", "resources": "2021-04-01"}


@lru_cache(maxsize=None)
def _cassette(name: str) -> List[Dict[str, Any]]:
    return yaml.safe_load((reference_dir() / "cli-recordings" / name).read_text())["interactions"]


def vm_cassette() -> List[Dict[str, Any]]:
    return _cassette("test_create_vm_with_shared_gallery_image.yaml")


def quota_cassette() -> List[Dict[str, Any]]:
    return _cassette("test_create_vm_with_shared_gallery_image__53451c6_quota409.yaml")


def interaction(rec: Dict[str, Any]) -> Interaction:
    """A recorded exchange as the replay server's script (LRO headers kept, Retry-After: 0 for speed)."""
    request, response = rec["request"], rec["response"]
    headers = {name: values[0] for name, values in response["headers"].items()
               if name.lower() in ("azure-asyncoperation", "location")}
    headers["Retry-After"] = "0"
    return Interaction.from_url(
        request["method"], request["uri"],
        body=json.loads(request["body"]) if request["body"] else None,
        status=response["status"]["code"], headers=headers,
        response=response["body"]["string"] or None,
    )


def command(rec: Dict[str, Any]) -> str:
    return rec["request"]["headers"]["CommandName"][0]


def recorded_vm(index: int) -> Dict[str, Any]:
    """The Microsoft.Compute/virtualMachines resource of the template the CLI deployed at ``index``."""
    rec = vm_cassette()[index]
    assert command(rec) == "vm create" and rec["request"]["method"] == "PUT"
    assert "/providers/Microsoft.Resources/deployments/" in rec["request"]["uri"]
    template = json.loads(rec["request"]["body"])["properties"]["template"]
    vms = [r for r in template["resources"] if r["type"] == "Microsoft.Compute/virtualMachines"]
    assert len(vms) == 1
    return vms[0]


# -- a recording proxy in front of the emulator ---------------------------------------------------------------

class RecordingProxy:
    """HTTPS on 127.0.0.1 with its own CA, forwarding every request to the emulator and keeping the bodies."""

    def __init__(self, upstream: str, upstream_ca: str):
        self.upstream = upstream
        self.requests: List[Dict[str, Any]] = []
        self._ca = trustme.CA()
        self._upstream_ctx = ssl.create_default_context(cafile=upstream_ca)
        self._httpd: Optional[ThreadingHTTPServer] = None
        self.base_url = ""

    def __enter__(self) -> "RecordingProxy":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._ca.issue_cert("127.0.0.1").configure_cert(context)
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        httpd.daemon_threads = True
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        self.base_url = f"https://127.0.0.1:{httpd.server_address[1]}"
        threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def cloud(self) -> gs.Cloud:
        return gs.Cloud(name="RecordingProxy", resource_manager=self.base_url, active_directory=self.base_url,
                        microsoft_graph=self.base_url, ca_pem=self._ca.cert_pem.bytes().decode())

    def bodies(self, method: str, path_pattern: str) -> List[Any]:
        return [r["body"] for r in self.requests
                if r["method"] == method and re.search(path_pattern, r["path"], re.IGNORECASE)]

    def _handler(self) -> type:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if self.headers.get("Content-Type", "").startswith("application/json") and raw:
                    body: Any = json.loads(raw)
                else:
                    body = None  # token forms carry a secret: never kept
                proxy.requests.append({"method": self.command, "path": urllib.parse.urlsplit(self.path).path,
                                       "body": body})
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                req = urllib.request.Request(proxy.upstream + self.path, data=raw if raw else None,
                                             headers=headers, method=self.command)
                try:
                    resp = urllib.request.urlopen(req, context=proxy._upstream_ctx)
                    status, out_headers, data = resp.status, resp.headers, resp.read()
                except urllib.error.HTTPError as e:
                    status, out_headers, data = e.code, e.headers, e.read()
                data = data.replace(proxy.upstream.encode(), proxy.base_url.encode())
                self.send_response(status)
                for name, value in out_headers.items():
                    if name.lower() in ("content-length", "transfer-encoding", "connection", "date", "server"):
                        continue
                    self.send_header(name, value.replace(proxy.upstream, proxy.base_url))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _handle

        return Handler


# -- (a) the VM galleryshare sends vs. the VM in the CLI's template ----------------------------------------------

def publish_shared_image(emu, contoso: gs.Az) -> str:
    """The cassette's setup on the emulator: a Groups gallery, a Linux definition, version 1.1.2 from a managed
    image, shared to the subscription that deploys. Returns the /SharedGalleries id of the version."""
    contoso.group.create(name=RG, location=LOCATION)
    contoso.sig.create(resource_group=RG, gallery_name=GALLERY, permissions="Groups")
    contoso.sig.image_definition.create(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                        os_type="Linux", publisher="publisher1", offer="offer1", sku="sku1")
    managed = contoso.group.show(name="images", query="id") + "/providers/Microsoft.Compute/images/ubuntu-base"
    contoso.sig.image_version.create(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                     gallery_image_version=VERSION, managed_image=managed, replica_count=1)
    contoso.sig.share.add(resource_group=RG, gallery_name=GALLERY,
                          subscription_ids=[emu.directory.subscription("contoso-prod").id])
    unique = contoso.sig.show(resource_group=RG, gallery_name=GALLERY, query="identifier.uniqueName")
    return f"/SharedGalleries/{unique}/Images/{IMAGE}/Versions/{VERSION}"


def without_nulls(value: Any) -> Any:
    """The CLI's template writes unset properties as null; ARM treats null as absent."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None and without_nulls(v) != {}}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


@pytest.mark.parametrize("index", [48, 58], ids=["vm-create", "vm-create-os-type"])
def test_vm_body_matches_the_recorded_template(emu, contoso, index):
    recorded = recorded_vm(index)
    props = recorded["properties"]
    recorded_image = props["storageProfile"]["imageReference"]["sharedGalleryImageId"]
    key = props["osProfile"]["linuxConfiguration"]["ssh"]["publicKeys"][0]["keyData"]
    user = props["osProfile"]["adminUsername"]
    image_id = publish_shared_image(emu, contoso)
    # The same image path, with the emulator's gallery unique name in place of the recorded one.
    assert recorded_image.replace(UNIQUE_NAME, "{unique}") == f"/SharedGalleries/{{unique}}/Images/{IMAGE}/Versions/{VERSION}"
    # The recorded names (vm_sgv000004 ...) are the test framework's sanitized stand-ins; the VM name here is
    # the recorded one without the "_", so that the name is also a valid Linux host name (see computerName).
    name = recorded["name"].replace("_", "")

    admin = emu.directory.app("contoso-admin")
    with RecordingProxy(emu.endpoint, emu.ca_cert_path) as proxy:
        az = gs.Az(cloud=proxy.cloud)
        az.login(service_principal=True, username=admin.client_id, password=admin.secret,
                 tenant=emu.directory.tenant("contoso").id)
        az.account.set(subscription="contoso-prod")
        kwargs: Dict[str, Any] = {}
        if index == 58:  # the second recorded command also passed --os-type linux
            kwargs["os_type"] = "Linux"
        out = az.vm.create(name=name, resource_group=RG, image=image_id, location=LOCATION,
                           admin_username=user, ssh_key_values=[key], **kwargs)
        sent = proxy.bodies("PUT", rf"/providers/Microsoft\.Compute/virtualMachines/{name}$")
    assert len(sent) == 1, "exactly one VM PUT"
    assert out["powerState"] == "VM running"
    body = sent[0]

    mine, theirs = body["properties"], without_nulls(props)
    assert body["location"] == recorded["location"] == LOCATION
    assert body.get("tags", {}) == recorded["tags"] == {}
    assert mine["hardwareProfile"] == theirs["hardwareProfile"] == {"vmSize": "Standard_DS1_v2"}
    assert mine["storageProfile"]["imageReference"] == {"sharedGalleryImageId": image_id}
    assert theirs["storageProfile"]["imageReference"] == {"sharedGalleryImageId": recorded_image}

    # osProfile: the same user and the same Linux SSH configuration, key and path included.
    assert mine["osProfile"]["adminUsername"] == theirs["osProfile"]["adminUsername"] == user
    assert mine["osProfile"]["linuxConfiguration"] == theirs["osProfile"]["linuxConfiguration"] == {
        "disablePasswordAuthentication": True,
        "ssh": {"publicKeys": [{"keyData": key, "path": f"/home/{user}/.ssh/authorized_keys"}]},
    }
    assert "adminPassword" not in mine["osProfile"]
    # computerName (intended difference): the CLI derives a host name from the VM name, dropping characters a
    # host name may not have and padding to 15 with random characters (recorded: "vmsgvxy2tkbtv2w"); galleryshare
    # uses the VM name itself. Both are valid Linux host names.
    assert re.fullmatch(r"[a-z0-9]{15}", theirs["osProfile"]["computerName"])
    assert mine["osProfile"]["computerName"] == name

    # storageProfile.osDisk: the same caching and creation from the image. Intended differences: the CLI
    # writes "fromImage" (ARM enums are case-insensitive; the spec spells it "FromImage"), and leaves the
    # storage account type null so that Azure picks the size's default, Premium_LRS for a Standard_DS1_v2,
    # which galleryshare writes out.
    their_disk, my_disk = theirs["storageProfile"]["osDisk"], mine["storageProfile"]["osDisk"]
    assert their_disk == {"caching": "ReadWrite", "createOption": "fromImage"}
    assert my_disk["caching"] == "ReadWrite" and my_disk["createOption"].lower() == "fromimage"
    assert my_disk["createOption"] == "FromImage"
    assert my_disk["managedDisk"] == {"storageAccountType": "Premium_LRS"}
    assert set(my_disk) == {"caching", "createOption", "managedDisk"}

    # networkProfile: one NIC named "<vm>VMNic" in the VM's resource group, made by the command (in the CLI's
    # template as a resource, by galleryshare with a PUT before the VM's). Intended difference: galleryshare
    # marks its only NIC primary; the CLI leaves it unset (null deleteOption), which Azure reads the same for a
    # single NIC.
    def nic_ref(nic_id: str) -> str:
        return re.sub(r"^/subscriptions/[^/]+", "/subscriptions/{sub}", nic_id).lower()

    [their_nic], [my_nic] = theirs["networkProfile"]["networkInterfaces"], mine["networkProfile"]["networkInterfaces"]
    assert nic_ref(their_nic["id"]) == f"/subscriptions/{{sub}}/resourcegroups/{RG}/providers/microsoft.network/networkinterfaces/{recorded['name']}vmnic".lower()
    assert nic_ref(my_nic["id"]) == f"/subscriptions/{{sub}}/resourcegroups/{RG}/providers/microsoft.network/networkinterfaces/{name}vmnic".lower()
    assert my_nic.get("properties", {}) == {"primary": True}
    assert "properties" not in their_nic  # only {"deleteOption": null} was recorded
    # The network the CLI's template creates beside the VM is what galleryshare created before it.
    template = json.loads(vm_cassette()[index]["request"]["body"])["properties"]["template"]
    made = {r["type"] for r in template["resources"]} - {"Microsoft.Compute/virtualMachines"}
    assert made == {"Microsoft.Network/networkSecurityGroups", "Microsoft.Network/publicIPAddresses",
                    "Microsoft.Network/networkInterfaces"}
    assert {f"Microsoft.Network/{kind}" for kind in ("networkSecurityGroups", "publicIPAddresses", "networkInterfaces")} <= {
        "Microsoft.Network/" + r["path"].split("/providers/Microsoft.Network/")[1].split("/")[0]
        for r in proxy.requests if r["method"] == "PUT" and "/providers/Microsoft.Network/" in r["path"]}

    # The emulator accepted it and keeps what was sent.
    shown = contoso.vm.show(resource_group=RG, name=name)
    assert shown["storageProfile"]["imageReference"]["sharedGalleryImageId"] == image_id
    assert shown["osProfile"]["linuxConfiguration"]["ssh"]["publicKeys"] == mine["osProfile"]["linuxConfiguration"]["ssh"]["publicKeys"]


def test_invalid_linux_host_name_is_refused_as_azure_does(emu, contoso):
    """The recorded (sanitized) VM name has a "_", which a Linux host name may not have. Azure refuses such a
    computerName with 400 InvalidParameter, and so does the emulator (sent as given through PowerShell's
    -ComputerName); the CLI mirror, like the CLI, derives a valid host name from the VM name instead."""
    image_id = publish_shared_image(emu, contoso)
    key = recorded_vm(48)["properties"]["osProfile"]["linuxConfiguration"]["ssh"]["publicKeys"][0]["keyData"]
    created = contoso.vm.create(name="vm_sgv000004", resource_group=RG, image=image_id, location=LOCATION,
                                admin_username="clitest1", ssh_key_values=[key])
    assert created["powerState"] == "VM running"
    assert contoso.vm.show(name="vm_sgv000004", resource_group=RG, query="osProfile.computerName") == "vmsgv000004"

    a = emu.directory.app("contoso-admin")
    ps = gs.Pwsh(cloud=emu.cloud)
    ps.Connect_AzAccount(ServicePrincipal=True, Credential=gs.PSCredential(a.client_id, a.secret),
                         Tenant=emu.directory.tenant("contoso").id)
    ps.Set_AzContext(Subscription=emu.directory.subscription("contoso-prod").id)
    nic = contoso.network.nic.show(name="vm_sgv000004VMNic", resource_group=RG, query="id")
    config = (ps.New_AzVMConfig(VMName="vm_sgv000005", VMSize="Standard_DS1_v2")
              | ps.Set_AzVMOperatingSystem(Linux=True, ComputerName="vm_sgv000005",
                                           Credential=gs.PSCredential("clitest1", "Str0ng!Passw0rd-42"))
              | ps.Set_AzVMSourceImage(SharedGalleryImageId=image_id))
    config = ps.Add_AzVMNetworkInterface(VM=config, Id=nic)
    contoso.vm.delete(name="vm_sgv000004", resource_group=RG)
    with pytest.raises(gs.HttpResponseError) as err:
        ps.New_AzVM(ResourceGroupName=RG, Location=LOCATION, VM=config)
    assert err.value.status_code == 400
    assert err.value.error.code == "InvalidParameter"
    assert err.value.error.target == "computerName"
    assert "Linux host name" in err.value.error.message and " _ " in err.value.error.message


# -- (a') the recorded share add and show-shared, request for request -------------------------------------------

def replay(indices: List[int], call) -> Any:
    recs = [vm_cassette()[i] for i in indices]
    script = [interaction(r) for r in recs]
    with ReplayServer(script, subscription=SUB) as server:
        az = server.login(api_versions=API_VERSIONS)
        error: Optional[BaseException] = None
        try:
            result = call(az)
        except gs.AzureError as e:
            error, result = e, None
    sent = [request_view(r.method, r.path, r.query, r.body) for r in server.requests]
    assert sent == [request_view(i.method, i.path, i.query, i.body) for i in script]
    assert all(r.bearer for r in server.requests)
    assert error is None, repr(error)
    return result


def test_recorded_share_add():
    assert {command(vm_cassette()[i]) for i in (41, 42, 43)} == {"sig share add"}
    body = json.loads(vm_cassette()[41]["request"]["body"])
    subs = [g["ids"] for g in body["groups"] if g["type"] == "Subscriptions"][0]
    tenants = [g["ids"] for g in body["groups"] if g["type"] == "AADTenants"][0]
    out = replay([41, 42, 43], lambda az: az.sig.share.add(resource_group=RG, gallery_name=GALLERY,
                                                            subscription_ids=subs, tenant_ids=tenants))
    assert out == {}


def test_recorded_image_version_show_shared():
    assert command(vm_cassette()[44]) == "sig image-version show-shared"
    out = replay([44], lambda az: az.sig.image_version.show_shared(
        gallery_unique_name=UNIQUE_NAME, gallery_image_definition=IMAGE, gallery_image_version=VERSION,
        location=LOCATION))
    assert out == cli_shape(json.loads(vm_cassette()[44]["response"]["body"]["string"]))
    assert out["uniqueId"] == f"/SharedGalleries/{UNIQUE_NAME}/Images/{IMAGE}/Versions/{VERSION}"


def test_emulator_answers_show_shared_as_recorded(emu, contoso):
    """The emulator's answer to the recorded show-shared has the recorded answer's keys, at every level."""
    image_id = publish_shared_image(emu, contoso)
    unique = image_id.split("/")[2]
    mine = contoso.sig.image_version.show_shared(gallery_unique_name=unique, gallery_image_definition=IMAGE,
                                                 gallery_image_version=VERSION, location=LOCATION)
    theirs = cli_shape(json.loads(vm_cassette()[44]["response"]["body"]["string"]))
    assert set(theirs) <= set(mine)
    assert mine["uniqueId"] == image_id and mine["name"] == VERSION and mine["location"] == LOCATION


# -- (b) the quota 409 ------------------------------------------------------------------------------------------

def test_quota_409_surfaces_as_resource_exists_error():
    recs = quota_cassette()
    assert [command(r) for r in recs] == ["sig create", "sig create"]
    recorded_error = json.loads(recs[1]["response"]["body"]["string"])["error"]
    script = [interaction(r) for r in recs]
    with ReplayServer(script, subscription=SUB) as server:
        az = server.login(api_versions=API_VERSIONS)
        with pytest.raises(gs.ResourceExistsError) as err:
            az.sig.create(resource_group=RG, gallery_name=GALLERY, permissions="Groups")
    assert [request_view(r.method, r.path, r.query, r.body) for r in server.requests] == \
        [request_view(i.method, i.path, i.query, i.body) for i in script]
    e = err.value
    assert isinstance(e, gs.HttpResponseError)
    assert e.status_code == 409
    assert e.error.code == "OperationNotAllowed" == recorded_error["code"]
    assert e.error.message == recorded_error["message"]
    assert recorded_error["message"] in str(e)
