"""The tables of a run, each declared once: file, columns, dtypes, labels, province scope.

A scenario run (:func:`geomatch.pipeline.run_scenario`) produces the tables below and
:class:`geomatch.run_result.RunResult` carries them in memory from the solve stages to
coverage/KPI and on to maps, exports and the web service. Every writer and reader goes
through these declarations (docs/ARCHITECTURE.md, "The run-table contract"):

================== ======================= ===========================================
table              file                    one row per
================== ======================= ===========================================
``pairings``       ``pairings.csv``        need → helper pair, with cost components
``unmet``          ``unmet.csv``           need or visit left unserved, with ``stage``,
                                           a reason code and, for the pairing, the fix
``unmet_summary``  ``unmet_summary.csv``   province × county × kind shortfall (pairing
                                           and tours) and the cheapest fix
``museum_visits``  ``museum_visits.csv``   mobile science-museum visit
``caravan_tours``  ``caravan_tours.csv``   science-caravan stop
``coverage``       ``coverage.csv``        poor county (what the run gives it)
``kpi``            ``kpi.csv``             province, then one national row
================== ======================= ===========================================

Each column is a :class:`~geomatch.io.schema.Column` of the input-schema machinery
(:mod:`geomatch.io.schema`): ``kind`` fixes its dtype in memory (:data:`DTYPES`),
``required`` the columns a run folder must have, ``label`` the Chinese header of exports.
:attr:`RunTable.scope` names the column whose administrative code (county, township,
village or province) places a row in a province: the web service's security scope
(:func:`province_scope`). A row whose scope column is empty is national-only.

Costs are integer cost units (1 unit = 1 road km).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

import pandas as pd

from geomatch.io.schema import TRUE_TEXT, Column, Kind, TableSchema

__all__ = [
    "COST_COMPONENTS",
    "DTYPES",
    "GENERIC_KIND",
    "RUN_TABLES",
    "TOUR_KINDS",
    "UNMET_STAGES",
    "RunTable",
    "carried_need_columns",
    "carry_need_columns",
    "conform",
    "empty_table",
    "province_scope",
    "run_table",
    "unmet_columns",
]

#: In-memory dtype of each column kind (what :func:`conform` and a read-back give).
DTYPES: Final[Mapping[Kind, str]] = MappingProxyType(
    {
        "str": "str",
        "adcode": "str",
        "date": "str",
        "int": "Int64",
        "float": "float64",
        "lon": "float64",
        "lat": "float64",
        "bool": "boolean",
    }
)

#: Parts of a pair's cost: travel (km × detour × cost per km), specialty fit, and the
#: bonus lost outside the east–west relation.
COST_COMPONENTS: Final[tuple[str, ...]] = ("travel_cost", "fit_cost", "relation_cost")


@dataclass(frozen=True)
class RunTable:
    """One table of a run.

    Attributes
    ----------
    schema
        Name and columns (order = file order).
    label
        Chinese name (export sheet or file label).
    scope
        The column whose code places a row in a province, or ``None`` for a table that
        has no province (none today).
    stage
        The stage that produces it: ``pairing``, ``tours``, ``coverage``.
    """

    schema: TableSchema
    label: str
    scope: str | None
    stage: str

    @property
    def name(self) -> str:
        """Table name (``pairings``…)."""
        return self.schema.name

    @property
    def file(self) -> str:
        """File name inside a run folder."""
        return f"{self.schema.name}.csv"

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names in file order."""
        return tuple(c.name for c in self.schema.columns)

    @property
    def required(self) -> tuple[str, ...]:
        """Columns every file of this table must have."""
        return tuple(c.name for c in self.schema.columns if c.required)

    @property
    def labels(self) -> dict[str, str]:
        """Column → Chinese label."""
        return {c.name: c.label for c in self.schema.columns if c.label}

    def path(self, run_dir: str | Path) -> Path:
        """The table's file in ``run_dir``."""
        return Path(run_dir) / self.file


