"""Community galleries: the client against the spec examples and the Azure CLI's own recording.

1. Spec examples (x-ms-examples): for CommunityGallery_Create, Gallery_EnableCommunityGallery, the owner's
   galleryExamples/CommunityGallery_Get and the consumer's CommunityGallery*/Image*/ImageVersion* examples, the
   matching ``az.*`` call is answered by a replay server with the example's response; the test checks the request
   the client built (method, path, query with the example's api-version, semantic body) and the value it returned
   (the CLI shape of the response).
2. The CLI recording ``cli-recordings/test_shared_gallery_community.yaml`` (CLI 2.29): community ``sig create``,
   ``share enable-community``, ``sig show``, ``share reset``, ``sig delete``; each call must send the recorded
   request sequence (LRO polls included, the recorded api-versions set through overrides) and return the CLI
   shape of the recorded final response.
3. ``az sig list-community``, which has no Compute call and no spec example: the Resource Graph request the
   README documents, paged through ``$skipToken``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional

import pytest
import yaml

import galleryshare as gs
from replay_server import Interaction, ReplayServer, cli_shape, reference_dir, request_view
from test_conformance_spec import (SUB, Script, api_version, get_script, list_script, load_example, loc_path,
                                   put_script, rg_path, share_script)


def run(interactions: List[Interaction], call: Callable[[gs.Az], Any], api_versions: Dict[str, str],
        subscription: str = SUB) -> "tuple[Any, ReplayServer]":
    """Runs ``call`` against a replay server scripted with ``interactions``; checks that the client sent exactly
    the scripted requests (semantic bodies), each with a Bearer token, and that it raised nothing."""
    error: Optional[BaseException] = None
    result: Any = None
    with ReplayServer(interactions, subscription=subscription) as server:
        az = server.login(api_versions=api_versions)
        try:
            result = call(az)
        except gs.AzureError as e:  # compare the requests first: their diff says more than the error
            error = e
    sent = [request_view(r.method, r.path, r.query, community_semantic(r.body)) for r in server.requests]
    expected = [request_view(i.method, i.path, i.query, community_semantic(i.body)) for i in interactions]
    assert sent == expected
    assert all(r.bearer for r in server.requests), "every ARM request must carry a Bearer token"
    assert error is None, f"the command raised {error!r}"
    return result, server


def community_semantic(body: Any) -> Any:
    """EnableCommunity: CLI 2.29 (the recording) sent ``"groups": []``; the spec example and the README's
    SharingUpdate shapes send none. An empty group list names nobody, so both mean the same. (The mirror's exact
    body is checked separately, see test_enable_community_sends_the_documented_body.)"""
    if isinstance(body, dict) and body.get("operationType") == "EnableCommunity" and body.get("groups") == []:
        return {k: v for k, v in body.items() if k != "groups"}
    return body


# == 1. spec examples =========================================================================================

def community_create(az: gs.Az, p: Dict[str, Any]) -> Any:
    gallery = p["gallery"]
    props = gallery["properties"]
    info = props["sharingProfile"]["communityGalleryInfo"]
    return az.sig.create(resource_group=p["resourceGroupName"], gallery_name=p["galleryName"],
                         location=gallery["location"], description=props["description"],
                         permissions=props["sharingProfile"]["permissions"], publisher_uri=info["publisherUri"],
                         publisher_email=info["publisherContact"], eula=info["eula"],
                         public_name_prefix=info["publicNamePrefix"])


def community_create_script(p: Dict[str, Any], example: Dict[str, Any], status: str) -> Script:
    return put_script(f"{rg_path(p)}/galleries/{p['galleryName']}", {"api-version": api_version(p)},
                      p["gallery"], example, status)


def enable_community(az: gs.Az, p: Dict[str, Any]) -> Any:
    return az.sig.share.enable_community(resource_group=p["resourceGroupName"], gallery_name=p["galleryName"])


def owner_show(az: gs.Az, p: Dict[str, Any]) -> Any:
    return az.sig.show(resource_group=p["resourceGroupName"], gallery_name=p["galleryName"])


def owner_show_script(p: Dict[str, Any], example: Dict[str, Any], status: str) -> Script:
    return get_script(f"{rg_path(p)}/galleries/{p['galleryName']}", {"api-version": api_version(p)}, example)


def community_base(p: Dict[str, Any]) -> str:
    return f"{loc_path(p)}/communityGalleries/{p['publicGalleryName']}"


def consumer_get_script(suffix: Callable[[Dict[str, Any]], str]) -> Callable[..., Script]:
    def script(p: Dict[str, Any], example: Dict[str, Any], status: str) -> Script:
        return get_script(community_base(p) + suffix(p), {"api-version": api_version(p)}, example)
    return script


def consumer_list_script(suffix: Callable[[Dict[str, Any]], str]) -> Callable[..., Script]:
    def script(p: Dict[str, Any], example: Dict[str, Any], status: str) -> Script:
        return list_script(community_base(p) + suffix(p), {"api-version": api_version(p)}, example)
    return script


def show_community(az: gs.Az, p: Dict[str, Any]) -> Any:
    return az.sig.show_community(public_gallery_name=p["publicGalleryName"], location=p["location"])


def image_list_community(az: gs.Az, p: Dict[str, Any]) -> Any:
    return az.sig.image_definition.list_community(public_gallery_name=p["publicGalleryName"], location=p["location"])


def image_show_community(az: gs.Az, p: Dict[str, Any]) -> Any:
    return az.sig.image_definition.show_community(public_gallery_name=p["publicGalleryName"], location=p["location"],
                                                  gallery_image_definition=p["galleryImageName"])


def version_list_community(az: gs.Az, p: Dict[str, Any]) -> Any:
    return az.sig.image_version.list_community(public_gallery_name=p["publicGalleryName"],
                                               gallery_image_definition=p["galleryImageName"], location=p["location"])


def version_show_community(az: gs.Az, p: Dict[str, Any]) -> Any:
    return az.sig.image_version.show_community(public_gallery_name=p["publicGalleryName"],
                                               gallery_image_definition=p["galleryImageName"],
                                               gallery_image_version=p["galleryImageVersionName"],
                                               location=p["location"])


def images(p: Dict[str, Any]) -> str:
    return "/images"


def image(p: Dict[str, Any]) -> str:
    return f"/images/{p['galleryImageName']}"


def versions(p: Dict[str, Any]) -> str:
    return f"{image(p)}/versions"


def version(p: Dict[str, Any]) -> str:
    return f"{versions(p)}/{p['galleryImageVersionName']}"


@dataclass
class Case:
    example: str
    status: str
    call: Callable[[gs.Az, Dict[str, Any]], Any]
    script: Callable[[Dict[str, Any], Dict[str, Any], str], Script]

    @property
    def id(self) -> str:
        return f"{self.example}-{self.status}"


CASES: List[Case] = [
    *(Case("CommunityGallery_Create", s, community_create, community_create_script) for s in ("201", "200", "202")),
    # 200 echoes the update and ends; 202 carries only a Location (the /share URL), polled until it stops
    # answering 202. `az sig share enable-community` prints {} (the README: `az sig share add` prints {}).
    *(Case("Gallery_EnableCommunityGallery", s, enable_community, share_script) for s in ("200", "202")),
    Case("galleryExamples/CommunityGallery_Get", "200", owner_show, owner_show_script),
    Case("CommunityGallery_Get", "200", show_community, consumer_get_script(lambda p: "")),
    Case("CommunityGalleryImage_List", "200", image_list_community, consumer_list_script(images)),
    Case("CommunityGalleryImage_Get", "200", image_show_community, consumer_get_script(image)),
    Case("CommunityGalleryImageVersion_List", "200", version_list_community, consumer_list_script(versions)),
    Case("CommunityGalleryImageVersion_Get", "200", version_show_community, consumer_get_script(version)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_spec_example(case: Case) -> None:
    example = load_example(case.example)
    params = example["parameters"]
    assert params["subscriptionId"] == SUB
    script = case.script(params, example, case.status)
    # The example's api-version is passed through the client's configuration, not assumed as a default.
    result, _ = run(script.interactions, lambda az: case.call(az, params), {"gallery": api_version(params)})
    assert result == script.result
    if isinstance(result, dict):
        assert list(result) == sorted(result), "the CLI prints keys sorted"
    elif isinstance(result, list):
        assert all(list(item) == sorted(item) for item in result), "the CLI prints keys sorted"


def test_per_command_api_version_override_wins_over_the_family() -> None:
    """CommunityGalleryImage_List is the one example on 2024-03-03; set for that command alone, the family
    default (here another version) must not leak into its request."""
    example = load_example("CommunityGalleryImage_List")
    params = example["parameters"]
    script = consumer_list_script(images)(params, example, "200")
    result, _ = run(script.interactions, lambda az: image_list_community(az, params),
                    {"gallery": "2025-03-03", "sig.image_definition.list_community": "2024-03-03"})
    assert result == script.result


def test_enable_community_sends_the_documented_body() -> None:
    """The exact body, not the semantic one: ``{"operationType": "EnableCommunity"}`` (spec example, README)."""
    example = load_example("Gallery_EnableCommunityGallery")
    params = example["parameters"]
    script = share_script(params, example, "200")
    _, server = run(script.interactions, lambda az: enable_community(az, params), {"gallery": api_version(params)})
    assert [r.body for r in server.requests] == [{"operationType": "EnableCommunity"}]


def test_community_consumer_output_is_cli_shaped() -> None:
    """The CLI shape of CommunityGallery_Get written out by hand (not through cli_shape), so the shared oracle is
    pinned down too: properties flattened, identifier.uniqueId lifted to uniqueId, no resourceGroup (no id)."""
    example = load_example("CommunityGallery_Get")
    params = example["parameters"]
    script = consumer_get_script(lambda p: "")(params, example, "200")
    result, _ = run(script.interactions, lambda az: show_community(az, params), {"gallery": api_version(params)})
    assert result == {
        "artifactTags": {"ShareTag-CommunityGallery": "CommunityGallery"},
        "communityMetadata": {"eula": "https://test-uri.com", "privacyStatementUri": "https://test-uri.com",
                              "publicNames": ["prefix-xxxxx"], "publisherContact": "sameple@email.com",
                              "publisherUri": "https://test-uri.com"},
        "disclaimer": "https://test-uri.com",
        "location": "myLocation",
        "name": "publicGalleryName",
        "type": "Microsoft.Compute/locations/communityGallery",
        "uniqueId": "/CommunityGalleries/publicGalleryName",
    }


def test_community_create_needs_all_four_publisher_fields_before_any_request() -> None:
    """The CLI's message, and nothing sent (the replay server expects no interaction at all)."""
    example = load_example("CommunityGallery_Create")
    params = dict(example["parameters"])
    with ReplayServer([], subscription=SUB) as server:
        az = server.login(api_versions={"gallery": api_version(params)})
        with pytest.raises(gs.AzureError) as err:
            az.sig.create(resource_group=params["resourceGroupName"], gallery_name=params["galleryName"],
                          location="westus", permissions="Community", publisher_uri="uri",
                          publisher_email="pir@microsoft.com", eula="eula")
    assert "If you want to share to the community, you need to fill in all the following parameters: " \
           "--publisher-uri, --publisher-email, --eula, --public-name-prefix." in str(err.value)
    assert server.requests == []


