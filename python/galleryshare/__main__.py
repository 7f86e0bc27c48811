"""``python -m galleryshare demo``: the docs' RBAC, direct-sharing, cross-tenant and community walkthroughs on the embedded emulator,
each step printed as the Azure CLI command it mirrors, then its result."""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Callable, List, Optional

import galleryshare as gs

RG, GALLERY, IMAGE = "myGalleryRG", "myGallery", "myImageDefinition"


def _show(result: Any, limit: int = 14) -> None:
    if result is None:
        return
    lines = json.dumps(result, indent=2).splitlines()
    for line in lines[:limit]:
        print("    " + line)
    if len(lines) > limit:
        print(f"    … ({len(lines) - limit} more lines)")


def _expect_error(command: str, call: Callable[[], Any]) -> None:
    print(f"\n$ {command}")
    try:
        call()
    except gs.AzureError as e:
        print(f"  {type(e).__name__}: {_wrap_text(str(e))}")
    else:
        raise AssertionError(f"expected an error from: {command}")


def _wrap_text(text: str, width: int = 110) -> str:
    import textwrap

    return "\n    ".join(textwrap.wrap(text, width))


class Demo:
    def __init__(self) -> None:
        self.steps = 0
        self.started = time.perf_counter()

    def section(self, title: str) -> None:
        print(f"\n== {title} ==")

    def step(self, command: str, call: Callable[[], Any], limit: int = 14) -> Any:
        self.steps += 1
        print(f"\n$ {command}")
        t = time.perf_counter()
        result = call()
        if isinstance(result, gs.PSObject):
            print("    " + repr(result).replace("\n", "\n    "))
            result = None
        _show(result, limit)
        print(f"  ({(time.perf_counter() - t) * 1000:.0f} ms)")
        return result


