"""What a planner reads: the maps' index, search data, context layers, the national figure,
the province report and ``geomatch info --run``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from geomatch.errors import InputError
from geomatch.render.maps import write_maps
from geomatch.render.search import name_pinyin, pinyin_table
from tests.render.fixtures import MiniDataset


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.render.fixtures import load_mini_dataset, make_run

    base = tmp_path_factory.mktemp("planner")
    ds = load_mini_dataset()
    run = make_run(base / "run", ds)
    write_maps(run, base / "maps", ds, formats=("png", "svg", "pdf"), dpi=72)
    return base


def test_index_lists_every_province_page(drawn: Path):
    text = (drawn / "maps" / "index.html").read_text("utf-8")
    links = re.findall(r'href="(province/\d{6}\.html)">([^<]+)</a>', text)
    assert [n for _, n in links] == ["甘肃省", "宁夏回族自治区"]
    for link, _ in links:
        assert (drawn / "maps" / link).is_file()
    for target in ("national.html", "report.html", "national.png", "national.pdf"):
        assert f'href="{target}"' in text and (drawn / "maps" / target).is_file()
    # headline figures of 甘肃: 3 poor counties, 1 complete, 1 partial, 1 none
    row = text[text.index("甘肃省") :].split("</tr>")[0]
    assert re.findall(r"<td>(\d+)</td>", row)[:4] == ["3", "1", "1", "1"]
    assert "<script" not in text


def test_search_and_labels_are_on_every_page(drawn: Path):
    for page in ("national.html", "province/620000.html"):
        text = (drawn / "maps" / page).read_text("utf-8")
        assert "GM.search(" in text and "GM.labels(" in text
        assert '"kind":"县"' in text
    prov = (drawn / "maps" / "province" / "620000.html").read_text("utf-8")
    assert '"kind":"乡镇"' in prov and '"kind":"村"' in prov
    assert '"listMax":5' in prov  # tooltips capped, popups full
    chars = json.loads(re.search(r"GM\.search\(\w+, (\{.*?\}\}), ", prov).group(1))["chars"]
    assert chars["通"] == "tong" and chars["渭"] == "wei"


def test_province_page_has_a_month_key_and_bundles(drawn: Path):
    text = (drawn / "maps" / "province" / "620000.html").read_text("utf-8")
    assert "大篷车路线（月份）" in text and "5月" in text
    assert "expert bundles" in text and "宽度=人数" in text


def test_national_page_draws_taiwan_and_the_south_china_sea(drawn: Path):
    text = (drawn / "maps" / "national.html").read_text("utf-8")
    assert "台湾省" in text and "南海诸岛" in text and "南海断续线" in text
    assert "GM.inset(" in text and "不在本计划范围" in text


def test_figure_formats_and_resolution(drawn: Path):
    from PIL import Image

    png = Image.open(drawn / "maps" / "national.png")
    assert abs(png.size[0] - 11.69 * 72) <= 1 and abs(png.size[1] - 8.27 * 72) <= 1
    assert (drawn / "maps" / "national.pdf").read_bytes()[:5] == b"%PDF-"
    assert b"<svg" in (drawn / "maps" / "national.svg").read_bytes()[:400]


def test_figure_at_300_dpi(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    from PIL import Image

    write_maps(run_dir, tmp_path / "m", mini_ds, dpi=300)
    img = Image.open(tmp_path / "m" / "national.png")
    assert abs(img.size[0] - 11.69 * 300) <= 1
    assert round(img.info["dpi"][0]) == 300


def test_no_cjk_font_fails_clearly(
    tmp_path: Path, mini_ds: MiniDataset, run_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    from geomatch.render import static

    monkeypatch.setattr(static, "cjk_font", lambda: None)
    with pytest.raises(static.FontMissingError, match="fonts-wqy-zenhei") as err:
        write_maps(run_dir, tmp_path / "m", mini_ds)
    assert err.value.exit_code == 2
    assert not (tmp_path / "m").exists()


def test_pinyin_phrase_readings_are_kept():
    assert name_pinyin("重庆市") == ["chong", "qing", "shi"]
    table = pinyin_table(["重庆市", "重要村", "通渭县", ""])
    assert table.names["重庆市"] == "chong qing shi"  # 重 alone reads zhong
    assert "通渭县" not in table.names and table.chars["县"] == "xian"


def test_province_report(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    from geomatch.render.province_report import write_province_report

    out, rep = write_province_report(run_dir, "甘肃", tmp_path / "r.html", dataset=mini_ds)
    assert rep.province.adcode == "620000"
    status = dict(zip(rep.counties["县"], rep.counties["服务站团队"], strict=True))
    assert status == {"通渭县": "齐全", "渭源县": "部分", "岷县": "未配对"}
    missing = dict(zip(rep.counties["县"], rep.counties["缺少岗位"], strict=True))
    assert missing["渭源县"] == "养殖、医疗健康"
    # one fix per county and kind, in Chinese
    assert not rep.shortfall.duplicated(["县", "需求类型"]).any()
    assert rep.shortfall["建议"].str.contains(r"[\u4e00-\u9fff]").all()
    assert "流动科技馆巡展" in set(rep.shortfall.loc[rep.shortfall["县"] == "岷县", "需求类型"])
    dates = dict(zip(rep.museum["县"], rep.museum["巡展日期（目标每年 2 次）"], strict=True))
    assert "2020-04-01" in dates["通渭县"] and dates["岷县"] == "未排期"
    assert set(rep.caravan["县"]) == {"通渭县"} and "2020-05-11" in rep.caravan["日期"].iloc[0]
    text = out.read_text("utf-8")
    assert "@page{size:A4" in text and "<script>alert" not in text
    assert "各县缺口与建议" in text


def test_province_report_refuses_eastern_and_unknown(
    tmp_path: Path, mini_ds: MiniDataset, run_dir: Path
):
    from geomatch.render.province_report import write_province_report

    with pytest.raises(InputError, match="no poor counties"):
        write_province_report(run_dir, "120000", tmp_path / "r.html", dataset=mini_ds)
    with pytest.raises(InputError, match="province"):
        write_province_report(run_dir, "火星", tmp_path / "r.html", dataset=mini_ds)
    with pytest.raises(InputError, match="format"):
        write_province_report(run_dir, "62", tmp_path / "r.doc", fmt="doc", dataset=mini_ds)
    assert not (tmp_path / "r.html").exists()


def test_pdf_without_chromium_says_so(
    tmp_path: Path, mini_ds: MiniDataset, run_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    from geomatch.render import province_report

    monkeypatch.setattr(province_report, "chromium", lambda: None)
    with pytest.raises(province_report.BrowserMissingError, match="Chromium"):
        province_report.write_province_report(
            run_dir, "62", tmp_path / "r.pdf", fmt="pdf", dataset=mini_ds
        )
    assert not (tmp_path / "r.pdf").exists()


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs /usr/bin/chromium")
def test_pdf_with_chromium(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    from geomatch.render.province_report import write_province_report

    out, _ = write_province_report(run_dir, "62", tmp_path / "r.pdf", fmt="pdf", dataset=mini_ds)
    raw = out.read_bytes()
    assert raw[:5] == b"%PDF-"
    box = re.search(rb"/MediaBox ?\[0 0 ([\d.]+) ([\d.]+)\]", raw)
    assert box and round(float(box[1])) == 595 and round(float(box[2])) == 842  # A4, points


def test_info_run(run_dir: Path):
    from geomatch.render.run_info import run_info

    info = run_info(run_dir)
    facts = dict(info.facts)
    assert facts["seed"] == "20161207" and facts["status"] == "optimal"
    assert info.rows["pairings"] == 27 and info.rows["coverage"] is None


def test_run_unmet_summary_is_used_when_present(
    tmp_path: Path, mini_ds: MiniDataset, run_dir: Path
):
    """The pairing's unmet_summary.csv wins over the aggregation of unmet.csv; its English
    fix is shown behind the Chinese fix of its reason."""
    import pandas as pd

    from geomatch.render.exports import export_run
    from geomatch.render.province_report import write_province_report

    pd.DataFrame(
        {
            "province_adcode": ["620000"],
            "province": ["甘肃省"],
            "adcode": ["621126"],
            "county": ["岷县"],
            "kind": ["station"],
            "needs_total": [3],
            "unmet_needs": [3],
            "shortfall": [4],
            "reason": ["capacity_taken"],
            "fix": ["give helper H001 (1234 km) 4 more unit(s) of capacity"],
        }
    ).to_csv(run_dir / "unmet_summary.csv", index=False)
    _, rep = write_province_report(run_dir, "62", tmp_path / "r.html", dataset=mini_ds)
    assert len(rep.shortfall) == 1
    fix = rep.shortfall["建议"].iloc[0]
    assert fix.startswith("为帮扶方增加能力") and "H001" in fix
    out = export_run(run_dir, "csv", tmp_path / "zh", dataset=mini_ds, labels="zh")
    back = pd.read_csv(out / "unmet_summary.csv", encoding="utf-8-sig", dtype=str)
    assert back["建议"].iloc[0] == fix and back["主要原因"].iloc[0] == "帮扶方能力已满"


def test_pinyin_table_agrees_with_pypinyin_on_real_names(fixture_ds: object):
    """The compact table (one reading per character + phrase exceptions) gives the same
    pinyin as pypinyin reading each whole name, on the shared fixture's real names."""
    ds = fixture_ds
    names = sorted(
        {*ds.townships["name"], *ds.villages["name"], *ds.poor_counties["name"]}  # type: ignore[attr-defined]
    )
    table = pinyin_table([*names, "吕河镇", "二九〇农场", "长顺县"])
    for name in [*names, "吕河镇", "二九〇农场", "长顺县"]:
        want = "".join(name_pinyin(name))
        got = (
            table.names[name].replace(" ", "")
            if name in table.names
            else "".join(table.chars.get(c, c.lower()) for c in name)
        )
        assert got == want, name


