"""Urban or rural: the class of a township or village unit, from its NBS code and name.

The NBS 城乡划分代码 (urban–rural class, e.g. 111 主城区, 220 村庄) is not in the reference
files (``china-division`` drops it, reference PROVENANCE §4), so the class is read from
the two things the files do carry, both set by the NBS coding rules of 统计用区划代码:

* **townships** (9-digit code): serial ``001–099`` is a 街道 (sub-district) — urban; a name
  with 街道 or 社区, or of a development zone (开发区, 工业园, 产业园, 高新区), is urban too.
  镇 (``100–199``), 乡 (``200–399``) and farms, forest farms and pastures (``4xx–5xx``)
  are rural;
* **villages** (12-digit code): serial ``001–199`` is a 居民委员会 (residents' committee) —
  urban; a name with 居委会, 居民委员会 or 社区 is urban too (about 750 such units carry a
  village serial: communities of schools and development zones), unless it ends in 村委会 /
  村民委员会 (``XX社区村委会`` is a rural community). ``200–399`` 村民委员会 are rural.

On the poor counties' units the two rules agree for every 居委会-coded village and every
街道-coded township (checked by ``tests/databuild/test_units.py``).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

__all__ = ["URBAN_RURAL", "township_class", "village_class"]

#: The two values of the ``urban_rural`` column.
URBAN_RURAL: Final = ("urban", "rural")

_TOWNSHIP_URBAN_NAME: Final = r"街道|社区|开发区|工业园|产业园|高新区"
_VILLAGE_URBAN_NAME: Final = r"居委会|居民委员会|社区"


def _classify(urban: np.ndarray) -> np.ndarray:
    return np.where(urban, "urban", "rural").astype(object)


def township_class(codes: pd.Series, names: pd.Series) -> np.ndarray:
    """``'urban'`` / ``'rural'`` for 9-digit township codes and their names."""
    serial = codes.astype(str).str[6:9].astype(int).to_numpy()
    by_name = names.astype(str).str.contains(_TOWNSHIP_URBAN_NAME, regex=True).to_numpy()
    return _classify((serial < 100) | by_name)


def village_class(codes: pd.Series, names: pd.Series) -> np.ndarray:
    """``'urban'`` / ``'rural'`` for 12-digit village codes and their names."""
    serial = codes.astype(str).str[9:12].astype(int).to_numpy()
    text = names.astype(str)
    village = text.str.endswith(("村委会", "村民委员会")).to_numpy()
    by_name = text.str.contains(_VILLAGE_URBAN_NAME, regex=True).to_numpy() & ~village
    return _classify((serial < 200) | by_name)
