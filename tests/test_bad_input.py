"""Bad input across both mirrors, one table: each row is refused with the right exception type, the
message names the parameter, and the emulator's request log proves nothing was sent."""

from __future__ import annotations

import pytest

import galleryshare as gs
from conftest import login_app

SUB = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
G = {"resource_group": "rg", "gallery_name": "gallery"}
I = {**G, "gallery_image_definition": "img"}
V = {**I, "gallery_image_version": "1.0.0"}
DEF = {"publisher": "p", "offer": "o", "sku": "s", "os_type": "Linux"}
GALLERY_ID = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/galleries/g"
IMAGE_ID = f"{GALLERY_ID}/images/i/versions/1.0.0"
VE = TypeError
VAL = gs.ValidationError

# (id, mirror, call, exception, parameter the message must name)
AZ = [
    # ---- wrong types: TypeError naming the parameter --------------------------------------------------
    ("subscription_ids is a str", lambda az: az.sig.share.add(**G, subscription_ids=SUB), VE, "subscription_ids"),
    ("tenant_ids holds an int", lambda az: az.sig.share.add(**G, tenant_ids=[1]), VE, "tenant_ids"),
    ("gallery_name is an int", lambda az: az.sig.create(resource_group="rg", gallery_name=5), VE, "gallery_name"),
    ("no_wait is a str", lambda az: az.sig.create(**G, no_wait="yes"), VE, "no_wait"),
    ("tags is a list", lambda az: az.sig.create(**G, tags=["a"]), VE, "tags"),
    ("tag value is a list", lambda az: az.group.create(name="rg", location="eastus", tags={"a": [1]}), VE, "tags"),
    ("query is an int", lambda az: az.sig.show(**G, query=5), VE, "query"),
    ("timeout is a str", lambda az: az.sig.show(**G, timeout="5"), VE, "timeout"),
    ("timeout is a bool", lambda az: az.sig.show(**G, timeout=True), VE, "timeout"),
    ("timeout is negative", lambda az: az.sig.show(**G, timeout=-1), VAL, "timeout"),
    ("tag name is an int", lambda az: az.group.create(name="rg", location="eastus", tags={1: "a"}), VE, "tags"),
    ("target_regions is a str", lambda az: az.sig.image_version.create(**V, managed_image="m", target_regions="eastus"),
     VE, "target_regions"),
    ("resource_group is a list", lambda az: az.sig.list(resource_group=["rg"]), VE, "resource_group"),
    ("role is an int", lambda az: az.role.assignment.create(role=5, scope=GALLERY_ID, assignee="x"), VE, "role"),
    ("priority is a str", lambda az: az.network.nsg.rule.create(name="r", resource_group="rg", nsg_name="n",
                                                                 priority="high"), VE, "priority"),
    ("address_prefixes is a str", lambda az: az.network.vnet.subnet.create(name="s", resource_group="rg", vnet_name="v",
                                                                           address_prefixes="10.0.0.0/24"),
     VE, "address_prefixes"),
    ("unknown keyword", lambda az: az.sig.create(**G, permission="groups"), VE, "permission"),
    ("missing gallery_name", lambda az: az.sig.show(resource_group="rg"), VE, "gallery_name"),
    ("gallery_name is None", lambda az: az.sig.show(resource_group="rg", gallery_name=None), VE, "gallery_name"),
    ("exclude_from_latest is a str", lambda az: az.sig.image_version.create(**V, managed_image="m",
                                                                             exclude_from_latest="no"),
     VE, "exclude_from_latest"),
    ("replica_count is a float", lambda az: az.sig.image_version.create(**V, managed_image="m", replica_count=1.5),
     VE, "replica_count"),
    ("share wait timeout is a str", lambda az: az.sig.share.wait(**G, timeout="60"), VE, "timeout"),
    ("tenant_ids is a set", lambda az: az.sig.share.add(**G, tenant_ids={SUB}), VE, "tenant_ids"),
    ("replica_count is NaN", lambda az: az.sig.image_version.create(**V, managed_image="m", replica_count=float("nan")),
     VE, "replica_count"),
    ("rest body holds an object", lambda az: az.rest(method="put", url=GALLERY_ID, body={"tags": {"a": object()}}),
     VE, "body"),
    ("login password is an int", lambda az: gs.Az(cloud=az.cloud).login(service_principal=True, username="u",
                                                                         password=31337, tenant=SUB), VE, "password"),
    ("progress is a str", lambda az: gs.Az(cloud=az.cloud, progress="yes"), VE, "progress"),
    ("cloud is an int", lambda az: gs.Az(cloud=5), VE, "cloud"),
    # ---- GUIDs ----------------------------------------------------------------------------------------
    ("subscription GUID one short", lambda az: az.sig.share.add(**G, subscription_ids=[SUB[:-1]]), VAL,
     "subscription_ids"),
    ("tenant GUID in braces", lambda az: az.sig.share.add(**G, tenant_ids=["{" + SUB + "}"]), VAL, "tenant_ids"),
    ("remove: not a GUID", lambda az: az.sig.share.remove(**G, subscription_ids=["not-a-guid"]), VAL,
     "subscription_ids"),
    ("sync: tenant not a GUID", lambda az: az.sig.share.sync(**G, tenant_ids=["contoso.com"]), VAL, "tenant_ids"),
    ("assignee object id not a GUID", lambda az: az.role.assignment.create(role="Reader", scope=GALLERY_ID,
                                                                           assignee_object_id="xyz"),
     VAL, "assignee_object_id"),
    ("login tenant with a slash", lambda az: gs.Az(cloud=az.cloud).login(service_principal=True, username="u",
                                                                          password="p", tenant="a/../b"),
     VAL, "tenant"),
    ("login tenant with a query", lambda az: gs.Az(cloud=az.cloud).login(service_principal=True, username="u",
                                                                          password="p", tenant="t?x=1"),
     VAL, "tenant"),
    # ---- names (Azure's patterns and lengths) and path injection --------------------------------------
    ("gallery a/../b", lambda az: az.sig.show(resource_group="rg", gallery_name="a/../b"), VAL, "gallery_name"),
    ("gallery with a query", lambda az: az.sig.show(resource_group="rg", gallery_name="g?x=1"), VAL, "gallery_name"),
    ("gallery %2F", lambda az: az.sig.show(resource_group="rg", gallery_name="g%2Fx"), VAL, "gallery_name"),
    ("gallery newline", lambda az: az.sig.show(resource_group="rg", gallery_name="gal\nlery"), VAL, "gallery_name"),
    ("gallery unicode", lambda az: az.sig.create(resource_group="rg", gallery_name="gällery"), VAL, "gallery_name"),
    ("gallery empty", lambda az: az.sig.delete(resource_group="rg", gallery_name=""), VAL, "gallery_name"),
    ("gallery two separators", lambda az: az.sig.create(resource_group="rg", gallery_name="a__b"), VAL, "gallery_name"),
    ("image definition starts with hyphen", lambda az: az.sig.image_definition.show(**G, gallery_image_definition="-i"),
     VAL, "gallery_image_definition"),
    ("image definition too long", lambda az: az.sig.image_definition.create(**G, gallery_image_definition="i" * 81,
                                                                            **DEF), VAL, "gallery_image_definition"),
    ("image definition with slash", lambda az: az.sig.image_definition.delete(**G, gallery_image_definition="i/x"),
     VAL, "gallery_image_definition"),
    ("image definition dot-dot", lambda az: az.sig.image_version.list(**G, gallery_image_definition=".."),
     VAL, "gallery_image_definition"),
    ("version four parts", lambda az: az.sig.image_version.show(**I, gallery_image_version="1.0.0.0"), VAL,
     "gallery_image_version"),
    ("version negative", lambda az: az.sig.image_version.delete(**I, gallery_image_version="-1.0.0"), VAL,
     "gallery_image_version"),
    ("version past int32", lambda az: az.sig.image_version.show(**I, gallery_image_version="1.0.2147483648"), VAL,
     "gallery_image_version"),
    ("resource group with query", lambda az: az.sig.list(resource_group="rg?x=1"), VAL, "resource_group"),
    ("resource group with hash", lambda az: az.group.show(name="rg#frag"), VAL, "name"),
    ("resource group too long", lambda az: az.group.create(name="r" * 91, location="eastus"), VAL, "name"),
    ("resource group dot-dot", lambda az: az.sig.show(resource_group="..", gallery_name="g"), VAL, "resource_group"),
    ("resource group %2F", lambda az: az.vm.list(resource_group="rg%2F..%2Fx"), VAL, "resource_group"),
    ("vm name dot-dot", lambda az: az.vm.show(name="..", resource_group="rg"), VAL, "name"),
    ("vm name with slash", lambda az: az.vm.delete(name="vm/x", resource_group="rg"), VAL, "name"),
    ("vm name with query", lambda az: az.vm.show(name="vm?api-version=1", resource_group="rg"), VAL, "name"),
    ("vnet name with backslash", lambda az: az.network.vnet.show(name="v\\x", resource_group="rg"), VAL, "name"),
    ("nic name with newline", lambda az: az.network.nic.show(name="nic\r\nX-Evil: 1", resource_group="rg"), VAL,
     "name"),
    ("nsg name with hash", lambda az: az.network.nsg.delete(name="n#x", resource_group="rg"), VAL, "name"),
    ("subnet's vnet dot", lambda az: az.network.vnet.subnet.create(name="s", resource_group="rg", vnet_name=".",
                                                                   address_prefixes=["10.0.0.0/24"]), VAL, "vnet_name"),
    ("shared gallery unique name dot-dot", lambda az: az.sig.show_shared(gallery_unique_name="..", location="eastus"),
     VAL, "gallery_unique_name"),
    ("community public name with slash", lambda az: az.sig.show_community(public_gallery_name="p/../x",
                                                                          location="eastus"),
     VAL, "public_gallery_name"),
    # ---- resource ids ---------------------------------------------------------------------------------
    ("scope without leading slash", lambda az: az.role.assignment.create(role="Reader", assignee="x",
                                                                         scope=GALLERY_ID[1:]), VAL, "scope"),
    ("scope with a bad subscription", lambda az: az.role.assignment.list(scope="/subscriptions/nope/resourceGroups/rg"),
     VAL, "scope"),
    ("scope with an unknown word", lambda az: az.role.assignment.create(role="Reader", assignee="x",
                                                                        scope=f"/subscriptions/{SUB}/bogus/x"),
     VAL, "scope"),
    ("scope with dot-dot", lambda az: az.role.assignment.create(role="Reader", assignee="x",
                                                                scope=f"{GALLERY_ID}/images/../../../x"), VAL, "scope"),
    ("scope with a query", lambda az: az.role.assignment.list(scope=f"/subscriptions/{SUB}/resourceGroups/rg?x=1"),
     VAL, "scope"),
    ("image: short /SharedGalleries id", lambda az: az.vm.create(name="vm", resource_group="rg",
                                                                 image="/SharedGalleries/u/Images/i"), VAL, "image"),
    ("image: /CommunityGalleries id with dot-dot", lambda az: az.vm.create(
        name="vm", resource_group="rg", image="/CommunityGalleries/p/Images/../Versions/latest"), VAL, "image"),
    ("image: full id, bad subscription", lambda az: az.vm.create(
        name="vm", resource_group="rg", image=IMAGE_ID.replace(SUB, "sub")), VAL, "image"),
    ("image: not an image at all", lambda az: az.vm.create(name="vm", resource_group="rg", image="ubuntu:latest"),
     VAL, "image"),
    ("managed image id malformed", lambda az: az.sig.image_version.create(**V, managed_image="/subscriptions//x"),
     VAL, "managed_image"),
    ("nic subnet id malformed", lambda az: az.network.nic.create(name="n", resource_group="rg", subnet="/bogus/x"),
     VAL, "subnet"),
    ("delete ids malformed", lambda az: az.role.assignment.delete(ids=["not-an-id"]), VAL, "ids"),
    # ---- locations ------------------------------------------------------------------------------------
    ("location with punctuation", lambda az: az.group.create(name="rg", location="east-us!"), VAL, "location"),
    ("location empty", lambda az: az.sig.list_shared(location=""), VAL, "location"),
    ("location path", lambda az: az.sig.show_shared(gallery_unique_name="u", location="eastus/../x"), VAL, "location"),
    ("target region bad location", lambda az: az.sig.image_version.create(**V, managed_image="m",
                                                                          target_regions=["east us!"]),
     VAL, "location"),
    # ---- enums ----------------------------------------------------------------------------------------
    ("os_state unknown", lambda az: az.sig.image_definition.create(**I, **DEF, os_state="Captured"), VAL, "os_state"),
    ("hyper_v_generation unknown", lambda az: az.sig.image_definition.create(**I, **DEF, hyper_v_generation="V3"),
     VAL, "hyper_v_generation"),
    ("select unknown", lambda az: az.sig.show(**G, select="Permissions2"), VAL, "select"),
    ("shared_to unknown", lambda az: az.sig.list_shared(location="eastus", shared_to="all"), VAL, "shared_to"),
    ("principal type unknown", lambda az: az.role.assignment.create(role="Reader", scope=GALLERY_ID,
                                                                    assignee_object_id=SUB,
                                                                    assignee_principal_type="Robot"),
     VAL, "assignee_principal_type"),
    ("nsg rule direction unknown", lambda az: az.network.nsg.rule.create(name="r", resource_group="rg", nsg_name="n",
                                                                         priority=100, direction="Sideways"),
     VAL, "direction"),
    ("nsg rule protocol unknown", lambda az: az.network.nsg.rule.create(name="r", resource_group="rg", nsg_name="n",
                                                                        priority=100, protocol="Http"),
     VAL, "protocol"),
    ("public ip sku unknown", lambda az: az.network.public_ip.create(name="p", resource_group="rg", sku="Premium"),
     VAL, "sku"),
    ("storage account type unknown", lambda az: az.sig.image_version.create(**V, managed_image="m",
                                                                            storage_account_type="Floppy"),
     VAL, "storage_account_type"),
    # ---- list sizes and combinations ------------------------------------------------------------------
    ("share add, both lists empty", lambda az: az.sig.share.add(**G, subscription_ids=[], tenant_ids=[]), VAL,
     "subscription_ids"),
    ("target_regions empty", lambda az: az.sig.image_version.create(**V, managed_image="m", target_regions=[]), VAL,
     "target_regions"),
    ("no image source", lambda az: az.sig.image_version.create(**V), VAL, "managed_image"),
    ("login without password", lambda az: gs.Az(cloud=az.cloud).login(service_principal=True, username="u",
                                                                       tenant=SUB), VAL, "password"),
    ("login SP without tenant", lambda az: gs.Az(cloud=az.cloud).login(service_principal=True, username="u",
                                                                        password="p"), VAL, "tenant"),
]

