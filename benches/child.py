"""One measurement in a fresh process, so wall time and peak memory are its own (the parent reads them with
``os.wait4``). The emulator runs in the parent; its endpoint, CA file and the app's credentials come in the
environment (``GSB_*``), never on the command line.

    child.py startup gs|sdk
    child.py paging gs|sdk COUNT      iterate COUNT image versions of the paging gallery, page by page
    child.py calls gs|sdk CASE COUNT  COUNT sequential calls of one per-call case, each timed (after a warm-up)
"""

from __future__ import annotations

import os
import sys
import time

ARM_SCOPE = "https://management.azure.com/.default"


def env(name: str) -> str:
    return os.environ["GSB_" + name]


def gs_client(progress: bool = False):
    import galleryshare as gs

    with open(env("CA"), encoding="utf-8") as f:
        ca = f.read()
    endpoint = env("ENDPOINT")
    cloud = gs.Cloud(name="GalleryshareEmulator", resource_manager=endpoint, active_directory=endpoint,
                     microsoft_graph=endpoint, ca_pem=ca)
    az = gs.Az(cloud=cloud, progress=progress)
    az.login(service_principal=True, username=env("CLIENT_ID"), password=env("SECRET"), tenant=env("TENANT"))
    az.account.set(subscription=env("SUBSCRIPTION"))
    return az


def sdk_credential():
    from azure.identity import ClientSecretCredential

    return ClientSecretCredential(env("TENANT"), env("CLIENT_ID"), env("SECRET"), authority=env("ENDPOINT"),
                                  disable_instance_discovery=True, connection_verify=env("CA"))


def sdk_client(subscription: str = ""):
    from azure.mgmt.compute import ComputeManagementClient

    cred = sdk_credential()
    client = ComputeManagementClient(cred, subscription or env("SUBSCRIPTION"), base_url=env("ENDPOINT"),
                                     credential_scopes=[ARM_SCOPE], connection_verify=env("CA"))
    cred.get_token(ARM_SCOPE)  # logged in: the token is in the credential's cache
    return client


def paging(side: str, count: int) -> dict:
    """Iterates `count` items page by page; the time excludes the login (that is the start-up figure)."""
    rg, gallery, image = env("PAGING_RG"), env("PAGING_GALLERY"), env("PAGING_IMAGE")
    client = gs_client() if side == "gs" else sdk_client()
    t = time.perf_counter()
    if side == "gs":
        items = client.sig.image_version.list(resource_group=rg, gallery_name=gallery, gallery_image_definition=image,
                                              stream=True)
    else:
        items = client.gallery_image_versions.list_by_gallery_image(rg, gallery, image)
    seen = 0
    for _ in items:
        seen += 1
        if seen == count:
            break
    return {"items": seen, "seconds": time.perf_counter() - t}


def call_case(side: str, case: str):
    """The call of one per-call case (names and ids in ``GSB_CALL_*``), on a logged-in client with default
    settings, as a script would have it."""
    rg, gallery, unique, dev = env("CALL_RG"), env("CALL_GALLERY"), env("CALL_UNIQUE"), env("CALL_DEV")
    image, version = env("CALL_IMAGE"), env("CALL_VERSION")
    if side == "gs":
        az = gs_client(progress=True)
        return {
            "sig.show": lambda: az.sig.show(resource_group=rg, gallery_name=gallery),
            "sig.list_shared": lambda: az.sig.list_shared(location="eastus", subscription=dev),
            "image_version.show_shared": lambda: az.sig.image_version.show_shared(
                gallery_unique_name=unique, gallery_image_definition=image, gallery_image_version=version,
                location="eastus", subscription=dev),
        }[case]
    sdk, sdk_dev = sdk_client(), sdk_client(dev)
    return {
        "sig.show": lambda: sdk.galleries.get(rg, gallery),
        "sig.list_shared": lambda: list(sdk_dev.shared_galleries.list("eastus")),
        "image_version.show_shared": lambda: sdk_dev.shared_gallery_image_versions.get("eastus", unique, image, version),
    }[case]


def calls(side: str, case: str, count: int) -> dict:
    """Seconds taken by each of `count` sequential calls, after 10 untimed ones (token cached, connection open)."""
    fn = call_case(side, case)
    for _ in range(10):
        fn()
    samples = []
    for _ in range(count):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return {"samples": samples}


def peak_rss_mib() -> float:
    """This process's own high-water RSS (VmHWM). Not getrusage: Linux carries the parent's peak into a
    child's ru_maxrss across fork and exec."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> int:
    what, side = sys.argv[1], sys.argv[2]
    t = time.perf_counter()
    if what == "startup":
        gs_client() if side == "gs" else sdk_client()
        out = {"seconds": time.perf_counter() - t}
    elif what == "calls":
        out = calls(side, sys.argv[3], int(sys.argv[4]))
    else:
        out = paging(side, int(sys.argv[3]))
    out["rss"] = peak_rss_mib()
    # A Python literal, not JSON: `json` (with `re`) would add its import to every side's start-up, and
    # the start-up measured is the library's, not this harness's.
    print(repr(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