def _c(name: str, kind: Kind, label: str, description: str = "", *, key: bool = False) -> Column:
    return Column(name, kind, required=key, label=label, description=description)


def _table(name: str, label: str, scope: str | None, stage: str, *columns: Column) -> RunTable:
    return RunTable(TableSchema(name, columns), label, scope, stage)


_PAIRINGS = _table(
    "pairings",
    "结对",
    "adcode",
    "pairing",
    _c("need_id", "str", "需求编号", key=True),
    _c("helper_id", "str", "帮扶方编号", key=True),
    _c("cost", "int", "成本", "cost units of the pair (1 = 1 road km)", key=True),
    _c("load", "int", "占用能力", "capacity the pair uses", key=True),
    _c("distance_km", "float", "距离(公里)", "road km from helper to need"),
    _c("travel_cost", "int", "交通成本", "km × detour × cost per km"),
    _c("fit_cost", "int", "专业匹配成本", "specialty fit"),
    _c("relation_cost", "int", "协作关系成本", "bonus lost outside the east–west relation"),
    _c("change_cost", "int", "变更成本", "penalty for changing last year's pair"),
    _c("relation", "bool", "东西部协作对口", "helper's province serves the need's"),
    _c("locked", "bool", "锁定", "pair fixed by the planner"),
    _c("changed", "bool", "已变更", "differs from last year's pair"),
    _c("kind", "str", "需求类型"),
    _c("category", "str", "产业类别"),
    _c("specialty", "str", "专长", "the helper's specialty"),
    _c("priority", "str", "优先级"),
    _c("adcode", "adcode", "县级代码", "county of the need"),
    _c("reason", "str", "原因", "why this helper"),
)

_UNMET = _table(
    "unmet",
    "未满足",
    "adcode",
    "pairing",
    _c("need_id", "str", "需求编号", "the need, or museum:<adcode>:<n> for a visit", key=True),
    _c("reason", "str", "原因", "reason code", key=True),
    _c("reason_zh", "str", "原因说明", "the reason code in Chinese (pairing)"),
    _c("stage", "str", "环节", "pairing | museum | caravan"),
    _c("priority", "str", "优先级"),
    _c("category", "str", "产业类别"),
    _c("adcode", "adcode", "县级代码"),
    _c("penalty", "int", "未满足代价", "cost units of leaving it unmet"),
    _c("detail", "str", "说明"),
    _c("fix_helper_id", "str", "建议帮扶方", "the helper whose extra capacity fixes it"),
    _c("fix_distance_km", "float", "建议帮扶方距离(公里)"),
    _c("fix", "str", "建议", "the cheapest fix"),
    _c("kind", "str", "需求类型"),
    _c("visit_no", "int", "巡展序次"),
    _c("stop_code", "str", "站点代码"),
)

#: The ``stage`` values of ``unmet`` rows and the declared columns each one fills (the
#: others stay empty on its rows): the pairing's unmet needs with their reason and fix,
#: the museum's unscheduled visits (``need_id`` = ``museum:<adcode>:<n>``), the caravan's
#: unreached needs at their stop. Each stage builds its rows with
#: :func:`unmet_columns`; nothing else lists them.
UNMET_STAGES: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "pairing": frozenset(_UNMET.columns) - {"visit_no", "stop_code"},
        "museum": frozenset({"need_id", "reason", "stage", "adcode", "detail", "kind", "visit_no"}),
        "caravan": frozenset(
            {"need_id", "reason", "stage", "adcode", "detail", "kind", "stop_code"}
        ),
    }
)

_UNMET_SUMMARY = _table(
    "unmet_summary",
    "缺口汇总",
    "province_adcode",
    "coverage",
    _c("province_adcode", "adcode", "省级代码", key=True),
    _c("province", "str", "省份"),
    _c("adcode", "adcode", "县级代码", "county; empty on a province total row"),
    _c("county", "str", "县"),
    _c("kind", "str", "需求类型", key=True),
    _c("needs_total", "int", "需求总数"),
    _c("unmet_needs", "int", "未满足需求数", key=True),
    _c("shortfall", "int", "能力缺口", "capacity units missing"),
    _c("reason", "str", "主要原因", "most frequent reason code"),
    _c("fix", "str", "建议", "the cheapest fix"),
)

