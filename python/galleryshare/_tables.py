"""Lists of result rows that render as HTML tables in Jupyter (people would rather look at a table)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: `typing` is a noticeable share of `import galleryshare`
    from typing import Any, Dict, List, Sequence


def _escape(text: str) -> str:
    """HTML-escaped; `html` (and its entity tables) is imported on first use, by notebooks only."""
    from html import escape

    return escape(text)


class Table(list):
    """A list of dicts (rows) with ``_repr_html_``; ``pandas.DataFrame(table)`` works as for any list of dicts."""

    # No per-instance __dict__: a result is made and freed per call, and cheaper so (as a plain list is).
    __slots__ = ()
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
        head = "".join(f"<th style='text-align:left'>{_escape(c)}</th>" for c in cols)
        body = "".join(
            "<tr>" + "".join(f"<td style='text-align:left'>{_escape(_cell(row.get(c)))}</td>" for c in cols) + "</tr>"
            for row in self
            if isinstance(row, dict)
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, list) and all(not isinstance(i, (dict, list)) for i in v):
        return ", ".join(map(str, v))
    if isinstance(v, (dict, list)):
        import json

        return json.dumps(v, separators=(", ", ": "))
    return str(v)


# The columns people look for first in an ARM resource; the rest follow in the result's own order.
_LEADING = ("name", "resourceGroup", "location", "provisioningState", "uniqueId", "displayName",
            "roleDefinitionName", "principalName", "principalType", "scope")


class ResultList(Table):
    """What a CLI-mirror command returns for a list: a plain ``list`` (``az ... -o json``) that also renders
    as an HTML table in Jupyter, one row per item."""

    __slots__ = ()

    def _columns(self) -> List[str]:
        if not all(isinstance(row, dict) for row in self):
            return []
        keys: List[str] = []
        for row in self:
            keys.extend(k for k in row if k not in keys)
        return [k for k in _LEADING if k in keys] + [k for k in keys if k not in _LEADING]

    def _repr_html_(self) -> str:
        if not self._columns():
            body = "".join(f"<tr><td style='text-align:left'>{_escape(_cell(v))}</td></tr>" for v in self)
            return f"<table><tbody>{body}</tbody></table>"
        return super()._repr_html_()


class ResultDict(dict):
    """What a CLI-mirror command returns for one object: a plain ``dict`` that renders as a two-column
    HTML table (property, value) in Jupyter."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        keys = [k for k in _LEADING if k in self] + [k for k in self if k not in _LEADING]
        rows = "".join(f"<tr><th style='text-align:left'>{_escape(str(k))}</th>"
                       f"<td style='text-align:left'>{_escape(_cell(self[k]))}</td></tr>" for k in keys)
        return f"<table><tbody>{rows}</tbody></table>"


def result_table(value: Any) -> Any:
    """Top-level lists and dicts gain ``_repr_html_``; anything else (a query's string, None) is as it was."""
    if type(value) is list:
        return ResultList(value)
    if type(value) is dict:
        return ResultDict(value)
    return value


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
