"""The benchmark suite: galleryshare side by side with its peers (azure-mgmt-compute + azure-identity, a raw
Rust HTTP floor, the Azure CLI), in one run, against one emulator. Writes benches/RESULTS.md.

    python3 dev.py bench [--quick]

Every figure is a median over repeated runs; every ratio compares two sides measured in the same run.
Not part of the test run (timing targets live here, never in tests).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import galleryshare as gs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ARM_SCOPE = "https://management.azure.com/.default"
RG, GALLERY, IMAGE, VERSION = "benchRG", "benchGallery", "benchImage", "1.0.0"
FAN_RG, FAN_GALLERIES = "benchFan", 200
PAGE_RG, PAGE_GALLERY, PAGE_IMAGE, PAGE_ITEMS = "benchPaging", "pagingGallery", "pagingImage", 10_000
# The Azure reference in this repo does not state Compute's page size for image versions; 100 is assumed.
AZURE_PAGE_SIZE = 100
CALL_ROUNDS = 20  # per-call figures: rounds of galleryshare and the floor back to back, then the SDK (host speed drifts)
CALL_CASES = ("sig.show", "sig.list_shared", "image_version.show_shared")  # defined in child.py `call_case`


@dataclass
class Row:
    section: str
    what: str
    ours: float
    theirs: float
    unit: str
    peer: str
    target: str
    goal: Optional[float]  # what `ratio` must reach (at least, or at most for "overhead")
    # "speedup": peer ÷ ours (times, memory); "throughput": ours ÷ peer; "overhead": ours ÷ peer, bounded above.
    kind: str = "speedup"
    note: str = ""

    @property
    def ratio(self) -> float:
        num, den = (self.theirs, self.ours) if self.kind in ("speedup", "flat") else (self.ours, self.theirs)
        return num / den if den else float("inf")

    @property
    def met(self) -> Optional[bool]:
        if self.goal is None:
            return None
        if self.kind == "flat":  # an absolute bound on ours (MiB of growth)
            return self.ours <= self.goal
        return self.ratio <= self.goal if self.kind == "overhead" else self.ratio >= self.goal


# ---- the emulator and the clients --------------------------------------------------------------------------


class Bench:
    """One emulator, its credentials and the logged-in clients every section shares."""

    def __init__(self, emu: Any):
        self.emu = emu
        d = emu.directory
        self.admin = d.app("contoso-admin")
        self.tenant = d.tenant("contoso").id
        self.prod = d.subscription("contoso-prod").id
        self.dev = d.subscription("contoso-dev").id
        self.az = gs.Az(cloud=emu.cloud)  # default settings, as a script would have them
        self.az.login(service_principal=True, username=self.admin.client_id, password=self.admin.secret,
                      tenant=self.tenant)
        self.az.account.set(subscription="contoso-prod")

    def child_env(self) -> Dict[str, str]:
        """What a child process needs to log in (the secret travels in the environment only)."""
        # Python's default bytecode cache, as an installed wheel has it (pip compiles site-packages; a
        # PYTHONDONTWRITEBYTECODE in the environment would make an editable galleryshare recompile every start).
        base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        return dict(base, GSB_ENDPOINT=self.emu.endpoint, GSB_CA=self.emu.ca_cert_path, GSB_TENANT=self.tenant,
                    GSB_CLIENT_ID=self.admin.client_id, GSB_SECRET=self.admin.secret, GSB_SUBSCRIPTION=self.prod,
                    GSB_PAGING_RG=PAGE_RG, GSB_PAGING_GALLERY=PAGE_GALLERY, GSB_PAGING_IMAGE=PAGE_IMAGE)

    def call_env(self, unique: str) -> Dict[str, str]:
        """`child_env` plus the names and ids the per-call cases use (see child.py `call_case`)."""
        return dict(self.child_env(), GSB_CALL_RG=RG, GSB_CALL_GALLERY=GALLERY, GSB_CALL_UNIQUE=unique,
                    GSB_CALL_DEV=self.dev, GSB_CALL_IMAGE=IMAGE, GSB_CALL_VERSION=VERSION)

    def credential(self, aio: bool = False) -> Any:
        if aio:
            from azure.identity.aio import ClientSecretCredential
        else:
            from azure.identity import ClientSecretCredential  # type: ignore[assignment]
        return ClientSecretCredential(self.tenant, self.admin.client_id, self.admin.secret, authority=self.emu.endpoint,
                                      disable_instance_discovery=True, connection_verify=self.emu.ca_cert_path)

    def sdk(self, subscription: str, aio: bool = False) -> Any:
        if aio:
            from azure.mgmt.compute.aio import ComputeManagementClient
        else:
            from azure.mgmt.compute import ComputeManagementClient  # type: ignore[assignment]
        return ComputeManagementClient(self.credential(aio), subscription, base_url=self.emu.endpoint,
                                       credential_scopes=[ARM_SCOPE], connection_verify=self.emu.ca_cert_path)

    def token(self) -> str:
        return self.credential().get_token(ARM_SCOPE).token


def populate(b: Bench, paging_items: int) -> str:
    """The shared gallery with one version, the fan-out galleries and the paging image; returns the
    shared gallery's unique name."""
    az = b.az
    for rg in (RG, FAN_RG, PAGE_RG):
        az.group.create(name=rg, location="eastus")
    unique = az.sig.create(resource_group=RG, gallery_name=GALLERY, permissions="groups",
                           query="identifier.uniqueName")
    az.sig.share.add(resource_group=RG, gallery_name=GALLERY, subscription_ids=[b.dev])
    managed = az.group.show(name="images", query="id") + "/providers/Microsoft.Compute/images/ubuntu-base"
    for gallery, image in ((GALLERY, IMAGE), (PAGE_GALLERY, PAGE_IMAGE)):
        if gallery == PAGE_GALLERY:
            az.sig.create(resource_group=PAGE_RG, gallery_name=gallery)
        az.sig.image_definition.create(resource_group=RG if gallery == GALLERY else PAGE_RG, gallery_name=gallery,
                                       gallery_image_definition=image, publisher="contoso", offer="o", sku="s",
                                       os_type="Linux")
    az.sig.image_version.create(resource_group=RG, gallery_name=GALLERY, gallery_image_definition=IMAGE,
                                gallery_image_version=VERSION, managed_image=managed, target_regions=["eastus"])

    async def bulk() -> None:
        aaz = gs.aio.Az(cloud=b.emu.cloud, progress=False)
        await aaz.login(service_principal=True, username=b.admin.client_id, password=b.admin.secret, tenant=b.tenant)
        await aaz.account.set(subscription="contoso-prod")
        gate = asyncio.Semaphore(64)

        async def limited(coro: Any) -> None:
            async with gate:
                await coro

        await asyncio.gather(*(limited(aaz.sig.create(resource_group=FAN_RG, gallery_name=f"fan{i:03d}"))
                               for i in range(FAN_GALLERIES)))
        await asyncio.gather(*(limited(aaz.sig.image_version.create(
            resource_group=PAGE_RG, gallery_name=PAGE_GALLERY, gallery_image_definition=PAGE_IMAGE,
            gallery_image_version=f"{i // 10000}.{i // 100 % 100}.{i % 100}", managed_image=managed,
            target_regions=["eastus"])) for i in range(paging_items)))

    asyncio.run(bulk())
    return unique