def test_summarise_unmet_against_a_plain_count(mini_ds: MiniDataset):
    """Per county × kind over pairing and tour rows: the row count, the most frequent
    reason (ties: first code), its count and its category in the fix (several: each with
    its count), the names of province and county — checked with collections.Counter."""
    from collections import Counter

    import numpy as np
    import pandas as pd

    from geomatch.model.categories import CATEGORY_ZH
    from geomatch.render.shortfall import summarise_unmet
    from geomatch.render.units import unit_names

    rng = np.random.default_rng(5)
    needs = mini_ds.needs.sample(60, replace=True, random_state=5).drop_duplicates("need_id")
    reasons = np.array(["capacity_taken", "capacity_taken", "side_constraint"])
    pairing = pd.DataFrame(
        {
            "need_id": needs["need_id"].to_numpy(),
            "reason": reasons[rng.integers(0, 3, len(needs))],
            "stage": "pairing",
            "adcode": "",  # the county and kind come from the need
            "category": np.array(["crop", "health", ""])[rng.integers(0, 3, len(needs))],
            "fix_distance_km": rng.integers(10, 900, len(needs)).astype(float),
        }
    )
    tours = pd.DataFrame(
        {
            "need_id": ["museum:621126:1", "museum:621126:2", "N-x", "N-y", "N-z"],
            "reason": ["no_set_capacity", "season_closed", "no_trip_days"]
            + ["unreachable_in_day"] * 2,
            "stage": ["museum", "museum", "caravan", "caravan", "caravan"],
            "adcode": ["621126", "621126", "621121", "621121", "621121"],
        }
    )
    unmet = pd.concat([pairing, tours], ignore_index=True)
    names = unit_names(mini_ds)  # type: ignore[arg-type]
    got = summarise_unmet(unmet, mini_ds.needs, names=names, radius_km=300)
    assert int(got["unmet_needs"].sum()) == len(unmet)
    got = got.set_index(["adcode", "kind"])
    rows = pairing.drop(columns="adcode").merge(
        mini_ds.needs[["need_id", "adcode", "kind"]], on="need_id"
    )
    tour_kind = {"museum": "museum_visit", "caravan": "caravan_stop"}
    rows = pd.concat([rows, tours.assign(kind=tours["stage"].map(tour_kind))], ignore_index=True)
    rows["category"] = rows["category"].fillna("")
    totals = Counter(zip(mini_ds.needs["adcode"], mini_ds.needs["kind"], strict=True))
    for (a, k), g in rows.groupby(["adcode", "kind"]):
        counts = Counter(g["reason"])
        top = max(counts.values())
        reason = min(r for r, c in counts.items() if c == top)
        row = got.loc[(a, k)]
        assert row["unmet_needs"] == len(g) and row["reason"] == reason
        assert f" {counts[reason]} " in row["fix"]
        assert (
            row["county"] == names.county[a] and row["province"] == names.province[a[:2] + "0000"]
        )
        if k in tour_kind.values():
            assert pd.isna(row["needs_total"])
            continue
        assert row["needs_total"] == totals[(a, k)]
        cats = Counter(g.loc[g["reason"] == reason, "category"])
        if len(cats) == 1:  # one category: named, no split
            (cat,) = cats
            assert (CATEGORY_ZH[cat] if cat else "相应专长") in row["fix"]
            assert "其中" not in row["fix"]
        else:  # several: each with its count
            parts = {c: f"{CATEGORY_ZH.get(c, '其他')} {m} 名" for c, m in cats.items()}
            assert all(part in row["fix"] for part in parts.values())
            if len(set(cats.values())) == len(cats):  # distinct counts: the largest first
                at = [row["fix"].index(parts[c]) for c in sorted(cats, key=lambda c: -cats[c])]
                assert at == sorted(at)
    assert len(got) == rows.groupby(["adcode", "kind"]).ngroups


