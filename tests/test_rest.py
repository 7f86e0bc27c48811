"""`az.rest`: the REST tab of the docs as Python — authenticated for the right tenant, retried, LRO-aware."""

from __future__ import annotations

import pytest

import galleryshare as gs

API = "api-version=2025-03-03"


def test_rest_put_get_post_share_like_the_docs_rest_tab(emu, contoso):
    contoso.group.create(name="rg-rest", location="eastus")
    base = "/subscriptions/{subscriptionId}/resourceGroups/rg-rest/providers/Microsoft.Compute/galleries/restGallery"
    created = contoso.rest(method="PUT", url=f"{base}?{API}",
                           body={"location": "eastus", "properties": {"sharingProfile": {"permissions": "Groups"}}})
    assert created["name"] == "restGallery" and created["properties"]["provisioningState"] == "Succeeded"
    fab = emu.directory.subscription("fabrikam-prod").id
    contoso.rest(method="POST", url=f"{base}/share?{API}",
                 body='{"operationType": "Add", "groups": [{"type": "Subscriptions", "ids": ["%s"]}]}' % fab)
    shown = contoso.rest(url=f"{base}?{API}&$select=Permissions")
    assert shown["properties"]["sharingProfile"]["groups"] == [{"type": "Subscriptions", "ids": [fab]}]
    # The same state through the CLI mirror.
    assert contoso.sig.show(resource_group="rg-rest", gallery_name="restGallery", query="sharingProfile.permissions") \
        == "Groups"
    sub = emu.directory.subscription("contoso-prod").id
    assert any(r["method"] == "POST" and r["path"] == f"/subscriptions/{sub}/resourceGroups/rg-rest/providers/"
               "Microsoft.Compute/galleries/restGallery/share" for r in emu.requests())


def test_rest_graph_and_absolute_urls(emu, contoso):
    users = contoso.rest(url=f"{emu.endpoint}/v1.0/users?$filter=startswith(userPrincipalName,'alinne')")
    assert [u["userPrincipalName"] for u in users["value"]] == ["alinne_montes@contoso.com"]


def test_rest_delete_is_polled_to_the_end(emu, contoso):
    contoso.group.create(name="rg-rest-del", location="eastus")
    contoso.sig.create(resource_group="rg-rest-del", gallery_name="gone")
    emu.set_lro_delay(0.5)
    contoso.rest(method="delete",
                 url=f"/subscriptions/{{subscriptionId}}/resourceGroups/rg-rest-del/providers/Microsoft.Compute/"
                     f"galleries/gone?{API}")
    with pytest.raises(gs.ResourceNotFoundError):
        contoso.sig.show(resource_group="rg-rest-del", gallery_name="gone")


@pytest.mark.parametrize("kwargs, param, message", [
    ({"method": "fetch", "url": "/subscriptions"}, "method", "invalid choice: 'fetch'"),
    ({"url": "subscriptions?api-version=1"}, "url", "not an absolute http(s) URL"),
    ({"url": "https://example.com/x"}, "url", "Can't derive appropriate Azure AD resource"),
    ({"method": "put", "url": "/subscriptions", "body": "{not json"}, "body", "not valid JSON"),
    ({"url": "/subscriptions", "headers": {"Authorization": "Bearer x"}}, "headers", "Authorization"),
    ({"url": "/subscriptions", "headers": {"bad header": "x"}}, "headers", "not a valid header name"),
])
def test_rest_bad_input_sends_nothing(emu, contoso, kwargs, param, message):
    emu.clear_requests()
    with pytest.raises(gs.ValidationError) as e:
        contoso.rest(**kwargs)
    assert message in str(e.value) and e.value.parameter == param
    assert emu.requests() == []


def test_rest_error_status_raises_azure_error(emu, contoso):
    with pytest.raises(gs.ResourceNotFoundError) as e:
        contoso.rest(url=f"/subscriptions/{{subscriptionId}}/resourceGroups/nope/providers/Microsoft.Compute/"
                         f"galleries/none?{API}")
    assert e.value.status_code == 404