# ---- measuring ----------------------------------------------------------------------------------------------


def timed_calls(fn: Callable[[], Any], n: int) -> List[float]:
    """Seconds taken by each of n sequential calls."""
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return samples


def fresh_process(args: List[str], env: Dict[str, str]) -> Dict[str, float]:
    """Runs `python benches/child.py ARGS`: wall time from spawn to exit, plus what the child reports (its
    own peak RSS in MiB, its timings)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, str(HERE / "child.py"), *args], env=env, stdout=subprocess.PIPE,
                          check=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, **ast.literal_eval(proc.stdout.decode())}


def medians(runs: List[Dict[str, float]]) -> Dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def floor_binary() -> Path:
    """Builds the Rust floor (release) and returns its path (`GSB_FLOOR_BIN` names a prebuilt one)."""
    if os.environ.get("GSB_FLOOR_BIN"):
        return Path(os.environ["GSB_FLOOR_BIN"])
    out = subprocess.run(["cargo", "bench", "--bench", "http_floor", "--no-run", "--message-format=json"],
                         cwd=ROOT, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") == "http_floor":
            if msg.get("executable"):
                return Path(msg["executable"])
    raise RuntimeError("cargo did not report the http_floor executable")


def floor(b: Bench, binary: Path, url: str, count: int, concurrency: int, threads: int = 1,
          http1: bool = False) -> Dict[str, Any]:
    env = dict(os.environ, GS_FLOOR_TOKEN=b.token(), GS_FLOOR_THREADS=str(threads), GS_FLOOR_HTTP1=str(int(http1)))
    out = subprocess.run([str(binary), url, b.emu.ca_cert_path, str(count), str(concurrency)], env=env, check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


def url_of_last_request(b: Bench) -> str:
    """The exact GET galleryshare just sent, for the floor to repeat."""
    last = [r for r in b.emu.requests() if r["method"] == "GET"][-1]
    return f"{b.emu.endpoint}{last['path']}?{last['query']}"


# ---- sections ----------------------------------------------------------------------------------------------


def startup(b: Bench, repeats: int) -> List[Row]:
    env = b.child_env()
    for side in ("gs", "sdk"):  # warm the OS page cache for both
        fresh_process(["startup", side], env)
    gs_runs, sdk_runs = [], []
    for _ in range(repeats):
        gs_runs.append(fresh_process(["startup", "gs"], env))
        sdk_runs.append(fresh_process(["startup", "sdk"], env))
    ours, theirs = medians(gs_runs), medians(sdk_runs)
    what = "import + logged-in client (fresh process)"
    return [
        Row("Start-up", f"{what}: wall", ours["wall"] * 1e3, theirs["wall"] * 1e3, "ms", "azure-mgmt-compute + azure-identity",
            "≤ 1/10 of the SDK", 10),
        Row("Start-up", f"{what}: CPU time (user + sys)", ours["cpu"] * 1e3, theirs["cpu"] * 1e3, "ms",
            "azure-mgmt-compute + azure-identity", "— (robust to a busy machine)", None),
        Row("Start-up", f"{what}: peak RSS", ours["rss"], theirs["rss"], "MiB", "azure-mgmt-compute + azure-identity",
            "≤ 1/2 of the SDK", 2),
    ]


def calls(b: Bench, unique: str, n: int, binary: Optional[Path]) -> List[Row]:
    """Each side in a process of its own, as the floor is (a client's latency is its own process's: another
    library's objects and garbage in the same interpreter would bill their GC and cache misses to it), in
    rounds, so drift of the host's speed lands on all sides alike. Within a round galleryshare and the floor
    run back to back, first one then the other in turn, as their ratio is the tightest target."""
    env = b.call_env(unique)
    rows = []
    per_round = max(n // CALL_ROUNDS, 1)
    for name in CALL_CASES:
        ours_s: List[float] = []
        ours_m: List[float] = []  # each round's median, µs, to set beside the floor's
        sdk_s: List[float] = []
        raw_m: List[float] = []
        url = ""

        def ours() -> None:
            nonlocal url
            samples = fresh_process(["calls", "gs", name, str(per_round)], env)["samples"]
            ours_s.extend(samples)
            ours_m.append(statistics.median(samples) * 1e6)
            url = url or url_of_last_request(b)  # the exact GET galleryshare sends, for the floor

        def raw() -> None:
            if binary is not None:
                raw_m.append(floor(b, binary, url, per_round, 1)["median_us"])

        for i in range(CALL_ROUNDS):
            for side in (ours, raw) if i % 2 == 0 else (raw, ours):
                side()
            sdk_s += fresh_process(["calls", "sdk", name, str(per_round)], env)["samples"]
        ours, theirs = statistics.median(ours_s), statistics.median(sdk_s)
        rows.append(Row("Per call", f"{name} (sync, median)", ours * 1e6, theirs * 1e6, "µs", "azure-mgmt-compute",
                        "≥ 5× faster", 5))
        if raw_m:
            paired = sorted(o / r for o, r in zip(ours_m, raw_m))
            rows.append(Row("Per call", f"{name} vs raw floor", ours * 1e6, statistics.median(raw_m), "µs",
                            "raw Rust GET (reqwest, kept-alive)", "≤ 1.3 × the floor", 1.3, "overhead",
                            note=f"ratio within each round (galleryshare's median ÷ the floor's, run back to back): "
                                 f"{paired[0]:.2f}–{paired[-1]:.2f}, median {statistics.median(paired):.2f}"))
    return rows


async def fan_out_gs(b: Bench, reads: int, concurrency: int) -> float:
    az = gs.aio.Az(cloud=b.emu.cloud, progress=False)
    await az.login(service_principal=True, username=b.admin.client_id, password=b.admin.secret, tenant=b.tenant)
    await az.account.set(subscription="contoso-prod")
    return await fan_out(lambda i: az.sig.show(resource_group=FAN_RG, gallery_name=f"fan{i % FAN_GALLERIES:03d}"),
                         reads, concurrency)


async def fan_out_sdk(b: Bench, reads: int, concurrency: int) -> float:
    from azure.mgmt.compute.aio import ComputeManagementClient

    async with b.credential(aio=True) as cred, ComputeManagementClient(
            cred, b.prod, base_url=b.emu.endpoint, credential_scopes=[ARM_SCOPE],
            connection_verify=b.emu.ca_cert_path) as sdk:
        return await fan_out(lambda i: sdk.galleries.get(FAN_RG, f"fan{i % FAN_GALLERIES:03d}"), reads, concurrency)


async def fan_out(read: Callable[[int], Any], reads: int, concurrency: int) -> float:
    """Reads per second: `reads` reads with at most `concurrency` in flight (after a warm-up round)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            await read(i)

    await asyncio.gather(*(one(i) for i in range(concurrency)))
    t = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(reads)))
    return reads / (time.perf_counter() - t)


