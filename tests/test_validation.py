"""Bad input is refused before any request is sent, with the CLI's wording (the emulator's log proves it)."""

from __future__ import annotations

import pytest

import galleryshare as gs

SUB = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
G = {"resource_group": "rg", "gallery_name": "gallery"}

CASES = [
    ("share add, neither list", lambda az: az.sig.share.add(**G), "subscription_ids",
     "At least one of subscription ids or tenant ids must be provided."),
    ("share remove, neither list", lambda az: az.sig.share.remove(**G, subscription_ids=[], tenant_ids=[]),
     "subscription_ids", "At least one of subscription ids or tenant ids must be provided."),
    ("malformed subscription GUID", lambda az: az.sig.share.add(**G, subscription_ids=[SUB, "1234"]),
     "subscription_ids", "'1234' is not a valid subscription id"),
    ("malformed tenant GUID", lambda az: az.sig.share.add(**G, tenant_ids=["contoso.com"]),
     "tenant_ids", "'contoso.com' is not a valid tenant id"),
    ("gallery name with a hyphen", lambda az: az.sig.create(resource_group="rg", gallery_name="my-gallery"),
     "gallery_name", "'my-gallery' is not a valid gallery name"),
    ("gallery name ending in a period", lambda az: az.sig.show(resource_group="rg", gallery_name="gallery."),
     "gallery_name", "is not a valid gallery name"),
    ("gallery name too long", lambda az: az.sig.share.reset(resource_group="rg", gallery_name="g" * 81),
     "gallery_name", "at most 80 characters"),
    ("unknown permissions", lambda az: az.sig.create(**G, permissions="public"),
     "permissions", "argument --permissions: invalid choice: 'public' (choose from 'Community', 'Groups', 'Private')"),
    ("community without publisher fields", lambda az: az.sig.create(**G, permissions="community", eula="e"),
     "permissions", "If you want to share to the community, you need to fill in all the following parameters: "
                    "--publisher-uri, --publisher-email, --eula, --public-name-prefix."),
    ("unknown shared_to", lambda az: az.sig.list_shared(location="eastus", shared_to="subscription"),
     "shared_to", "invalid choice: 'subscription'"),
    ("bad select", lambda az: az.sig.show(**G, select="groups"), "select", "invalid choice: 'groups'"),
    ("bad version name", lambda az: az.sig.image_version.show(**G, gallery_image_definition="i", gallery_image_version="1.0"),
     "gallery_image_version", "MajorVersion.MinorVersion.Patch"),
    ("bad os type", lambda az: az.sig.image_definition.create(**G, gallery_image_definition="i", publisher="p", offer="o",
                                                              sku="s", os_type="macos"),
     "os_type", "invalid choice: 'macos'"),
    ("two image sources", lambda az: az.sig.image_version.create(**G, gallery_image_definition="i", gallery_image_version="1.0.0",
                                                                 managed_image="a", virtual_machine="/subscriptions/x/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/v"),
     "managed_image", "exactly one of --managed-image"),
    ("bad target region count", lambda az: az.sig.image_version.create(**G, gallery_image_definition="i", gallery_image_version="1.0.0",
                                                                       managed_image="a", target_regions=["westus=lots"]),
     "target_regions", "replica count 'lots'"),
    ("bad resource group", lambda az: az.sig.list(resource_group="rg/../../x"), "resource_group", "is not a valid resource group name"),
    ("bad location", lambda az: az.sig.list_shared(location="east-us!"), "location", "is not a valid Azure location"),
    ("unknown subscription name", lambda az: az.sig.list(subscription="no-such-subscription"), "subscription", "not found"),
]


@pytest.mark.parametrize("name,call,param,message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_before_sending(emu, contoso, name, call, param, message):
    emu.clear_requests()
    with pytest.raises(gs.ValidationError) as e:
        call(contoso)
    assert message in str(e.value)
    assert e.value.parameter == param
    assert isinstance(e.value, ValueError)
    assert emu.requests() == [], f"{name}: a request was sent"


def test_wrong_types_are_type_errors(emu, contoso):
    emu.clear_requests()
    with pytest.raises(TypeError, match="subscription_ids"):
        contoso.sig.share.add(**G, subscription_ids=SUB)  # a string, not a list
    with pytest.raises(TypeError):
        contoso.sig.show(resource_group="rg")  # missing gallery_name
    with pytest.raises(TypeError, match="query"):
        contoso.sig.show(**G, query=5)
    assert emu.requests() == []


def test_bad_query_is_a_validation_error(emu, contoso):
    emu.clear_requests()
    with pytest.raises(gs.ValidationError, match="--query"):
        contoso.sig.list(query="[?")
    assert emu.requests() == []


def test_commands_before_login_say_so(emu):
    with pytest.raises(gs.ClientAuthenticationError, match="az.login"):
        gs.Az(cloud=emu.cloud).sig.list()


def test_wrong_secret_is_an_authentication_error_without_the_secret(emu):
    app = emu.directory.app("contoso-admin")
    bad = "wrong-" + app.secret[:4]
    with pytest.raises(gs.ClientAuthenticationError) as e:
        gs.Az(cloud=emu.cloud).login(service_principal=True, username=app.client_id, password=bad,
                                     tenant=emu.directory.tenant("contoso").id)
    assert "AADSTS7000215" in str(e.value)
    assert bad not in str(e.value) and app.secret not in repr(e.value)
    assert app.secret not in repr(app) and app.secret not in repr(emu.directory)
