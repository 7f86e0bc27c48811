"""Instructions per call on the calling thread, counted by valgrind's callgrind: a figure that, unlike
wall or CPU time, does not move with the host's speed, so a change of a few percent shows. Not part of
`dev.py bench` (it needs valgrind: `apt-get install valgrind`) and slow (~1 minute per variant).

    .venv/bin/python benches/instructions.py [facade core local] [--calls 300] [--keep DIR]

Each variant runs in a fresh process under callgrind with instrumentation off; once the emulator is
seeded and the call warmed up, `callgrind_control -i on` starts counting, and the process exits right
after the measured calls. Variants: `facade` (`az.sig.show`), `core` (`_core.Client.invoke` of the same
command, no facade), `local` (`account.show`: the binding's path with no request), `list_shared` and
`show_shared` (the other two per-call figures of the suite, through the facade).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(variant: str, calls: int, ready: str) -> None:
    sys.path.insert(0, str(HERE))
    import galleryshare as gs
    import suite

    import child as cases

    with gs.emulator.start(lro_delay=0, page_size=suite.AZURE_PAGE_SIZE) as emu:
        b = suite.Bench(emu)
        os.environ.update(b.call_env(suite.populate(b, 0)))
        native = b.az._s.native
        args = {"resource_group": suite.RG, "gallery_name": suite.GALLERY}
        through_facade = {"facade": "sig.show", "list_shared": "sig.list_shared",
                          "show_shared": "image_version.show_shared"}
        if variant in through_facade:
            fn = cases.call_case("gs", through_facade[variant])
        else:
            fn = {
                "core": lambda: native.invoke("sig.show", args, None, False, None, None),
                "local": lambda: native.invoke("account.show", {}, None, False, None, None),
            }[variant]
        for _ in range(50):
            fn()
        Path(ready).write_text("ready")
        time.sleep(3)  # callgrind_control switches instrumentation on
        for _ in range(calls):
            fn()
        os._exit(0)  # nothing after the calls is counted


def measure(variant: str, calls: int, out: Path) -> int:
    ready = out / f"{variant}.ready"
    proc = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--separate-threads=yes",
         f"--callgrind-out-file={out}/callgrind.{variant}.%p", sys.executable, __file__, "--child", variant,
         "--calls", str(calls), "--ready", str(ready)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not ready.exists():
        if proc.poll() is not None:
            raise RuntimeError(f"{variant}: the child exited before it was ready")
        time.sleep(0.2)
    subprocess.run(["callgrind_control", "-i", "on", str(proc.pid)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.wait()
    main_thread = out / f"callgrind.{variant}.{proc.pid}-01"
    for line in main_thread.read_text().splitlines():
        if line.startswith("summary:"):
            return int(line.split()[1]) // calls
    raise RuntimeError(f"no summary in {main_thread}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("variants", nargs="*", default=["facade", "core", "local"])
    p.add_argument("--calls", type=int, default=300)
    p.add_argument("--keep", help="keep the callgrind files here (for callgrind_annotate --inclusive=yes)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--ready", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.child, args.calls, args.ready)
        return 0
    out = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="gs-callgrind-"))
    out.mkdir(parents=True, exist_ok=True)
    for variant in args.variants:
        print(f"{variant:7} {measure(variant, args.calls, out):>9,} instructions per call (calling thread)",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