PS = [
    ("unknown PascalCase parameter", lambda ps: ps.New_AzGallery(ResourceGroupName="rg", Nme="g", Location="eastus"),
     VE, "Nme"),
    ("missing mandatory Name", lambda ps: ps.New_AzGallery(ResourceGroupName="rg", Location="eastus"), VE, "Name"),
    ("Credential is a str", lambda ps: ps.Connect_AzAccount(Credential="secret"), VE, "Credential"),
    ("PSCredential user is an int", lambda ps: gs.PSCredential(5, "x"), VE, "UserName"),
    ("VM is a dict", lambda ps: ps.New_AzVM(ResourceGroupName="rg", Location="eastus", VM={"a": 1}), VE, "VM"),
    ("Tag is a list", lambda ps: ps.New_AzResourceGroup(Name="rg", Location="eastus", Tag=["a"]), VE, "tags"),
    ("Permission unknown", lambda ps: ps.New_AzGallery(ResourceGroupName="rg", Name="g", Location="eastus",
                                                       Permission="bad"), VAL, "Permission"),
    ("Expand unknown", lambda ps: ps.Get_AzGallery(ResourceGroupName="rg", Name="g", Expand="Everything"), VAL,
     "Expand"),
    ("share lists without -Share", lambda ps: ps.Update_AzGallery(ResourceGroupName="rg", Name="g", Subscription=[SUB]),
     VAL, "Share"),
    ("-Reset without -Share", lambda ps: ps.Update_AzGallery(ResourceGroupName="rg", Name="g", Reset=True), VAL,
     "Share"),
    ("-Share with a bad tenant", lambda ps: ps.Update_AzGallery(ResourceGroupName="rg", Name="g", Share=True,
                                                                Tenant=["nope"]), VAL, "Tenant"),
    ("-ServicePrincipal without -Tenant", lambda ps: ps.Connect_AzAccount(ServicePrincipal=True,
                                                                          Credential=gs.PSCredential("a", "b")),
     VAL, "Tenant"),
    ("-GalleryPublicName without -Location", lambda ps: ps.Get_AzGallery(GalleryPublicName="p"), VAL, "Location"),
    ("two principals", lambda ps: ps.New_AzRoleAssignment(ObjectId=SUB, SignInName="a@b.c", RoleDefinitionName="Reader",
                                                          Scope=GALLERY_ID), VAL, "ObjectId"),
    ("two user filters", lambda ps: ps.Get_AzADUser(StartsWith="a", Mail="b@c.d"), VAL, "StartsWith"),
    ("-ResourceName without -ResourceType", lambda ps: ps.New_AzRoleAssignment(
        ObjectId=SUB, RoleDefinitionName="Reader", ResourceGroupName="rg", ResourceName="g"), VAL, "ResourceType"),
    ("OsType unknown", lambda ps: ps.New_AzGalleryImageDefinition(
        ResourceGroupName="rg", GalleryName="g", Name="i", Location="eastus", Publisher="p", Offer="o", Sku="s",
        OsState="Generalized", OsType="Mac"), VAL, "OsType"),
    ("gallery Name path injection", lambda ps: ps.Get_AzGallery(ResourceGroupName="rg", Name="a/../b"), VAL,
     "Name"),
    ("ResourceGroupName with a query", lambda ps: ps.Get_AzGallery(ResourceGroupName="rg?x=1"), VAL, "ResourceGroupName"),
    ("Location with punctuation", lambda ps: ps.Get_AzGallery(Location="east us!"), VAL, "Location"),
    ("ObjectId not a GUID", lambda ps: ps.New_AzRoleAssignment(ObjectId="me", RoleDefinitionName="Reader",
                                                               Scope=GALLERY_ID), VAL, "ObjectId"),
    ("Scope malformed", lambda ps: ps.Get_AzRoleAssignment(Scope="subscriptions"), VAL, "Scope"),
    ("image version name", lambda ps: ps.Get_AzGalleryImageVersion(ResourceGroupName="rg", GalleryName="g",
                                                                    GalleryImageDefinitionName="i", Name="latest!"),
     VAL, "Name"),
]

