"""No secret or token leaks: a full cross-tenant deployment in both mirrors with DEBUG logging and progress
output captured, then every app secret, user password, VM password and every token the emulator signed
(its key-protected ``/_emulator/issued-tokens``) is searched for in the logs, the reprs and strs of every
object of the flow, the exceptions raised in it, the emulator's request log, and stdout/stderr.

It runs in a child process so DEBUG logging is configured before galleryshare is imported (the Rust logger
caches levels) and so the child's whole stdout/stderr can be searched."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent('''
    import io, json, logging, ssl, urllib.request
    stream = io.StringIO()
    logging.basicConfig(level=logging.DEBUG, stream=stream, format="%(name)s %(levelname)s %(message)s %(args)s")
    import galleryshare as gs

    RG, GALLERY, IMAGE, TARGET_RG = "myGalleryRG", "myGallery", "myImage", "myResourceGroup"
    VM_PASSWORD = "Str0ng!Passw0rd-42"
    texts = {}
    def keep(label, *objs):
        for i, o in enumerate(objs):
            texts[f"{label}#{i}"] = repr(o) + "\\n" + str(o)

    def expect_error(label, fn):
        try:
            fn()
        except gs.AzureError as e:
            keep(label, e, e.args, getattr(e, "error", None))
            return e
        raise AssertionError(f"{label}: no error")

    with gs.emulator.start(lro_delay=0) as emu:
        d = emu.directory
        contoso_t, fabrikam_t = d.tenant("contoso").id, d.tenant("fabrikam").id
        def login(app, tenant):
            a = d.app(app)
            az = gs.Az(cloud=emu.cloud, progress=True)
            keep(f"login {app}", az.login(service_principal=True, username=a.client_id, password=a.secret, tenant=tenant))
            return az
        contoso, fabrikam = login("contoso-admin", contoso_t), login("fabrikam-admin", fabrikam_t)
        contoso.account.set(subscription="contoso-prod")

        # Publisher (tenant A): gallery, definition, version, Reader for the app.
        keep("publish", contoso.group.create(name=RG, location="eastus"),
             contoso.sig.create(resource_group=RG, gallery_name=GALLERY, permissions="groups"))
        image = contoso.sig.image_definition.create(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                                    publisher="contoso", offer="server", sku="2022", os_type="Windows")
        managed = contoso.group.show(name="images", query="id") + "/providers/Microsoft.Compute/images/windows-base"
        poller = contoso.sig.image_version.create(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                                  gallery_image_version="1.0.0", managed_image=managed,
                                                  target_regions=["eastus"], no_wait=True)
        keep("poller", poller, poller.continuation_token(), poller.result(), image)
        gallery_id = contoso.sig.show(resource_group=RG, gallery_name=GALLERY, query="id")
        app = d.app("myGalleryApp")
        keep("rbac", contoso.role.assignment.create(role="Reader", assignee=app.client_id, scope=gallery_id))
        rg = fabrikam.group.create(name=TARGET_RG, location="eastus")
        keep("rbac b", fabrikam.role.assignment.create(role="Contributor", assignee=app.client_id, scope=rg["id"]))
        image_id = image["id"] + "/versions/1.0.0"

        # Failures on the way: a wrong secret, a missing second login (LinkedAuthorizationFailed).
        expect_error("bad secret", lambda: gs.Az(cloud=emu.cloud).login(
            service_principal=True, username=app.client_id, password="wrong-" + app.secret[:5], tenant=contoso_t))
        only_b = login("myGalleryApp", fabrikam_t)
        linked = expect_error("linked", lambda: only_b.vm.create(name="myVM", resource_group=TARGET_RG, image=image_id,
                                                                 admin_password=VM_PASSWORD, subscription="fabrikam-prod"))
        assert linked.error.code == "LinkedAuthorizationFailed", linked

        # The CLI mirror, both logins: the VM PUT carries the auxiliary token.
        az = gs.Az(cloud=emu.cloud, progress=True)
        az.login(service_principal=True, username=app.client_id, password=app.secret, tenant=contoso_t)
        keep("az both", az.login(service_principal=True, username=app.client_id, password=app.secret, tenant=fabrikam_t))
        vm = az.vm.create(name="myVM", resource_group=TARGET_RG, image=image_id, admin_username="azureuser",
                          admin_password=VM_PASSWORD, subscription="fabrikam-prod")
        keep("az vm", az, vm, az.vm.show(name="myVM", resource_group=TARGET_RG, subscription="fabrikam-prod"),
             az.account.list(), az.account.show())

        # The PowerShell mirror, the same deployment.
        ps = gs.Pwsh(cloud=emu.cloud, progress=True)
        cred = gs.PSCredential(app.client_id, app.secret)
        keep("ps login", cred, ps.Connect_AzAccount(ServicePrincipal=True, Credential=cred, Tenant=contoso_t),
             ps.Connect_AzAccount(ServicePrincipal=True, Credential=cred, Tenant=fabrikam_t))
        subnet = ps.New_AzVirtualNetworkSubnetConfig(Name="mySubnet", AddressPrefix="192.168.1.0/24")
        vnet = ps.New_AzVirtualNetwork(ResourceGroupName=TARGET_RG, Location="eastus", Name="psVNET",
                                       AddressPrefix="192.168.0.0/16", Subnet=subnet)
        nic = ps.New_AzNetworkInterface(Name="psNic", ResourceGroupName=TARGET_RG, Location="eastus",
                                        SubnetId=vnet.Subnets[0].Id)
        vm_cred = gs.PSCredential("azureuser", VM_PASSWORD)
        config = (ps.New_AzVMConfig(VMName="psVM", VMSize="Standard_D1_v2")
                  | ps.Set_AzVMOperatingSystem(Windows=True, ComputerName="psVM", Credential=vm_cred)
                  | ps.Set_AzVMSourceImage(Id=image_id) | ps.Add_AzVMNetworkInterface(Id=nic.Id))
        keep("ps vm", ps, vm_cred, config, ps.New_AzVM(ResourceGroupName=TARGET_RG, Location="eastus", VM=config),
             ps.Get_AzContext(), ps.Get_AzVM(ResourceGroupName=TARGET_RG, Name="psVM"))

        # A user login with a password, and a wrong one.
        user = d.user("alinne_montes@contoso.com")
        ua = gs.Az(cloud=emu.cloud)
        keep("user", ua.login(username=user.upn, password=user.password, tenant=contoso_t))
        expect_error("bad password", lambda: gs.Az(cloud=emu.cloud).login(username=user.upn, password=user.password + "x",
                                                                          tenant=contoso_t))
        keep("emulator", emu, d, d.apps, d.users, emu.cloud)

        ctx = ssl.create_default_context(cafile=emu.ca_cert_path)
        req = urllib.request.Request(emu.endpoint + "/_emulator/issued-tokens", headers={"x-emulator-key": emu.control_key})
        tokens = json.loads(urllib.request.urlopen(req, context=ctx).read())["value"]
        served = emu.requests()
        vm_puts = [r for r in served if r["method"] == "PUT" and "/virtualMachines/" in r["path"]]
        secrets = ([a.secret for a in d.apps] + [u.password for u in d.users]
                   + [VM_PASSWORD, emu.control_key, user.password + "x"])
    texts["log"] = stream.getvalue()
    texts["request log"] = json.dumps(served)
    print(json.dumps({"texts": texts, "secrets": secrets, "tokens": tokens,
                      "aux": [r["aux_tokens"] for r in vm_puts]}))
''')


def test_no_secret_or_token_appears_anywhere():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.splitlines()[-1])
    texts = dict(result["texts"], stdout="\n".join(out.stdout.splitlines()[:-1]), stderr=out.stderr)
    tokens, secrets = result["tokens"], result["secrets"]
    # The flow really ran: DEBUG request lines were logged, tokens for both tenants and Graph were issued,
    # and the cross-tenant VM PUTs carried an auxiliary token.
    assert "galleryshare.http DEBUG Request: PUT" in texts["log"]
    assert len(tokens) >= 6 and all(t.count(".") == 2 for t in tokens)
    assert 1 in result["aux"]
    assert len(secrets) >= 5 and all(secrets)
    leaks = [(label, kind) for label, text in texts.items()
             for kind, values in (("secret", secrets), ("token", tokens), ("token signature", [t.split(".")[2] for t in tokens]))
             for v in values if v in text]
    assert leaks == [], leaks
    # JWTs start with a base64url '{"' header, `eyJ`: none in the logs or output, whoever signed it.
    for label in ("log", "request log", "stdout", "stderr"):
        assert "eyJ" not in texts[label], label
