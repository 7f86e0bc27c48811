"""Replays of the Azure CLI's own recording of the gallery sharing flow (cli-recordings/test_shared_gallery.yaml).

The recording is what the real CLI sent to real Azure and what Azure answered. For each CLI command in it, the
matching ``az.*`` call must send exactly the recorded request sequence — long-running-operation polls
included — (method, path, query with the recorded api-version, semantically equal JSON body) and return the
CLI shape of the recorded final response.
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

SUB = "00000000-0000-0000-0000-000000000000"  # the cassette's (sanitized) subscription
RG = "clitest.rg000001"
GALLERY = "gellery000002"
UNIQUE_NAME = "0b1f6471-1bf0-4dda-aec3-cb9272f09590-GELLERYG4CTFDQV4"
LOCATION = "eastus"

# The api-versions CLI 2.34 used in the recording, family-wide and where a command differed.
API_VERSIONS = {
    "gallery": "2021-07-01",
    "resources": "2021-04-01",
    "sig.image_definition.create": "2020-09-30",
    "sig.image_definition.show": "2020-09-30",
    "sig.show_shared": "2020-09-30",
    "sig.image_definition.show_shared": "2020-09-30",
    "sig.image_version.show_shared": "2020-09-30",
}


@lru_cache(maxsize=None)
def _cassette() -> List[Dict[str, Any]]:
    # Parsed once: the YAML is large and PyYAML slow.
    return yaml.safe_load((reference_dir() / "cli-recordings" / "test_shared_gallery.yaml").read_text())["interactions"]


def recorded(index: int) -> Dict[str, Any]:
    return _cassette()[index]


def json_or_none(text: Optional[str]) -> Any:
    return json.loads(text) if text else None


def interaction(index: int) -> Interaction:
    """A recorded exchange as the replay server's script. Of the response headers only those that steer the
    client are kept (the LRO URLs), plus Retry-After: 0 so the client's honouring of it keeps replays fast
    where Azure's polls took seconds."""
    rec = recorded(index)
    request, response = rec["request"], rec["response"]
    headers = {name: values[0] for name, values in response["headers"].items()
               if name.lower() in ("azure-asyncoperation", "location")}
    headers["Retry-After"] = "0"
    return Interaction.from_url(
        request["method"], request["uri"],
        body=json_or_none(request["body"]),
        status=response["status"]["code"],
        headers=headers,
        response=response["body"]["string"] or None,  # served verbatim, CRLFs and all
    )


def recorded_command(index: int) -> str:
    return recorded(index)["request"]["headers"]["CommandName"][0]


def final_body(index: int) -> Any:
    return json.loads(recorded(index)["response"]["body"]["string"])


def shape_of(index: int) -> Any:
    return cli_shape(final_body(index))


def shapes_of_list(index: int) -> Any:
    return [cli_shape(item) for item in final_body(index)["value"]]


@dataclass
class Step:
    """One CLI command of the recording: its interactions and the equivalent client call."""

    name: str
    command: str  # the recorded CommandName, checked so the indices stay honest
    indices: List[int]
    call: Callable[[gs.Az], Any]
    result: Callable[[], Any]