# == 2. the CLI recording ====================================================================================

CASSETTE_SUB = "00000000-0000-0000-0000-000000000000"  # sanitized
RG = "clitest.rg000001"
GALLERY = "gellery000002"
# The api-versions CLI 2.29 used in the recording.
CASSETTE_API_VERSIONS = {"gallery": "2021-07-01", "resources": "2021-04-01"}


@lru_cache(maxsize=None)
def _cassette() -> List[Dict[str, Any]]:
    path = reference_dir() / "cli-recordings" / "test_shared_gallery_community.yaml"
    return yaml.safe_load(path.read_text())["interactions"]


def recorded_interaction(index: int) -> Interaction:
    """A recorded exchange as the replay server's script. Of the response headers only those that steer the
    client are kept (the LRO URLs), plus Retry-After: 0 so replays do not wait as Azure's polls did."""
    rec = _cassette()[index]
    request, response = rec["request"], rec["response"]
    headers = {name: values[0] for name, values in response["headers"].items()
               if name.lower() in ("azure-asyncoperation", "location")}
    headers["Retry-After"] = "0"
    return Interaction.from_url(request["method"], request["uri"],
                                body=json.loads(request["body"]) if request["body"] else None,
                                status=response["status"]["code"], headers=headers,
                                response=response["body"]["string"] or None)