def fanout(b: Bench, repeats: int, reads: int = 1000, concurrency: int = 64) -> List[Row]:
    ours = statistics.median(asyncio.run(fan_out_gs(b, reads, concurrency)) for _ in range(repeats))
    theirs = statistics.median(asyncio.run(fan_out_sdk(b, reads, concurrency)) for _ in range(repeats))
    return [Row("Fan-out", f"{reads:,} sig.show over {FAN_GALLERIES} galleries, concurrency {concurrency}",
                ours, theirs, "reads/s", "azure-mgmt-compute .aio", "≥ 3× the throughput", 3, "throughput")]


def paging(b: Bench, repeats: int, items: int) -> List[Row]:
    env = b.child_env()
    few = max(items // 10, AZURE_PAGE_SIZE)
    runs: Dict[str, Dict[int, List[Dict[str, float]]]] = {"gs": {few: [], items: []}, "sdk": {few: [], items: []}}
    for _ in range(repeats):
        for side in runs:
            for count in (few, items):
                r = fresh_process(["paging", side, str(count)], env)
                if r["items"] != count:
                    raise RuntimeError(f"{side} paged {r['items']} items, expected {count}")
                runs[side][count].append(r)
    m = {side: {c: medians(v) for c, v in per.items()} for side, per in runs.items()}
    growth = {side: m[side][items]["rss"] - m[side][few]["rss"] for side in m}
    pages = items // AZURE_PAGE_SIZE
    return [
        Row("Paging", f"iterate {items:,} image versions ({pages} pages of {AZURE_PAGE_SIZE})",
            m["gs"][items]["seconds"] * 1e3, m["sdk"][items]["seconds"] * 1e3, "ms", "azure-mgmt-compute",
            "≥ 5× faster", 5),
        Row("Paging", f"peak RSS of the process after {items:,} items", m["gs"][items]["rss"],
            m["sdk"][items]["rss"], "MiB", "azure-mgmt-compute", "—", None),
        Row("Paging", f"peak RSS growth from {few:,} to {items:,} items", growth["gs"], growth["sdk"], "MiB",
            "azure-mgmt-compute", "flat: ≤ 2 MiB growth", 2, "flat"),
    ]


def capacity(b: Bench, binary: Path, count: int) -> List[Row]:
    url = f"{b.emu.endpoint}/subscriptions/{b.prod}/resourceGroups/{RG}/providers/Microsoft.Compute/galleries/{GALLERY}?api-version=2025-03-03"
    rows = []
    for http1 in (False, True):
        out = floor(b, binary, url, count, 32, threads=1, http1=http1)
        rows.append(Row("Emulator", f"sig.show GET/s on loopback, {out['protocol']} (32 connections, {count:,} GETs, "
                        "load generator on the same 2 cores)", out["requests_per_second"], 10_000, "GET/s", "target",
                        "≥ 10,000 GET/s", 1, "throughput", note=f"p99 {out['p99_us']:,.0f} µs"))
    return rows


# ---- the Azure CLI ------------------------------------------------------------------------------------------


def cli(b: Bench, venv: Path) -> List[Row]:
    """One `az sig share add` process vs one `az.sig.share.add` call, both against the emulator."""
    azbin = venv / "bin" / "az"
    if not azbin.exists():
        return [Row("CLI parity", "az sig share add (one process)", 0, 0, "ms", "Azure CLI", "—", None,
                    note=f"not measured: the Azure CLI is not installed in {venv.name} (pip install azure-cli failed)")]
    with tempfile.TemporaryDirectory(prefix="gsb-azcli-") as config:
        env = dict(os.environ, AZURE_CONFIG_DIR=config, REQUESTS_CA_BUNDLE=b.emu.ca_cert_path,
                   AZURE_CORE_COLLECT_TELEMETRY="false", AZURE_CORE_ONLY_SHOW_ERRORS="true",
                   AZURE_CORE_INSTANCE_DISCOVERY="false")
        ep = b.emu.endpoint

        def az(*args: str, check: bool = True) -> subprocess.CompletedProcess:
            return subprocess.run([str(azbin), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, check=check)

        try:
            az("cloud", "register", "-n", "GalleryshareEmulator", "--skip-endpoint-discovery",
               "--endpoint-resource-manager", ep + "/",
               "--endpoint-active-directory", ep, "--endpoint-active-directory-resource-id",
               "https://management.core.windows.net/", "--endpoint-active-directory-graph-resource-id",
               "https://graph.windows.net/", "--endpoint-microsoft-graph-resource-id", ep + "/")
            az("cloud", "set", "-n", "GalleryshareEmulator")
            az("login", "--service-principal", "-u", b.admin.client_id, "-p", b.admin.secret, "--tenant", b.tenant)
            az("account", "set", "--subscription", b.prod)
        except subprocess.CalledProcessError as e:
            why = (e.stderr or "").strip().splitlines()[-1:] or ["no message"]
            return [Row("CLI parity", "az sig share add (one process)", 0, 0, "ms", "Azure CLI", "—", None,
                        note=f"not measured: the CLI could not talk to the emulator ({' '.join(e.cmd[1:3])}: "
                             f"{redact(why[0], b.admin.secret)})")]
        walls = []
        for _ in range(3):
            t = time.perf_counter()
            r = az("sig", "share", "add", "-g", RG, "-r", GALLERY, "--subscription-ids", b.dev, check=False)
            walls.append(time.perf_counter() - t)
            if r.returncode != 0:
                return [Row("CLI parity", "az sig share add (one process)", 0, 0, "ms", "Azure CLI", "—", None,
                            note=f"not measured: az sig share add failed: "
                                 f"{redact((r.stderr.strip().splitlines() or [''])[-1], b.admin.secret)}")]
    add = lambda: b.az.sig.share.add(resource_group=RG, gallery_name=GALLERY, subscription_ids=[b.dev])  # noqa: E731
    timed_calls(add, 3)
    ours = statistics.median(timed_calls(add, 20))
    return [Row("CLI parity", "sig share add: one az process vs one az.sig.share.add call", ours * 1e3,
                statistics.median(walls) * 1e3, "ms", "Azure CLI (pip azure-cli, one process)", "—", None)]


def redact(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


def install_cli(venv: Path) -> None:
    """A separate venv for the Azure CLI (large; kept between runs, gitignored)."""
    if (venv / "bin" / "az").exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "azure-cli"], check=False)


# ---- the report ---------------------------------------------------------------------------------------------


def fmt(v: float, unit: str) -> str:
    if unit in ("MiB",):
        return f"{v:,.1f} {unit}"
    return f"{v:,.0f} {unit}"


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for p in ("galleryshare", "azure-mgmt-compute", "azure-identity", "azure-core", "aiohttp"):
        try:
            out.append(f"{p} {version(p)}")
        except PackageNotFoundError:
            out.append(f"{p} (not installed)")
    return ", ".join(out)


def cli_version(venv: Path) -> str:
    py = venv / "bin" / "python"
    if not py.exists():
        return "azure-cli (not installed)"
    r = subprocess.run([str(py), "-c", "from importlib.metadata import version; print(version('azure-cli'))"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return f"azure-cli {r.stdout.strip() or '(not installed)'}"


def report(rows: List[Row], args: argparse.Namespace, venv: Path, elapsed: float) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `python3 dev.py bench{' --quick' if args.quick else ''}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in {elapsed:.0f} s. "
        "Both sides of every row ran in the same run against the same embedded emulator (HTTPS on loopback); "
        f"figures are medians over repeated runs ({args.repeats} fresh processes per start-up/paging figure, "
        f"{args.calls} calls per per-call figure, taken in {CALL_ROUNDS} rounds (galleryshare and the floor back to "
        "back, in turn first, then the SDK), each side in a fresh process of its own after 10 untimed calls; "
        f"{args.repeats} rounds of fan-out).",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}. Versions: {versions()}, {cli_version(venv)}.",
        "",
        "| section | measurement | galleryshare | peer | peer value | ratio | target | met |",
        "|---|---|---:|---|---:|---:|---|:---:|",
    ]
    for r in rows:
        if r.ours == 0 and r.theirs == 0:
            lines.append(f"| {r.section} | {r.what} | — | {r.peer} | — | — | {r.target} | — |")
            continue
        ratio = "—" if r.kind == "flat" else f"{r.ratio:.2f}×" if r.kind == "overhead" else f"{r.ratio:.1f}×"
        met = {None: "—", True: "yes", False: "**no**"}[r.met]
        lines.append(f"| {r.section} | {r.what} | {fmt(r.ours, r.unit)} | {r.peer} | {fmt(r.theirs, r.unit)} | "
                     f"{ratio} | {r.target} | {met} |")
    notes = [f"- {r.section}, {r.what}: {r.note}" for r in rows if r.note]
    lines += ["", "Ratio: peer ÷ galleryshare for times and memory, galleryshare ÷ peer for throughput (higher is "
              "better for both); galleryshare ÷ floor against the raw floor (lower is better).", ""]
    if notes:
        lines += ["Notes:", "", *notes, ""]
    lines += [f"- Paging uses a page size of {AZURE_PAGE_SIZE} (assumed: the Azure reference here does not state "
              "Compute's page size for image versions); the emulator is started with it.",
              "- The raw floor is `benches/http_floor.rs`: the same GET with the same bearer token on a kept-alive "
              "reqwest + rustls connection, in its own process (`cargo bench --bench http_floor`). The header "
              "is marked sensitive, as galleryshare marks it, so HPACK never indexes it.",
              "- What the profiles showed, what was fixed, and why the missed targets are missed: "
              "[PROFILE.md](PROFILE.md).", ""]
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer repeats and items (a smoke run)")
    p.add_argument("--only", nargs="*", default=None,
                   help="sections: startup calls fanout paging cli capacity")
    p.add_argument("--out", default=str(HERE / "RESULTS.md"))
    args = p.parse_args()
    args.repeats = 3 if args.quick else 7
    args.calls = 200 if args.quick else 2000
    items = 1_000 if args.quick else PAGE_ITEMS
    only = set(args.only or ["startup", "calls", "fanout", "paging", "cli", "capacity"])
    venv = ROOT / ".venv-azcli"
    started = time.perf_counter()
    binary = floor_binary() if only & {"calls", "capacity"} else None
    if "cli" in only:
        install_cli(venv)
    rows: List[Row] = []
    with gs.emulator.start(lro_delay=0, page_size=AZURE_PAGE_SIZE) as emu:
        b = Bench(emu)
        unique = populate(b, items if "paging" in only else 0)
        sections: Dict[str, Callable[[], List[Row]]] = {
            "startup": lambda: startup(b, args.repeats),
            "calls": lambda: calls(b, unique, args.calls, binary),
            "fanout": lambda: fanout(b, args.repeats),
            "paging": lambda: paging(b, args.repeats, items),
            "cli": lambda: cli(b, venv),
            "capacity": lambda: capacity(b, binary, 20_000 if args.quick else 100_000),  # type: ignore[arg-type]
        }
        for name, run in sections.items():
            if name in only:
                print(f"== {name}", flush=True)
                emu.clear_requests()
                rows += run()
    text = report(rows, args, venv, time.perf_counter() - started)
    print(text)
    Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