_MUSEUM_VISITS = _table(
    "museum_visits",
    "流动科技馆巡展",
    "adcode",
    "tours",
    _c("adcode", "adcode", "县级代码", key=True),
    _c("set_id", "str", "展品套编号", key=True),
    _c("visit_no", "int", "巡展序次", key=True),
    _c("start_date", "date", "开始日期", key=True),
    _c("end_date", "date", "结束日期", key=True),
    _c("travel_km", "float", "行驶里程(公里)"),
)

_CARAVAN_TOURS = _table(
    "caravan_tours",
    "科普大篷车",
    "stop_code",
    "tours",
    _c("caravan_id", "str", "大篷车编号", key=True),
    _c("date", "date", "日期", key=True),
    _c("seq", "int", "站序", key=True),
    _c("stop_code", "str", "站点代码", "township (9) or village (12) code", key=True),
    _c("travel_km", "float", "行驶里程(公里)"),
    _c("adcode", "adcode", "县级代码"),
    _c("stop_kind", "str", "站点类型"),
    _c("stop_name", "str", "站点名称"),
    _c("return_km", "float", "返程里程(公里)"),
)

_COVERAGE = _table(
    "coverage",
    "县覆盖",
    "adcode",
    "coverage",
    _c("adcode", "adcode", "县级代码", key=True),
    _c("name", "str", "名称", key=True),
    _c("province", "str", "省份", key=True),
    _c("station_team", "str", "专家服务站团队", "complete | partial | none", key=True),
    _c("museum_visits", "int", "流动科技馆巡展次数", key=True),
    _c("caravan_visits", "int", "大篷车到站次数", key=True),
    _c("experts", "int", "结对专家/组织数", key=True),
    _c("unmet_needs", "int", "未满足需求数", key=True),
    _c("province_adcode", "adcode", "省级代码"),
    _c("prefecture", "str", "地市"),
    _c("region", "str", "东中西部"),
    _c("exit_year", "int", "摘帽年份"),
    _c("deep_poverty_area", "str", "深度贫困地区"),
    _c("station_roles_paired", "str", "已配对岗位"),
    _c("needs_total", "int", "需求总数"),
    _c("needs_paired", "int", "已配对需求数"),
    _c("caravan_days", "int", "大篷车出车天数"),
    _c("townships_total", "int", "乡镇数"),
    _c("townships_reached", "int", "大篷车到达乡镇数"),
    _c("township_share", "float", "乡镇到达比例"),
    _c("villages_total", "int", "行政村数"),
    _c("villages_reached", "int", "大篷车到达村数"),
    _c("village_share", "float", "村覆盖比例"),
    _c("unmet_visits", "int", "未排期巡展数"),
    _c("seat_lon", "float", "县城经度"),
    _c("seat_lat", "float", "县城纬度"),
)

_KPI = _table(
    "kpi",
    "指标",
    "province_adcode",
    "coverage",
    _c("scope", "str", "范围", "province | national", key=True),
    _c("province_adcode", "adcode", "省级代码", "empty on the national row"),
    _c("province", "str", "省份"),
    _c("poor_counties", "int", "贫困县数"),
    _c("associations_built", "int", "建立农技协数"),
    _c("township_federations", "int", "乡镇农技协联合会"),
    _c("village_associations", "int", "村级农技协"),
    _c("experts_mobilised", "int", "动员专家数"),
    _c("organisations_mobilised", "int", "动员组织数"),
    _c("needs_paired", "int", "已配对需求数"),
    _c("needs_total", "int", "需求总数"),
    _c("villages_covered", "int", "覆盖贫困村数"),
    _c("villages_total", "int", "行政村数"),
    _c("village_share", "float", "村覆盖比例"),
    _c("people_proxy", "str", "贫困人口覆盖(代理指标)"),
    _c("station_met", "int", "服务站达标县"),
    _c("station_missing", "int", "服务站未达标县"),
    _c("caravan_met", "int", "大篷车达标县"),
    _c("caravan_missing", "int", "大篷车未达标县"),
    _c("museum2_met", "int", "巡展两次达标县"),
    _c("museum2_missing", "int", "巡展未达标县"),
    _c("school_science_museum", "str", "农村中学科技馆"),
    _c("e_station", "str", "科普中国乡村e站"),
)