def test_a_fix_splits_the_categories_it_asks_experts_for() -> None:
    """Rows of one county and kind in several categories: the fix names each with its
    count (largest first), not only the most frequent; unknown values as written."""
    import pandas as pd

    from geomatch.render.shortfall import summarise_unmet

    unmet = pd.DataFrame(
        {
            "need_id": ["a", "b", "c", "d", "e"],
            "reason": ["capacity_taken"] * 3 + ["no_specialty_match"] * 2,
            "adcode": ["510104"] * 3 + ["620102"] * 2,
            "kind": ["station"] * 3 + ["need"] * 2,
            "category": ["health", "crop", "health", "种值", "fishing"],
            "fix_distance_km": [420.0, 880.0, 10.0, float("nan"), float("nan")],
        }
    )
    got = summarise_unmet(unmet, None).set_index("adcode")["fix"]
    assert got["510104"] == "在 900 公里内增加 3 名驻站专家（其中医疗健康 2 名、种植 1 名）"
    assert got["620102"] == "增加 2 名专家（其中fishing 1 名、种值 1 名；目前没有这些专长）"


def test_a_stopped_run_asks_for_more_time_not_more_experts() -> None:
    """Needs left open by a run stopped before its proof: the county's fix is to run
    longer, and a helper with room is named as the one who can take the need."""
    import pandas as pd

    from geomatch.render.labels import fix_zh
    from geomatch.render.shortfall import summarise_unmet

    unmet = pd.DataFrame(
        {
            "need_id": ["a", "b"],
            "reason": ["stopped_early"] * 2,
            "adcode": ["510104"] * 2,
            "kind": ["need"] * 2,
            "category": ["health", "crop"],
            "fix_distance_km": [1100.0, float("nan")],
        }
    )
    got = summarise_unmet(unmet, None)
    again = "延长求解时间（--time-limit）或增加轮数后重算"
    assert got["fix"].tolist() == [f"{again}：这 2 项需求可能配上"]
    assert fix_zh("stopped_early", "H1", 1100.0) == f"{again}：帮扶方 H1（1100 公里）可以接手"
    assert fix_zh("stopped_early") == again


def test_every_pairing_reason_has_its_chinese_label_detail_and_fix() -> None:
    """A reason code added to the pairing's explanations is translated everywhere a
    planner reads it: the short label, the sentence, the fix and the county summary."""
    import pandas as pd

    from geomatch.render.labels import REASON_LABEL_ZH, fix_zh
    from geomatch.render.shortfall import summarise_unmet
    from geomatch.solve.pairing_explain import REASON_ZH, REASONS

    for code in REASONS:
        assert REASON_LABEL_ZH.get(code) and REASON_ZH.get(code), code
        assert fix_zh(code), code
        row = pd.DataFrame(
            {"need_id": ["a"], "reason": [code], "adcode": ["510104"], "kind": ["need"],
             "category": ["health"], "fix_distance_km": [100.0]}
        )  # fmt: skip
        assert summarise_unmet(row, None)["fix"].iloc[0], code