def recorded_command(index: int) -> str:
    return _cassette()[index]["request"]["headers"]["CommandName"][0]


def recorded_shape(index: int) -> Any:
    return cli_shape(json.loads(_cassette()[index]["response"]["body"]["string"]))


@dataclass
class Step:
    name: str
    command: str  # the recorded CommandName, checked so the indices stay honest
    indices: List[int]
    call: Callable[[gs.Az], Any]
    result: Callable[[], Any]


STEPS: List[Step] = [
    # No location: the CLI (and the mirror) read the resource group's first (#0). `--permissions community` in
    # the CLI's lower case; the body must carry the canonical "Community".
    Step("sig-create-community", "sig create", [0, 1, 2, 3],
         lambda az: az.sig.create(resource_group=RG, gallery_name=GALLERY, permissions="community",
                                  publisher_uri="puburi", publisher_email="abc@123.com", eula="eula",
                                  public_name_prefix="pubname"),
         lambda: recorded_shape(3)),
    # 202 with Azure-AsyncOperation and Location: poll the former (#5), then, a POST, fetch the latter (#6,
    # ?monitor=true, an empty 200). The recorded body's "groups": [] is compared by meaning (community_semantic).
    Step("sig-share-enable-community", "sig share enable-community", [4, 5, 6],
         lambda az: az.sig.share.enable_community(resource_group=RG, gallery_name=GALLERY),
         lambda: {}),
    Step("sig-show-after-enable", "sig show", [7],
         lambda az: az.sig.show(resource_group=RG, gallery_name=GALLERY),
         lambda: recorded_shape(7)),
    Step("sig-share-reset", "sig share reset", [8, 9, 10],
         lambda az: az.sig.share.reset(resource_group=RG, gallery_name=GALLERY),
         lambda: {}),
    # A DELETE has no final GET: the async operation's success ends it; `az sig delete` prints nothing.
    Step("sig-delete", "sig delete", [11, 12],
         lambda az: az.sig.delete(resource_group=RG, gallery_name=GALLERY),
         lambda: None),
]