ROWS = [("az", *r) for r in AZ] + [("pwsh", *r) for r in PS]


def test_the_table_is_large_and_distinct():
    assert len(ROWS) >= 60
    assert len({r[1] for r in ROWS}) == len(ROWS)


@pytest.fixture
def ps(emu):
    app = emu.directory.app("contoso-admin")
    p = gs.Pwsh(cloud=emu.cloud)
    p.Connect_AzAccount(ServicePrincipal=True, Credential=gs.PSCredential(app.client_id, app.secret),
                        Tenant=emu.directory.tenant("contoso").id, Subscription="contoso-prod")
    return p


@pytest.mark.parametrize("mirror,name,call,exc,param", ROWS, ids=[f"{r[0]}: {r[1]}" for r in ROWS])
def test_bad_input_is_refused_before_sending(emu, contoso, ps, mirror, name, call, exc, param):
    emu.clear_requests()
    with pytest.raises(exc) as e:
        call(contoso if mirror == "az" else ps)
    if exc is VAL:
        assert isinstance(e.value, ValueError)
        assert e.value.parameter == param, f"{name}: {e.value.parameter!r} ({e.value})"
        assert str(e.value), "empty message"
        if mirror == "pwsh":  # a cmdlet's error names its own PascalCase parameter
            assert param in str(e.value), f"{name}: {e.value}"
    else:
        assert type(e.value) is TypeError, f"{name}: {type(e.value).__name__}: {e.value}"
        assert param in str(e.value), f"{name}: {e.value}"
    assert emu.requests() == [], f"{name}: a request was sent"


