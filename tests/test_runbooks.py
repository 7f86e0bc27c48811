"""The Jupyter runbooks in examples/ execute top to bottom (nbclient, a fresh ``python3`` kernel each), their
result cells render as HTML tables, and neither the fresh outputs nor the saved files carry a secret.

Result cells are tagged ``result`` in the notebooks; ``python3 dev.py runbooks`` re-executes and saves them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator, List

import pytest

import nbformat
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
RUNBOOKS = ["rbac.ipynb", "direct_sharing.ipynb", "community.ipynb", "cross_tenant.ipynb"]
# What the emulator's secrets and passwords look like (40 random alphanumerics), and what tokens look like.
SECRET_SHAPE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{40}(?![A-Za-z0-9])")
LEAKS = ("PRIVATE KEY", "eyJ")  # a PEM key, a JWT (base64 of '{"')
REVEAL = "import json; print('SECRETS=' + json.dumps([a.secret for a in d.apps] + [u.password for u in d.users]))"


def outputs_text(cells: List[nbformat.NotebookNode]) -> Iterator[str]:
    for cell in cells:
        for out in cell.get("outputs", []):
            yield json.dumps(out)


def result_cells(nb: nbformat.NotebookNode) -> List[nbformat.NotebookNode]:
    return [c for c in nb.cells if "result" in c.metadata.get("tags", [])]


def check_rendered(nb: nbformat.NotebookNode) -> None:
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].source.count("gs.emulator.start(lro_delay=0)") == 1, "the first cell starts the emulator"
    assert all(c.execution_count is not None for c in code), "every code cell ran"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert errors == []
    results = result_cells(nb)
    assert len(results) >= 5
    for cell in results:
        shown = [o for o in cell.outputs if o.output_type == "execute_result"]
        assert len(shown) == 1, cell.source
        assert "<table" in shown[0].data.get("text/html", ""), f"not a table: {cell.source}"
    for text in outputs_text(code):
        assert not any(leak in text for leak in LEAKS), text[:200]


@pytest.mark.parametrize("name", RUNBOOKS)
def test_runbook_executes_and_shows_tables_without_secrets(name):
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(REVEAL))
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(EXAMPLES)}}).execute()
    revealed = nb.cells.pop()
    secrets = json.loads(revealed.outputs[0].text.strip().split("SECRETS=", 1)[1])
    assert len(secrets) >= 4 and all(len(s) == 40 for s in secrets)
    check_rendered(nb)
    for text in outputs_text(nb.cells):
        assert not any(s in text for s in secrets), "a seeded secret reached a cell's output"


@pytest.mark.parametrize("name", RUNBOOKS)
def test_saved_runbook_has_current_outputs_and_no_secrets(name):
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    check_rendered(nb)
    for text in outputs_text(nb.cells):
        assert SECRET_SHAPE.search(text) is None, text[:200]