def run_demo() -> int:
    demo = Demo()
    with gs.emulator.start(lro_delay=0.2) as emu:
        d = emu.directory
        contoso_t, fabrikam_t = d.tenant("contoso").id, d.tenant("fabrikam").id
        fab_sub = d.subscription("fabrikam-prod").id
        admin, fab_admin = d.app("contoso-admin"), d.app("fabrikam-admin")
        print(f"Embedded Azure emulator at {emu.endpoint} (tenants: contoso {contoso_t}, fabrikam {fabrikam_t})")

        demo.section("Publisher: contoso-admin creates a gallery with an image in contoso-prod")
        az = gs.Az(cloud=emu.cloud)
        demo.step(f"az login --service-principal -u {admin.client_id} -p *** --tenant {contoso_t}",
                  lambda: az.login(service_principal=True, username=admin.client_id, password=admin.secret,
                                   tenant=contoso_t, query="[].{name:name, id:id, isDefault:isDefault}"))
        demo.step("az account set --subscription contoso-prod", lambda: az.account.set(subscription="contoso-prod"))
        demo.step(f"az group create --name {RG} --location eastus", lambda: az.group.create(name=RG, location="eastus"))
        demo.step(f"az sig create --resource-group {RG} --gallery-name {GALLERY} --permissions groups",
                  lambda: az.sig.create(resource_group=RG, gallery_name=GALLERY, permissions="groups"))
        demo.step(f"az sig image-definition create -g {RG} -r {GALLERY} -i {IMAGE} -p contoso -f ubuntu -s 22_04 --os-type linux",
                  lambda: az.sig.image_definition.create(resource_group=RG, gallery_name=GALLERY,
                                                         gallery_image_definition=IMAGE, publisher="contoso",
                                                         offer="ubuntu", sku="22_04", os_type="linux",
                                                         query="{name:name, osType:osType, identifier:identifier}"))
        managed = az.group.show(name="images", query="id") + "/providers/Microsoft.Compute/images/ubuntu-base"
        demo.step(f"az sig image-version create -g {RG} -r {GALLERY} -i {IMAGE} -e 1.0.0 --managed-image {managed} --target-regions eastus westus",
                  lambda: az.sig.image_version.create(resource_group=RG, gallery_name=GALLERY,
                                                      gallery_image_definition=IMAGE, gallery_image_version="1.0.0",
                                                      managed_image=managed, target_regions=["eastus", "westus"],
                                                      query="{name:name, regions:publishingProfile.targetRegions[].name}"))
        demo.step(f"az sig show -g {RG} -r {GALLERY} --query id",
                  lambda: az.sig.show(resource_group=RG, gallery_name=GALLERY, query="id"))

        demo.section("Share by RBAC: Reader on the gallery for a person (CLI), and for an app (PowerShell)")
        gallery_id = az.sig.show(resource_group=RG, gallery_name=GALLERY, query="id")
        user = d.user("alinne_montes@contoso.com")
        alinne = gs.Az(cloud=emu.cloud)
        demo.step(f"az login -u {user.upn} -p ***",
                  lambda: alinne.login(username=user.upn, password=user.password, query="[].name"))
        _expect_error(f"az sig image-definition list -g {RG} -r {GALLERY}   # before the role assignment",
                      lambda: alinne.sig.image_definition.list(resource_group=RG, gallery_name=GALLERY,
                                                               subscription=d.subscription("contoso-prod").id))
        demo.step(f"az role assignment create --role Reader --assignee {user.upn} --scope {gallery_id}",
                  lambda: az.role.assignment.create(role="Reader", assignee=user.upn, scope=gallery_id,
                                                    query="{principalType:principalType, scope:scope, roleDefinitionId:roleDefinitionId}"))
        alinne.login(username=user.upn, password=user.password)
        demo.step(f"az sig image-definition list -g {RG} -r {GALLERY} --query [].name   # as Alinne, after it",
                  lambda: alinne.sig.image_definition.list(resource_group=RG, gallery_name=GALLERY, query="[].name"))
        _expect_error(f"az sig image-version create -g {RG} -r {GALLERY} -i {IMAGE} -e 2.0.0 …   # Reader cannot write",
                      lambda: alinne.sig.image_version.create(resource_group=RG, gallery_name=GALLERY,
                                                              gallery_image_definition=IMAGE, gallery_image_version="2.0.0",
                                                              managed_image=managed, location="eastus"))
        ps = gs.Pwsh(cloud=emu.cloud)
        ps.Connect_AzAccount(ServicePrincipal=True, Credential=gs.PSCredential(admin.client_id, admin.secret), Tenant=contoso_t)
        app = d.app("myGalleryApp")
        demo.step(f"New-AzRoleAssignment -ApplicationId {app.client_id} -RoleDefinitionName Reader "
                  f"-ResourceName {GALLERY} -ResourceType Microsoft.Compute/galleries -ResourceGroupName {RG}",
                  lambda: ps.New_AzRoleAssignment(ApplicationId=app.client_id, RoleDefinitionName="Reader",
                                                  ResourceName=GALLERY, ResourceType="Microsoft.Compute/galleries",
                                                  ResourceGroupName=RG), limit=20)

        demo.section("Share directly with a subscription in another tenant")
        demo.step(f"az sig share add -g {RG} -r {GALLERY} --subscription-ids {fab_sub}",
                  lambda: az.sig.share.add(resource_group=RG, gallery_name=GALLERY, subscription_ids=[fab_sub]))
        unique = demo.step(f"az sig show -g {RG} -r {GALLERY} --select permissions",
                           lambda: az.sig.show(resource_group=RG, gallery_name=GALLERY, select="permissions",
                                               query="{permissions:sharingProfile.permissions, groups:sharingProfile.groups, uniqueName:identifier.uniqueName}"))["uniqueName"]

        demo.section("Consumer: fabrikam-admin sees the shared gallery from fabrikam-prod")
        consumer = gs.Az(cloud=emu.cloud)
        demo.step(f"az login --service-principal -u {fab_admin.client_id} -p *** --tenant {fabrikam_t}",
                  lambda: consumer.login(service_principal=True, username=fab_admin.client_id, password=fab_admin.secret,
                                         tenant=fabrikam_t, query="[].name"))
        for region in ("eastus", "westus", "northeurope"):
            demo.step(f"az sig list-shared --location {region} --query [].uniqueId",
                      lambda region=region: consumer.sig.list_shared(location=region, query="[].uniqueId"))
        demo.step(f"az sig image-version list-shared --gallery-unique-name {unique} -i {IMAGE} --location westus",
                  lambda: consumer.sig.image_version.list_shared(gallery_unique_name=unique, gallery_image_definition=IMAGE,
                                                                 location="westus", query="[].{name:name, uniqueId:uniqueId}"))

        demo.section("Share with the whole fabrikam tenant (consumers then list with --shared-to tenant)")
        demo.step(f"az sig share add -g {RG} -r {GALLERY} --tenant-ids {fabrikam_t}",
                  lambda: az.sig.share.add(resource_group=RG, gallery_name=GALLERY, tenant_ids=[fabrikam_t]))
        demo.step("az sig list-shared --location eastus --shared-to tenant --query [].name",
                  lambda: consumer.sig.list_shared(location="eastus", shared_to="tenant", query="[].name"))

        demo.section("Across tenants: fabrikam deploys a VM from contoso's image version through myGalleryApp")
        version_id = az.sig.image_version.show(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                              gallery_image_version="1.0.0", query="id")
        target_rg = "myResourceGroup"
        rg_id = demo.step(f"az group create --name {target_rg} --location eastus   # as fabrikam-admin",
                          lambda: consumer.group.create(name=target_rg, location="eastus", query="id"))
        demo.step(f"az role assignment create --role Contributor --assignee {app.client_id} --scope {rg_id}",
                  lambda: consumer.role.assignment.create(role="Contributor", assignee=app.client_id, scope=rg_id,
                                                          query="{principalType:principalType, scope:scope}"))
        only_fabrikam = gs.Az(cloud=emu.cloud)
        only_fabrikam.login(service_principal=True, username=app.client_id, password=app.secret, tenant=fabrikam_t)
        vm_args = dict(resource_group=target_rg, image=version_id, admin_username="azureuser",
                       admin_password="Demo-Passw0rd-" + app.client_id[:8], subscription="fabrikam-prod")
        _expect_error(f"az vm create -g {target_rg} -n myVM --image {version_id} …   # logged in to fabrikam only",
                      lambda: only_fabrikam.vm.create(name="myVM", **vm_args))
        multi = gs.Az(cloud=emu.cloud)
        for tenant in (contoso_t, fabrikam_t):
            demo.step(f"az login --service-principal -u {app.client_id} -p *** --tenant {tenant}",
                      lambda tenant=tenant: multi.login(service_principal=True, username=app.client_id,
                                                        password=app.secret, tenant=tenant, query="[].name"))
        demo.step(f"az vm create -g {target_rg} -n myVMfromImage --image {version_id} --admin-username azureuser "
                  "--admin-password *** --subscription fabrikam-prod",
                  lambda: multi.vm.create(name="myVMfromImage", **vm_args))
        put = [r for r in emu.requests() if r["method"] == "PUT" and r["path"].endswith("/virtualMachines/myVMfromImage")][-1]
        print(f"  (the emulator saw the VM PUT with {put['aux_tokens']} auxiliary token, for tenant {put['aux_tenants']})")

        demo.section("Revoke: reset the sharing profile; the consumer loses sight at once")
        demo.step(f"az sig share reset -g {RG} -r {GALLERY}", lambda: az.sig.share.reset(resource_group=RG, gallery_name=GALLERY))
        demo.step("az sig list-shared --location eastus --shared-to tenant",
                  lambda: consumer.sig.list_shared(location="eastus", shared_to="tenant"))
        demo.step(f"az sig show -g {RG} -r {GALLERY} --query sharingProfile",
                  lambda: az.sig.show(resource_group=RG, gallery_name=GALLERY, query="sharingProfile"))

        demo.section("Community: publish a gallery to every Azure user")
        community = "myCommunityGallery"
        demo.step(f"az sig create -g {RG} -r {community} --permissions community --publisher-uri https://contoso.com "
                  "--publisher-email images@contoso.com --eula https://contoso.com/eula --public-name-prefix contoso",
                  lambda: az.sig.create(resource_group=RG, gallery_name=community, permissions="community",
                                        publisher_uri="https://contoso.com", publisher_email="images@contoso.com",
                                        eula="https://contoso.com/eula", public_name_prefix="contoso",
                                        query="sharingProfile"))
        demo.step(f"az sig share enable-community -g {RG} -r {community}",
                  lambda: az.sig.share.enable_community(resource_group=RG, gallery_name=community))
        public = az.sig.show(resource_group=RG, gallery_name=community,
                             query="sharingProfile.communityGalleryInfo.publicNames[0]")
        demo.step("az sig list-community --location eastus --query [].name   # as fabrikam-admin",
                  lambda: consumer.sig.list_community(location="eastus", query="[].name"))
        demo.step(f"az sig show-community --public-gallery-name {public} --location eastus",
                  lambda: consumer.sig.show_community(public_gallery_name=public, location="eastus",
                                                      query="{uniqueId:uniqueId, eula:communityMetadata.eula}"))

        demo.section("Bad input is refused before anything is sent")
        try:
            az.sig.share.add(resource_group=RG, gallery_name=GALLERY, subscription_ids=["not-a-guid"])
        except gs.ValidationError as e:
            print(f"\n$ az sig share add -g {RG} -r {GALLERY} --subscription-ids not-a-guid\n  ValidationError: {e}")
        demo.section("Beyond the CLI: why can't contoso-dev deploy this image in northeurope?")
        broken = f"/SharedGalleries/{unique}/Images/{IMAGE}/Versions/latest"
        print(f"\n$ az.sig.explain_access(image=\"{broken}\", subscription=\"contoso-dev\", location=\"northeurope\")")
        findings = az.sig.explain_access(image=broken, subscription="contoso-dev", location="northeurope")
        print("    " + repr(findings).replace("\n", "\n    "))
        served = len(emu.requests())
    print(f"\nDone: {demo.steps} commands, {served} HTTPS requests served by the emulator, "
          f"{time.perf_counter() - demo.started:.1f} s.")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["demo"]:
        return run_demo()
    print("usage: python -m galleryshare demo", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