def test_a_wrongly_typed_password_is_not_echoed(emu):
    with pytest.raises(TypeError) as e:
        gs.Az(cloud=emu.cloud).login(service_principal=True, username="u", password=31337, tenant=SUB)
    assert "31337" not in str(e.value)


def test_names_that_would_escape_the_path_are_refused_or_encoded(emu, contoso):
    """A name that reshapes the URL if pasted raw: either refused before sending, or sent encoded as one
    segment (the emulator's log shows the path it received)."""
    contoso.group.create(name="rg", location="eastus")
    attempts = ["..", ".", "a/../../b", "x?api-version=1", "x#y", "%2e%2e", "a\\b", "a b", "ü", "x\r\ny"]
    for name in attempts:
        emu.clear_requests()
        try:
            contoso.network.vnet.show(name=name, resource_group="rg")
        except gs.ValidationError as e:
            assert e.parameter == "name"
            assert emu.requests() == [], name
            continue
        except gs.ResourceNotFoundError:
            pass
        paths = [r["path"] for r in emu.requests()]
        assert len(paths) == 1, (name, paths)
        prefix = f"/subscriptions/{contoso.account.show(query='id')}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/"
        assert paths[0].startswith(prefix), (name, paths)
        assert "/" not in paths[0][len(prefix):], (name, paths)  # the name stayed one (encoded) segment


def test_async_cmdlets_name_the_powershell_parameter_too(emu):
    import asyncio

    app = emu.directory.app("contoso-admin")

    async def run():
        ps = gs.aio.Pwsh(cloud=emu.cloud)
        await ps.Connect_AzAccount(ServicePrincipal=True, Credential=gs.PSCredential(app.client_id, app.secret),
                                   Tenant=emu.directory.tenant("contoso").id, Subscription="contoso-prod")
        emu.clear_requests()
        with pytest.raises(gs.ValidationError) as e:
            await ps.Get_AzGalleryImageDefinition(ResourceGroupName="rg", GalleryName="bad-name!", Name="i")
        return e.value

    err = asyncio.run(run())
    assert err.parameter == "GalleryName" and "'GalleryName'" in str(err)
    assert emu.requests() == []
