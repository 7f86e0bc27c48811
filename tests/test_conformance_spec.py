"""Conformance against the Azure REST API spec examples (x-ms-examples).

For each example of an operation galleryshare covers, the matching ``az.*`` command is called with arguments
taken from the example's ``parameters``; a replay server answers with the example's response (plus the
long-running-operation headers Azure sends), and the test checks the request the client built (method,
path from the spec's URL template, query, body) and the value it returned (the CLI shape of the response).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

import pytest

import galleryshare as gs
from replay_server import Interaction, ReplayServer, cli_shape, reference_dir, request_view, split_url

# The examples use placeholders ("{subscription-id}", "{subscriptionId}", "{subscription-Id}") where a
# subscription id goes. The client works with the subscription it logged into, so a concrete id stands in
# for all of them, in the parameters and the responses alike.
SUB = "5c2a5f1e-0b7e-4a42-9f8c-1d2e3f405162"
SUB_PLACEHOLDERS = ("{subscription-id}", "{subscriptionId}", "{subscription-Id}")

OP_ID = "0f9a3c52-5d1b-4c8e-9a61-2b7e4d8c1f00"
POLL_URL = f"https://management.azure.com/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westus/capsOperations/{OP_ID}"

# The CLI (and so the client) sends $expand=sharingProfile/Groups, as the README's endpoint table and the
# Azure CLI 2.91 source (`args.expand = 'sharingProfile/Groups'`) have it; the spec example spells the enum
# value "SharingProfile/Groups". ARM reads OData options case-insensitively, so the test checks the CLI
# spelling exactly and the spec's case-insensitively.
CLI_EXPAND_SHARING_GROUPS = "sharingProfile/Groups"


def load_example(name: str) -> Dict[str, Any]:
    text = (reference_dir() / "spec-examples" / f"{name}.json").read_text()
    for placeholder in SUB_PLACEHOLDERS:
        text = text.replace(placeholder, SUB)
    return json.loads(text)


def api_version(params: Dict[str, Any]) -> str:
    # Some upstream examples name the parameter "version" instead of "api-version" (INDEX.md).
    return params.get("api-version") or params["version"]


def rg_path(p: Dict[str, Any]) -> str:
    return f"/subscriptions/{p['subscriptionId']}/resourceGroups/{p['resourceGroupName']}/providers/Microsoft.Compute"


def loc_path(p: Dict[str, Any]) -> str:
    return f"/subscriptions/{p['subscriptionId']}/providers/Microsoft.Compute/locations/{p['location']}"


# -- what the server answers, per kind of operation -----------------------------------------------------------

def lro_headers() -> Dict[str, str]:
    # Retry-After: 0 keeps polling immediate; the value is honoured, so tests stay fast without sleeps.
    return {"Azure-AsyncOperation": f"{POLL_URL}?api-version=2025-03-03", "Retry-After": "0"}


def poll_interactions() -> List[Interaction]:
    """An operation that is still running at the first poll and done at the second, as Azure answers
    (with Retry-After: 0, which the client honours, so the test does not wait)."""
    return [
        Interaction.from_url("GET", f"{POLL_URL}?api-version=2025-03-03", headers={"Retry-After": "0"},
                             response={"startTime": "2025-01-01T00:00:00Z", "status": "InProgress", "name": OP_ID}),
        Interaction.from_url("GET", f"{POLL_URL}?api-version=2025-03-03",
                             response={"startTime": "2025-01-01T00:00:00Z", "endTime": "2025-01-01T00:00:01Z",
                                       "status": "Succeeded", "name": OP_ID}),
    ]


def put_script(path: str, query: Dict[str, str], body: Any, example: Dict[str, Any], status: str) -> "Script":
    """PUT answered with the example's response and the async-operation headers, polled to success, then the
    resource read back (answered with the example's 200 body, the finished resource)."""
    responses = example["responses"]
    final = responses["200"]["body"]
    interactions = [
        Interaction("PUT", path, query, body=body, status=int(status), headers=lro_headers(),
                    response=responses[status].get("body")),
        *poll_interactions(),
        Interaction("GET", path, query, response=final),
    ]
    return Script(interactions, cli_shape(final))


def get_script(path: str, query: Dict[str, str], example: Dict[str, Any]) -> "Script":
    body = example["responses"]["200"]["body"]
    return Script([Interaction("GET", path, query, response=body)], cli_shape(body))


def list_script(path: str, query: Dict[str, str], example: Dict[str, Any]) -> "Script":
    """A page with a nextLink, which the client must follow verbatim (it points back at the server once
    rewritten), then an empty last page."""
    page = example["responses"]["200"]["body"]
    next_path, next_query = split_url(page["nextLink"])
    interactions = [
        Interaction("GET", path, query, response=page),
        Interaction("GET", next_path, next_query, response={"value": []}),
    ]
    return Script(interactions, [cli_shape(item) for item in page["value"]])


@dataclass
class Script:
    interactions: List[Interaction]
    result: Any


@dataclass
class Case:
    example: str
    status: str
    call: Callable[[gs.Az, Dict[str, Any]], Any]
    script: Callable[[Dict[str, Any], Dict[str, Any], str], Script]
    shared_to: Optional[str] = None

    @property
    def id(self) -> str:
        return f"{self.example}-{self.status}" + (f"-sharedTo={self.shared_to}" if self.shared_to else "")


# -- the operations -------------------------------------------------------------------------------------------

def gallery_create(az: gs.Az, p: Dict[str, Any]) -> Any:
    gallery = p["gallery"]
    props = gallery.get("properties", {})
    return az.sig.create(resource_group=p["resourceGroupName"], gallery_name=p["galleryName"],
                         location=gallery["location"], description=props.get("description"),
                         permissions=props.get("sharingProfile", {}).get("permissions"))


def gallery_create_script(p: Dict[str, Any], example: Dict[str, Any], status: str) -> Script:
    return put_script(f"{rg_path(p)}/galleries/{p['galleryName']}", {"api-version": api_version(p)},
                      p["gallery"], example, status)


def gallery_show(az: gs.Az, p: Dict[str, Any]) -> Any:
    return az.sig.show(resource_group=p["resourceGroupName"], gallery_name=p["galleryName"],
                       select=p.get("$select"), sharing_groups="$expand" in p)


def gallery_show_script(p: Dict[str, Any], example: Dict[str, Any], status: str) -> Script:
    query = {"api-version": api_version(p)}
    if "$select" in p:
        query["$select"] = p["$select"]
    if "$expand" in p:
        assert CLI_EXPAND_SHARING_GROUPS.lower() == p["$expand"].lower()
        query["$expand"] = CLI_EXPAND_SHARING_GROUPS
    return get_script(f"{rg_path(p)}/galleries/{p['galleryName']}", query, example)


def gallery_list(az: gs.Az, p: Dict[str, Any]) -> Any:
    return az.sig.list(resource_group=p["resourceGroupName"])


def gallery_list_script(p: Dict[str, Any], example: Dict[str, Any], status: str) -> Script:
    return list_script(f"{rg_path(p)}/galleries", {"api-version": api_version(p)}, example)


def gallery_delete(az: gs.Az, p: Dict[str, Any]) -> Any:
    return az.sig.delete(resource_group=p["resourceGroupName"], gallery_name=p["galleryName"])


def gallery_delete_script(p: Dict[str, Any], example: Dict[str, Any], status: str) -> Script:
    """200/204 end at once; 202 carries the example's Azure-AsyncOperation and Location headers and is polled
    on the former. A DELETE has no final GET; `az sig delete` prints nothing."""
    path, query = f"{rg_path(p)}/galleries/{p['galleryName']}", {"api-version": api_version(p)}
    headers = dict(example["responses"][status].get("headers", {}))
    interactions = [Interaction("DELETE", path, query, status=int(status),
                                headers={**headers, "Retry-After": "0"} if headers else {})]
    if "Azure-AsyncOperation" in headers:
        interactions.append(Interaction.from_url("GET", headers["Azure-AsyncOperation"],
                                                 response={"status": "Succeeded", "name": OP_ID}))
    return Script(interactions, None)


def sharing_ids(update: Dict[str, Any], group_type: str) -> Optional[List[str]]:
    for group in update.get("groups", []):
        if group["type"] == group_type:
            return group["ids"]
    return None


def share_add(az: gs.Az, p: Dict[str, Any]) -> Any:
    update = p["sharingUpdate"]
    return az.sig.share.add(resource_group=p["resourceGroupName"], gallery_name=p["galleryName"],
                            subscription_ids=sharing_ids(update, "Subscriptions"),
                            tenant_ids=sharing_ids(update, "AADTenants"))


def share_reset(az: gs.Az, p: Dict[str, Any]) -> Any:
    return az.sig.share.reset(resource_group=p["resourceGroupName"], gallery_name=p["galleryName"])


def share_script(p: Dict[str, Any], example: Dict[str, Any], status: str) -> Script:
    """200 echoes the update and ends; 202 carries the example's Location header, which is polled until it
    stops answering 202 (here at once, with an empty 200 as Azure's monitor URL gives). `az sig share ...`
    prints {}."""
    response = example["responses"][status]
    path = f"{rg_path(p)}/galleries/{p['galleryName']}/share"
    headers = dict(response.get("headers", {}))
    interactions = [Interaction("POST", path, {"api-version": api_version(p)}, body=p["sharingUpdate"],
                                status=int(status), headers={**headers, "Retry-After": "0"} if headers else {},
                                response=response.get("body"))]
    if "Location" in headers:
        interactions.append(Interaction.from_url("GET", headers["Location"]))
    return Script(interactions, {})


def image_create(az: gs.Az, p: Dict[str, Any]) -> Any:
    image = p["galleryImage"]
    props = image["properties"]
    return az.sig.image_definition.create(
        resource_group=p["resourceGroupName"], gallery_name=p["galleryName"],
        gallery_image_definition=p["galleryImageName"], publisher=props["identifier"]["publisher"],
        offer=props["identifier"]["offer"], sku=props["identifier"]["sku"], os_type=props["osType"],
        os_state=props.get("osState"), hyper_v_generation=props.get("hyperVGeneration"),
        location=image["location"])


def image_create_script(p: Dict[str, Any], example: Dict[str, Any], status: str) -> Script:
    return put_script(f"{rg_path(p)}/galleries/{p['galleryName']}/images/{p['galleryImageName']}",
                      {"api-version": api_version(p)}, p["galleryImage"], example, status)


def target_region_args(regions: List[Dict[str, Any]]) -> List[str]:
    """The CLI's --target-regions form: region[=replica_count][=storage_account_type]."""
    args = []
    for region in regions:
        arg = region["name"]
        if "regionalReplicaCount" in region:
            arg += f"={region['regionalReplicaCount']}"
        if "storageAccountType" in region:
            arg += f"={region['storageAccountType']}"
        args.append(arg)
    return args


def version_create(az: gs.Az, p: Dict[str, Any]) -> Any:
    version = p["galleryImageVersion"]
    props = version["properties"]
    return az.sig.image_version.create(
        resource_group=p["resourceGroupName"], gallery_name=p["galleryName"],
        gallery_image_definition=p["galleryImageName"], gallery_image_version=p["galleryImageVersionName"],
        managed_image=props["storageProfile"]["source"]["id"],
        target_regions=target_region_args(props["publishingProfile"]["targetRegions"]),
        location=version["location"])


def cli_expressible_version_body(version: Dict[str, Any]) -> Dict[str, Any]:
    """The example's body reduced to what the CLI mirror's arguments can say. Dropped, and why: per-region
    `encryption` (disk encryption sets; the mirror has no --target-region-encryption), per-region
    `excludeFromLatest` (the CLI's --target-regions syntax has no such field) and `safetyProfile` (no
    deletion-protection arguments in the mirror). Everything else — location, region names, replica counts,
    storage account types and the source image id — must be sent exactly."""
    props = version["properties"]
    regions = [{k: v for k, v in region.items() if k in ("name", "regionalReplicaCount", "storageAccountType")}
               for region in props["publishingProfile"]["targetRegions"]]
    return {
        "location": version["location"],
        "properties": {
            "publishingProfile": {"targetRegions": regions},
            "storageProfile": {"source": {"id": props["storageProfile"]["source"]["id"]}},
        },
    }


def version_create_script(p: Dict[str, Any], example: Dict[str, Any], status: str) -> Script:
    path = (f"{rg_path(p)}/galleries/{p['galleryName']}/images/{p['galleryImageName']}"
            f"/versions/{p['galleryImageVersionName']}")
    return put_script(path, {"api-version": api_version(p)}, cli_expressible_version_body(p["galleryImageVersion"]),
                      example, status)


def shared_query(p: Dict[str, Any], shared_to: Optional[str]) -> Dict[str, str]:
    query = {"api-version": api_version(p)}
    if shared_to:
        query["sharedTo"] = shared_to
    return query


def shared_list_case(example: str, call: Callable[..., Any], suffix: Callable[[Dict[str, Any]], str],
                     shared_to: Optional[str]) -> Case:
    def script(p: Dict[str, Any], ex: Dict[str, Any], status: str) -> Script:
        return list_script(f"{loc_path(p)}/sharedGalleries{suffix(p)}", shared_query(p, shared_to), ex)

    return Case(example, "200", lambda az, p: call(az, p, shared_to), script, shared_to)


def shared_get_case(example: str, call: Callable[..., Any], suffix: Callable[[Dict[str, Any]], str]) -> Case:
    def script(p: Dict[str, Any], ex: Dict[str, Any], status: str) -> Script:
        return get_script(f"{loc_path(p)}/sharedGalleries{suffix(p)}", {"api-version": api_version(p)}, ex)

    return Case(example, "200", call, script)


def gallery_suffix(p: Dict[str, Any]) -> str:
    return f"/{p['galleryUniqueName']}"


def image_suffix(p: Dict[str, Any]) -> str:
    return f"/{p['galleryUniqueName']}/images/{p['galleryImageName']}"


def version_suffix(p: Dict[str, Any]) -> str:
    return f"{image_suffix(p)}/versions/{p['galleryImageVersionName']}"


def shared_gallery_list(az: gs.Az, p: Dict[str, Any], shared_to: Optional[str]) -> Any:
    return az.sig.list_shared(location=p["location"], shared_to=shared_to)


def shared_image_list(az: gs.Az, p: Dict[str, Any], shared_to: Optional[str]) -> Any:
    return az.sig.image_definition.list_shared(gallery_unique_name=p["galleryUniqueName"], location=p["location"],
                                               shared_to=shared_to)


def shared_version_list(az: gs.Az, p: Dict[str, Any], shared_to: Optional[str]) -> Any:
    return az.sig.image_version.list_shared(gallery_unique_name=p["galleryUniqueName"],
                                            gallery_image_definition=p["galleryImageName"], location=p["location"],
                                            shared_to=shared_to)


def shared_gallery_get(az: gs.Az, p: Dict[str, Any]) -> Any:
    return az.sig.show_shared(gallery_unique_name=p["galleryUniqueName"], location=p["location"])


def shared_image_get(az: gs.Az, p: Dict[str, Any]) -> Any:
    return az.sig.image_definition.show_shared(gallery_unique_name=p["galleryUniqueName"], location=p["location"],
                                               gallery_image_definition=p["galleryImageName"])


def shared_version_get(az: gs.Az, p: Dict[str, Any]) -> Any:
    return az.sig.image_version.show_shared(gallery_unique_name=p["galleryUniqueName"],
                                            gallery_image_definition=p["galleryImageName"],
                                            gallery_image_version=p["galleryImageVersionName"], location=p["location"])


CASES: List[Case] = [
    *(Case("Gallery_Create", s, gallery_create, gallery_create_script) for s in ("200", "201", "202")),
    *(Case("Gallery_Create_WithSharingProfile", s, gallery_create, gallery_create_script)
      for s in ("200", "201", "202")),
    Case("Gallery_Get", "200", gallery_show, gallery_show_script),
    Case("Gallery_Get_WithSelectPermissions", "200", gallery_show, gallery_show_script),
    Case("Gallery_Get_WithExpandSharingProfileGroups", "200", gallery_show, gallery_show_script),
    Case("Gallery_ListByResourceGroup", "200", gallery_list, gallery_list_script),
    *(Case("Gallery_Delete", s, gallery_delete, gallery_delete_script) for s in ("200", "202", "204")),
    *(Case("Gallery_AddToSharingProfile", s, share_add, share_script) for s in ("200", "202")),
    *(Case("Gallery_ResetSharingProfile", s, share_reset, share_script) for s in ("200", "202")),
    *(Case("GalleryImage_Create", s, image_create, image_create_script) for s in ("200", "201", "202")),
    *(Case("GalleryImageVersion_Create", s, version_create, version_create_script) for s in ("200", "201", "202")),
    # The list examples carry no sharedTo; each list is also checked with sharedTo=tenant, the only value.
    *(shared_list_case("SharedGallery_List", shared_gallery_list, lambda p: "", t) for t in (None, "tenant")),
    *(shared_list_case("SharedGalleryImages_List", shared_image_list, lambda p: f"/{p['galleryUniqueName']}/images", t)
      for t in (None, "tenant")),
    *(shared_list_case("SharedGalleryImageVersions_List", shared_version_list,
                       lambda p: f"{image_suffix(p)}/versions", t) for t in (None, "tenant")),
    shared_get_case("SharedGallery_Get", shared_gallery_get, gallery_suffix),
    shared_get_case("SharedGalleryImage_Get", shared_image_get, image_suffix),
    shared_get_case("SharedGalleryImageVersion_Get", shared_version_get, version_suffix),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_spec_example(case: Case) -> None:
    example = load_example(case.example)
    params = example["parameters"]
    assert params["subscriptionId"] == SUB
    script = case.script(params, example, case.status)

    with ReplayServer(script.interactions, subscription=SUB) as server:
        # The example's api-version is passed through the client's configuration, not assumed as a default.
        az = server.login(api_versions={"gallery": api_version(params)})
        error: Optional[BaseException] = None
        try:
            result = case.call(az, params)
        except gs.AzureError as e:  # compare the requests first: their diff says more than the error
            error = e

    sent = [request_view(r.method, r.path, r.query, r.body) for r in server.requests]
    expected = [request_view(i.method, i.path, i.query, i.body) for i in script.interactions]
    assert sent == expected
    assert all(r.bearer for r in server.requests), "every ARM request must carry a Bearer token"
    assert error is None, f"the command raised {error!r}"
    assert result == script.result
    if isinstance(result, dict):
        assert list(result) == sorted(result), "the CLI prints keys sorted"