def replay(steps: List[Step]) -> None:
    for step in steps:
        commands = {recorded_command(i) for i in step.indices}
        assert commands == {step.command}, f"{step.name}: cassette indices cover {commands}"
    script = [recorded_interaction(i) for step in steps for i in step.indices]

    def calls(az: gs.Az) -> List[Any]:
        assert az.account.show()["id"] == CASSETTE_SUB, "the cassette's subscription must be the current one"
        return [step.call(az) for step in steps]

    results, _ = run(script, calls, CASSETTE_API_VERSIONS, subscription=CASSETTE_SUB)
    assert results == [step.result() for step in steps]


def test_cassette_covers_every_interaction() -> None:
    """The steps account for all 13 recorded interactions, in order."""
    assert [i for step in STEPS for i in step.indices] == list(range(len(_cassette())))


@pytest.mark.parametrize("step", STEPS, ids=[s.name for s in STEPS])
def test_recorded_command(step: Step) -> None:
    replay([step])


def test_recorded_community_flow_in_one_session() -> None:
    replay(STEPS)


def test_recorded_create_result_exposes_the_public_name() -> None:
    """What a publisher reads off `sig create`: the public name (from publicNames) and the flag still false;
    the prefix itself is write-only, as recorded."""
    result, _ = run([recorded_interaction(i) for i in (0, 1, 2, 3)], STEPS[0].call, CASSETTE_API_VERSIONS,
                    subscription=CASSETTE_SUB)
    info = result["sharingProfile"]["communityGalleryInfo"]
    assert info["publicNames"] == ["pubname-60b2342a-166d-4f07-8bf4-306a002048e6"]
    assert info["communityGalleryEnabled"] is False
    assert "publicNamePrefix" not in info
    assert result["resourceGroup"] == RG
    assert result["provisioningState"] == "Succeeded"


