"""Re-executes the Jupyter runbooks in examples/ top to bottom and saves them with their outputs, so the
outputs on GitHub stay current: ``python3 dev.py runbooks`` (or ``.venv/bin/python scripts/run_runbooks.py
[NAME.ipynb ...]``). Each runbook starts its own embedded emulator in its first cell; nothing leaves the machine."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def execute(path: Path) -> nbformat.NotebookNode:
    """Runs a notebook in a fresh ``python3`` kernel (this interpreter's); raises on the first failing cell."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def main(argv: list) -> int:
    paths = [EXAMPLES / a for a in argv] if argv else sorted(EXAMPLES.glob("*.ipynb"))
    for path in paths:
        nb = execute(path)
        nbformat.write(nb, path)
        print(f"executed and saved {path.relative_to(EXAMPLES.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