#: Every table of a run by name, in the order runs write and exports show them.
RUN_TABLES: Final[Mapping[str, RunTable]] = MappingProxyType(
    {
        t.name: t
        for t in (
            _PAIRINGS,
            _UNMET,
            _UNMET_SUMMARY,
            _MUSEUM_VISITS,
            _CARAVAN_TOURS,
            _COVERAGE,
            _KPI,
        )
    }
)


def run_table(name: str) -> RunTable:
    """The declaration of table ``name``.

    Raises
    ------
    KeyError
        With the known names, for an unknown table.
    """
    try:
        return RUN_TABLES[name]
    except KeyError:
        raise KeyError(f"unknown run table {name!r}; known: {', '.join(RUN_TABLES)}") from None


#: ``kind`` of a pairing ``unmet`` row whose needs file gives no kind.
GENERIC_KIND: Final = "need"

#: ``kind`` of the tours' ``unmet`` rows (visits and stops, not needs), by ``stage``.
TOUR_KINDS: Final[Mapping[str, str]] = MappingProxyType(
    {"museum": "museum_visit", "caravan": "caravan_stop"}
)


def unmet_columns(*stages: str) -> tuple[str, ...]:
    """The columns of ``unmet`` that rows of ``stages`` carry, in declared order.

    Raises
    ------
    KeyError
        An unknown stage (known: :data:`UNMET_STAGES`).
    """
    unknown = [s for s in stages if s not in UNMET_STAGES]
    if unknown:
        raise KeyError(f"unknown unmet stage(s) {unknown}; known: {', '.join(UNMET_STAGES)}")
    wanted = frozenset().union(*(UNMET_STAGES[s] for s in stages))
    return tuple(c for c in _UNMET.columns if c in wanted)


def _typed(values: pd.Series, kind: Kind) -> pd.Series:
    """``values`` in the dtype of ``kind`` (missing → ``""`` for text, ``NA`` otherwise)."""
    dtype = DTYPES[kind]
    if dtype == "str":
        text = values.astype("str")
        return text.where(values.notna(), "")
    if dtype == "boolean":
        # as io.schema reads yes/no cells: an empty cell is "no"
        if pd.api.types.is_bool_dtype(values.dtype):
            return values.fillna(False).astype("boolean")
        low = values.astype("str").str.strip().str.lower()
        return low.isin(TRUE_TEXT).astype("boolean")
    if not pd.api.types.is_numeric_dtype(values.dtype):
        values = values.where(values.astype("str").str.strip() != "", None)
    numbers = pd.to_numeric(values, errors="raise")
    return numbers.astype(dtype)


def empty_table(name: str) -> pd.DataFrame:
    """A table with no rows and every declared column in its dtype."""
    spec = run_table(name)
    return pd.DataFrame({c.name: pd.Series(dtype=DTYPES[c.kind]) for c in spec.schema.columns})


def _in_contract(df: pd.DataFrame, spec: RunTable) -> bool:
    """Whether ``df`` is already what :func:`conform` makes of it (nothing to convert)."""
    declared = [c.name for c in spec.schema.columns]
    if list(df.columns[: len(declared)]) != declared or not isinstance(df.index, pd.RangeIndex):
        return False
    if df.index.start != 0 or df.index.step != 1:
        return False
    kinds = [DTYPES[c.kind] for c in spec.schema.columns] + ["str"] * (df.shape[1] - len(declared))
    for (col, values), dtype in zip(df.items(), kinds, strict=True):
        if str(values.dtype) != dtype or (dtype == "str" and values.isna().any()):
            return False
        if not isinstance(col, str):
            return False
    return True