# == 3. list-community through Resource Graph =================================================================

GRAPH_PATH = "/providers/Microsoft.ResourceGraph/resources"
GRAPH_QUERY = "communitygalleryresources | where type == 'microsoft.compute/locations/communitygalleries'"


def graph_row(public: str, location: str) -> Dict[str, Any]:
    return {"id": f"/subscriptions/{SUB}/providers/Microsoft.Compute/locations/{location}/communityGalleries/{public}",
            "name": public, "type": "microsoft.compute/locations/communitygalleries", "location": location,
            "identifier": {"uniqueId": f"/CommunityGalleries/{public}"},
            "properties": {"communityMetadata": {"publisherUri": "https://contoso.com",
                                                 "publisherContact": "images@contoso.com",
                                                 "eula": "https://contoso.com/eula", "publicNames": [public]},
                           "artifactTags": {}}}


def graph_page(rows: List[Dict[str, Any]], total: int, skip_token: Optional[str]) -> Dict[str, Any]:
    page: Dict[str, Any] = {"totalRecords": total, "count": len(rows), "data": rows, "facets": [],
                            "resultTruncated": "false"}
    if skip_token:
        page["$skipToken"] = skip_token
    return page


def test_list_community_pages_through_resource_graph() -> None:
    first, second = graph_row("contoso-1", "eastus"), graph_row("contoso-2", "westus")
    query = {"api-version": "2021-03-01"}
    script = [
        Interaction("POST", GRAPH_PATH, query, body={"query": GRAPH_QUERY, "options": {"$top": 30}},
                    response=graph_page([first], 2, "ew0KICAiJGlkIjogIjEiDQp9")),
        Interaction("POST", GRAPH_PATH, query,
                    body={"query": GRAPH_QUERY, "options": {"$top": 30, "$skipToken": "ew0KICAiJGlkIjogIjEiDQp9"}},
                    response=graph_page([second], 2, None)),
    ]
    result, _ = run(script, lambda az: az.sig.list_community(), {})
    assert result == [cli_shape(first), cli_shape(second)]


def test_list_community_filters_on_the_location() -> None:
    """The location filter, compared by meaning (whitespace between KQL pipes carries none): the CLI's
    normalized location name."""
    row = graph_row("contoso-1", "eastus")
    with ReplayServer([Interaction("POST", GRAPH_PATH, {"api-version": "2021-03-01"},
                                   response=graph_page([row], 1, None))], subscription=SUB) as server:
        az = server.login()
        result = az.sig.list_community(location="East US")
    assert [(r.method, r.path, r.query) for r in server.requests] == [
        ("POST", GRAPH_PATH, {"api-version": "2021-03-01"})]
    body = server.requests[0].body
    assert body["options"] == {"$top": 30}
    assert " ".join(body["query"].split()) == f"{GRAPH_QUERY} | where location == 'eastus'"
    assert result == [cli_shape(row)]