STEPS: List[Step] = [
    Step("sig-create", "sig create", [0, 1, 2, 3],
         lambda az: az.sig.create(resource_group=RG, gallery_name=GALLERY, permissions="Groups"),
         lambda: shape_of(3)),
    Step("sig-image-definition-create", "sig image-definition create", [4, 5, 6, 7],
         lambda az: az.sig.image_definition.create(resource_group=RG, gallery_name=GALLERY,
                                                   gallery_image_definition="image1", os_type="Linux",
                                                   publisher="publisher1", offer="offer1", sku="sku1"),
         lambda: shape_of(7)),
    Step("sig-image-definition-show", "sig image-definition show", [8],
         lambda az: az.sig.image_definition.show(resource_group=RG, gallery_name=GALLERY,
                                                 gallery_image_definition="image1"),
         lambda: shape_of(8)),
    # --managed-image by name: the CLI builds the image's id in the same resource group, without reading it.
    Step("sig-image-version-create", "sig image-version create", list(range(32, 42)),
         lambda az: az.sig.image_version.create(resource_group=RG, gallery_name=GALLERY,
                                                gallery_image_definition="image1", gallery_image_version="1.1.2",
                                                managed_image="managedImage1", replica_count=1),
         lambda: shape_of(41)),
    Step("sig-show-select-permissions", "sig show", [42],
         lambda az: az.sig.show(resource_group=RG, gallery_name=GALLERY, select="Permissions"),
         lambda: shape_of(42)),
    Step("sig-share-add", "sig share add", [43, 44, 45],
         lambda az: az.sig.share.add(resource_group=RG, gallery_name=GALLERY,
                                     subscription_ids=["0b1f6471-1bf0-4dda-aec3-cb9272f09590",
                                                       "34a4ab42-0d72-47d9-bd1a-aed207386dac"],
                                     tenant_ids=["2f4a9838-26b7-47ee-be60-ccc1fdec5953"]),
         lambda: {}),
    Step("sig-show-after-add", "sig show", [46],
         lambda az: az.sig.show(resource_group=RG, gallery_name=GALLERY, select="Permissions"),
         lambda: shape_of(46)),
    Step("sig-share-remove", "sig share remove", [47, 48, 49],
         lambda az: az.sig.share.remove(resource_group=RG, gallery_name=GALLERY,
                                        subscription_ids=["34a4ab42-0d72-47d9-bd1a-aed207386dac"],
                                        tenant_ids=["2f4a9838-26b7-47ee-be60-ccc1fdec5953"]),
         lambda: {}),
    Step("sig-list-shared", "sig list-shared", [51],
         lambda az: az.sig.list_shared(location=LOCATION),
         lambda: shapes_of_list(51)),
    Step("sig-show-shared", "sig show-shared", [52],
         lambda az: az.sig.show_shared(gallery_unique_name=UNIQUE_NAME, location=LOCATION),
         lambda: shape_of(52)),
    Step("sig-image-definition-list-shared", "sig image-definition list-shared", [53],
         lambda az: az.sig.image_definition.list_shared(gallery_unique_name=UNIQUE_NAME, location=LOCATION),
         lambda: shapes_of_list(53)),
    Step("sig-image-definition-show-shared", "sig image-definition show-shared", [54],
         lambda az: az.sig.image_definition.show_shared(gallery_unique_name=UNIQUE_NAME, location=LOCATION,
                                                        gallery_image_definition="image1"),
         lambda: shape_of(54)),
    Step("sig-image-version-list-shared", "sig image-version list-shared", [55],
         lambda az: az.sig.image_version.list_shared(gallery_unique_name=UNIQUE_NAME,
                                                     gallery_image_definition="image1", location=LOCATION),
         lambda: shapes_of_list(55)),
    Step("sig-image-version-show-shared", "sig image-version show-shared", [56],
         lambda az: az.sig.image_version.show_shared(gallery_unique_name=UNIQUE_NAME,
                                                     gallery_image_definition="image1",
                                                     gallery_image_version="1.1.2", location=LOCATION),
         lambda: shape_of(56)),
    Step("sig-share-reset", "sig share reset", [57, 58, 59],
         lambda az: az.sig.share.reset(resource_group=RG, gallery_name=GALLERY),
         lambda: {}),
    Step("sig-show-after-reset", "sig show", [60],
         lambda az: az.sig.show(resource_group=RG, gallery_name=GALLERY, select="Permissions"),
         lambda: shape_of(60)),
]


def replay(steps: List[Step]) -> None:
    """Runs the steps in one logged-in session against their recorded interactions, in recorded order."""
    for step in steps:
        commands = {recorded_command(i) for i in step.indices}
        assert commands == {step.command}, f"{step.name}: cassette indices cover {commands}"
    script = [interaction(i) for step in steps for i in step.indices]

    results: List[Any] = []
    error: Optional[BaseException] = None
    with ReplayServer(script, subscription=SUB) as server:
        az = server.login(api_versions=API_VERSIONS)
        assert az.account.show()["id"] == SUB, "the cassette's subscription must be the current one"
        try:
            for step in steps:
                results.append(step.call(az))
        except gs.AzureError as e:  # compare the requests first: their diff says more than the error
            error = e

    sent = [request_view(r.method, r.path, r.query, r.body) for r in server.requests]
    expected = [request_view(i.method, i.path, i.query, i.body) for i in script]
    assert sent == expected
    assert all(r.bearer for r in server.requests), "every ARM request must carry a Bearer token"
    assert error is None, f"{steps[len(results)].name} raised {error!r}"
    assert results == [step.result() for step in steps]


@pytest.mark.parametrize("step", STEPS, ids=[s.name for s in STEPS])
def test_recorded_command(step: Step) -> None:
    replay([step])


def test_recorded_sharing_flow_in_one_session() -> None:
    """The whole recorded sharing flow, command after command, in one session (as the CLI test ran it)."""
    replay(STEPS)
