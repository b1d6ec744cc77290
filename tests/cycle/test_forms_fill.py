"""Form cells left empty are filled from the register, agreements and reports."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from geomatch.cycle.forms_fill import fill_from_records
from geomatch.cycle.synth_records import synthesise_year
from geomatch.records.ledger import PERSONS_PER_HOUSEHOLD
from geomatch.records.orm import Agreement, ProgressReport
from geomatch.service.app import prepare_database
from geomatch.service.config import ServiceSettings
from geomatch.service.db import session_scope
from geomatch.service.models import Need, Unit


def test_empty_cells_come_from_the_records(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    factory = prepare_database(ServiceSettings(database_url=url, load_dataset=False))
    pairings = pd.DataFrame(
        {"need_id": ["VP-522631100201", "ST-522632-crop"], "helper_id": ["E1", "E1"],
         "kind": ["village_product", "station"], "adcode": ["522631", "522632"]}
    )  # fmt: skip
    helpers = pd.DataFrame(
        {"helper_id": ["E1"], "province_adcode": ["330000"], "kind": ["expert"], "name": ["王一"]}
    )
    with session_scope(factory) as session:
        for code, name in (("522631", "黎平县"), ("522632", "榕江县")):
            session.add(Unit(adcode=code, name=name, province_adcode="520000", province="贵州省",
                             prefecture="黔东南苗族侗族自治州"))  # fmt: skip
        session.add(Need(need_id="VP-522631100201", kind="village_product", adcode="522631",
                         unit_name="某某村"))  # fmt: skip
        synthesise_year(session, pairings, helpers, 2020, seed=5)
    cands = pd.DataFrame(
        {"candidate_id": ["C1", "C2"], "helper_id": ["E1", ""], "served_county": ["", ""],
         "served_province": ["", ""], "served_prefecture": ["", ""], "served_township": ["", ""],
         "served_village": ["", ""], "service_days": ["", "12"], "people_lifted": ["99", ""],
         "institution": ["", ""]}
    )  # fmt: skip
    with factory() as session:
        out = fill_from_records(cands, session)
        q = (
            sa.select(sa.func.sum(ProgressReport.service_days))
            .join(Agreement, Agreement.id == ProgressReport.agreement_id)
            .where(Agreement.helper_id == "E1")
        )
        days = session.execute(q).scalar_one()
    first = out.iloc[0]
    assert first["served_province"] == "贵州省" and first["served_county"] in ("黎平县", "榕江县")
    assert float(first["service_days"]) == round(float(days), 1)
    assert first["people_lifted"] == "99"  # given in the file: kept
    assert out.iloc[1]["service_days"] == "12" and out.iloc[1]["served_county"] == ""
    assert PERSONS_PER_HOUSEHOLD > 0