def conform(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """A copy of ``df`` in the contract of table ``name``.

    Declared columns come first, in declared order and dtype (absent ones are added,
    empty); other columns follow as text. This is what a write and a read back give,
    so a :class:`~geomatch.run_result.RunResult` is the same before and after a round
    trip through its run folder.

    Raises
    ------
    KeyError
        A required column is missing (a bug in the stage that made the table).
    ValueError
        A value does not fit its column's dtype (a bug in the stage that made it).
    """
    spec = run_table(name)
    missing = [c for c in spec.required if c not in df.columns]
    if missing:
        raise KeyError(f"{name}: required column(s) {', '.join(missing)} missing")
    if _in_contract(df, spec):  # e.g. a RunResult's table on its way to the file
        return df.copy()
    n = len(df)
    cols: dict[str, pd.Series] = {}
    for col in spec.schema.columns:
        values = (
            df[col.name].reset_index(drop=True)
            if col.name in df.columns
            else pd.Series([None] * n, dtype=object)
        )
        cols[col.name] = _typed(values, col.kind)
    for extra in df.columns:
        if str(extra) not in cols:
            cols[str(extra)] = _typed(df[extra].reset_index(drop=True), "str")
    return pd.DataFrame(cols, index=pd.RangeIndex(n))


def province_scope(df: pd.DataFrame, name: str) -> pd.Series:
    """Province adcode (``"520000"``) of each row of table ``name``; ``""`` if none.

    The province is read from the table's declared scope column (:attr:`RunTable.scope`):
    the first two digits of a county (6), township (9), village (12) or province code.
    Rows whose code is empty or not a code are national-only.
    """
    spec = run_table(name)
    if spec.scope is None or spec.scope not in df.columns:
        return pd.Series([""] * len(df), index=df.index, dtype="str")
    code = df[spec.scope].astype("str").str.strip()
    ok = code.str.fullmatch(r"\d{6}|\d{9}|\d{12}")
    return (code.str[:2] + "0000").where(ok, "")


#: The needs-file columns a bring-your-own run carries onto its ``pairings`` and ``unmet``
#: rows besides the ones these tables declare (the schema's names; others are carried too).
NEED_NAME_COLUMNS: Final = ("province", "county")


def carried_need_columns(needs: pd.DataFrame) -> list[str]:
    """The needs' columns that :func:`carry_need_columns` appends, in file order."""
    from geomatch.io.schema import NEEDS_SCHEMA

    known = {c.name for c in NEEDS_SCHEMA.columns} - set(NEED_NAME_COLUMNS)
    return [str(c) for c in needs.columns if str(c) not in known and c != "need_id"]


def carry_need_columns(df: pd.DataFrame, name: str, needs: pd.DataFrame) -> pd.DataFrame:
    """``df`` (table ``name``, keyed by ``need_id``) with the needs' own columns appended.

    The columns are :data:`NEED_NAME_COLUMNS` and every column of the needs file that its
    schema does not know (a planner's 备注, 联系人 …), so that nothing the planner gave is
    dropped on the way to the run's files. A column whose name the table declares
    already is carried as ``needs.<name>``. Rows of other ids (the tours' visits) get
    empty cells.
    """
    carried = carried_need_columns(needs)
    if not carried or not len(df):
        return df
    own = needs.set_index(needs["need_id"].astype("str"))  # ids are unique (schema)
    declared = set(run_table(name).columns)
    out = df.copy()
    ids = out["need_id"].astype("str")
    for col in carried:
        header = f"needs.{col}" if str(col) in declared or col in out.columns else str(col)
        values = ids.map(own[col])
        out[header] = values.where(values.notna(), "").astype("str")
    return out
