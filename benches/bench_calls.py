"""Per-call latency: `sig.show` and `sig.list_shared` with galleryshare vs azure-mgmt-compute + azure-identity,
against the same embedded emulator in the same run. Prints medians and the ratio (a benchmark, not a test).

    python3 dev.py bench [N]
"""

from __future__ import annotations

import statistics
import sys
import time

import galleryshare as gs

RG, GALLERY = "benchRG", "benchGallery"


def timed(fn, n: int) -> float:
    """Median seconds per call over n calls, after a warm-up (tokens cached, connection open)."""
    for _ in range(5):
        fn()
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def setup(emu) -> tuple:
    d = emu.directory
    admin = d.app("contoso-admin")
    az = gs.Az(cloud=emu.cloud)
    az.login(service_principal=True, username=admin.client_id, password=admin.secret, tenant=d.tenant("contoso").id)
    az.account.set(subscription="contoso-prod")
    az.group.create(name=RG, location="eastus")
    az.sig.create(resource_group=RG, gallery_name=GALLERY, permissions="groups")
    az.sig.share.add(resource_group=RG, gallery_name=GALLERY, subscription_ids=[d.subscription("contoso-dev").id])
    return az, admin


def sdk_client(emu, admin, subscription: str):
    from azure.identity import ClientSecretCredential
    from azure.mgmt.compute import ComputeManagementClient

    cred = ClientSecretCredential(emu.directory.tenant("contoso").id, admin.client_id, admin.secret,
                                  authority=emu.endpoint, disable_instance_discovery=True,
                                  connection_verify=emu.ca_cert_path)
    return ComputeManagementClient(cred, subscription, base_url=emu.endpoint,
                                   credential_scopes=["https://management.azure.com/.default"],
                                   connection_verify=emu.ca_cert_path)


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    with gs.emulator.start(lro_delay=0) as emu:
        az, admin = setup(emu)
        prod = emu.directory.subscription("contoso-prod").id
        dev = emu.directory.subscription("contoso-dev").id
        sdk = sdk_client(emu, admin, prod)
        sdk_dev = sdk_client(emu, admin, dev)
        rows = [
            ("sig.show",
             timed(lambda: az.sig.show(resource_group=RG, gallery_name=GALLERY), n),
             timed(lambda: sdk.galleries.get(RG, GALLERY), n)),
            ("sig.list_shared",
             timed(lambda: az.sig.list_shared(location="eastus", subscription=dev), n),
             timed(lambda: list(sdk_dev.shared_galleries.list("eastus")), n)),
        ]
    print(f"\nPer-call median over {n} calls, same emulator, same process (lower is better)\n")
    print("| call | galleryshare | azure-mgmt-compute | speed-up |")
    print("|---|---:|---:|---:|")
    for name, ours, theirs in rows:
        print(f"| {name} | {ours * 1e6:,.0f} µs | {theirs * 1e6:,.0f} µs | {theirs / ours:.1f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
