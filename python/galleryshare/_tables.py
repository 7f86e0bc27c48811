"""Lists of result rows that render as HTML tables in Jupyter (people would rather look at a table)."""

from __future__ import annotations

import html
from typing import Any, Dict, List, Sequence


class Table(list):
    """A list of dicts (rows) with ``_repr_html_``; ``pandas.DataFrame(table)`` works as for any list of dicts."""

    columns: Sequence[str] = ()

    def _columns(self) -> List[str]:
        cols: List[str] = list(self.columns)
        for row in self:
            for key in row:
                if key not in cols:
                    cols.append(key)
        return cols

    def _repr_html_(self) -> str:
        cols = self._columns()
        head = "".join(f"<th style='text-align:left'>{html.escape(c)}</th>" for c in cols)
        body = "".join(
            "<tr>" + "".join(f"<td style='text-align:left'>{html.escape(_cell(row.get(c)))}</td>" for c in cols) + "</tr>"
            for row in self
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(v: Any) -> str:
    return "" if v is None else ", ".join(map(str, v)) if isinstance(v, list) else str(v)


class Findings(Table):
    """What ``explain_access`` found: one row per check (``verdict`` ok, info, warning or blocked), with the
    CLI, PowerShell and Python line that fixes each blocking one."""

    columns = ("check", "verdict", "detail", "fixPython")

    def blocked(self) -> List[Dict[str, Any]]:
        return [f for f in self if f["verdict"] == "blocked"]

    def __repr__(self) -> str:
        lines = []
        for f in self:
            lines.append(f"[{f['verdict']:>7}] {f['check']}: {f['detail']}")
            if f.get("fixPython"):
                lines.append(f"          fix: {f['fixPython']}")
        return "\n".join(lines)


class SharingReport(Table):
    """Who can reach each gallery: ``access`` is rbac, subscription, tenant or community."""

    columns = ("gallery", "resourceGroup", "permissions", "access", "principal", "role", "inheritedFrom", "target")
