#!/usr/bin/env python3
"""Development entry points; needs only Rust (cargo) and Python 3.9+.

    python3 dev.py demo    build into .venv and run the demo on the embedded emulator
    python3 dev.py test    cargo fmt/clippy/test, then build, check the stubs, run pytest (CI)
    python3 dev.py bench   the benchmark suite vs the Azure SDK, a raw HTTP floor and the CLI (writes benches/RESULTS.md)
    python3 dev.py fidelity  regenerate the README's fidelity section from a test run
    python3 dev.py runbooks  re-execute the Jupyter runbooks in examples/ and save them with their outputs
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
RUNTIME = ["jmespath>=1.0"]
TEST = ["pytest>=8", "pytest-timeout", "tqdm", "pyyaml", "trustme", "mypy", "azure-identity>=1.27", "azure-mgmt-compute>=39", "azure-mgmt-network>=33", "azure-mgmt-authorization>=4", "azure-mgmt-resource>=26", "nbclient", "nbformat", "ipykernel"]
BENCH = ["azure-identity", "azure-mgmt-compute", "aiohttp"]


def run(*cmd: object, **kw) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], cwd=ROOT, check=True, **kw)


def env() -> dict:
    e = dict(os.environ, VIRTUAL_ENV=str(VENV))
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    return e


def venv(*packages: str) -> None:
    if not PY.exists():
        run(sys.executable, "-m", "venv", VENV)
    run(PY, "-m", "pip", "install", "-q", "--disable-pip-version-check", "maturin>=1.9.4,<2", *RUNTIME, *packages)


def build() -> None:
    """One optimised build serves the demo, the tests and the benchmarks."""
    run(BIN / "maturin", "develop", "--release", env=env())


def demo() -> None:
    venv()
    build()
    run(PY, "-m", "galleryshare", "demo", env=env())


def test() -> None:
    run("cargo", "fmt", "--check")
    run("cargo", "clippy", "--all-targets", "--", "-D", "warnings")
    run("cargo", "test")
    venv(*TEST)
    build()
    # The .pyi must match the built module.
    run(PY, "-m", "mypy.stubtest", "galleryshare._core", env=env())
    run(PY, "-m", "pytest", env=env())


def bench() -> None:
    """The whole suite (benches/suite.py): prints and writes benches/RESULTS.md; `--quick` for a smoke run."""
    venv(*BENCH)
    build()
    run(PY, "benches/suite.py", *sys.argv[2:], env=env())


def fidelity() -> None:
    venv(*TEST)
    build()
    run(PY, "scripts/fidelity.py", env=env())


def runbooks() -> None:
    venv(*TEST)
    build()
    run(PY, "scripts/run_runbooks.py", *sys.argv[2:], env=env())


COMMANDS = {"demo": demo, "test": test, "bench": bench, "fidelity": fidelity, "runbooks": runbooks}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        sys.exit(2)
    try:
        COMMANDS[sys.argv[1]]()
    except subprocess.CalledProcessError as e:
        sys.exit(e.returncode or 1)
