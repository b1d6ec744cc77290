"""The embedded dataset: real boundaries and unit lists, the default synthetic scenario.

``load_dataset()`` returns a :class:`Dataset` whose attributes are read from ``data/``
(or ``root=``) the first time they are used and then kept (``functools.cached_property``).
Every geographic table is a GeoDataFrame in WGS84 (EPSG:4326, lon/lat degrees); codes
(adcodes, township and village codes) are **strings**. Treat the frames as read-only:
``load_dataset()`` caches one :class:`Dataset` per folder, so copy a frame before
changing it.

Layout of the folder (schemas and provenance in ``data/README.md``):

===========================  ===========================================================
file                         attribute
===========================  ===========================================================
``counties.parquet``         :attr:`Dataset.counties` — ~2,850 county-level polygons
``provinces.parquet``        :attr:`Dataset.provinces`
``prefectures.parquet``      :attr:`Dataset.prefectures`
``poor_counties.parquet``    :attr:`Dataset.poor_counties` — the 832 poor counties
``townships.parquet``        :attr:`Dataset.townships` — townships of the poor counties
``villages.parquet``         :attr:`Dataset.villages` — villages of the poor counties
``pairing_relations.csv``    :attr:`Dataset.pairing_relations` — 2016 east–west pairs
``museums.csv``              :attr:`Dataset.museums` — provincial science museums
``scenario/helpers.parquet`` :attr:`Dataset.helpers` — synthetic experts and societies
``scenario/needs.parquet``   :attr:`Dataset.needs` — synthetic needs
===========================  ===========================================================

Point layers (townships, villages, museums, helpers, needs) carry ``lon``/``lat`` columns
and a point ``geometry`` built from them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final

import geopandas as gpd
import pandas as pd

from geomatch.errors import DatasetMissingError
from geomatch.settings import WGS84, data_dir

__all__ = [
    "COLUMNS",
    "FILES",
    "Dataset",
    "load_dataset",
]

log = logging.getLogger(__name__)

#: Relative path of every file the loader reads, by attribute name.
FILES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "counties": "counties.parquet",
        "provinces": "provinces.parquet",
        "prefectures": "prefectures.parquet",
        "poor_counties": "poor_counties.parquet",
        "townships": "townships.parquet",
        "villages": "villages.parquet",
        "pairing_relations": "pairing_relations.csv",
        "museums": "museums.csv",
        "helpers": "scenario/helpers.parquet",
        "needs": "scenario/needs.parquet",
    }
)

#: The columns each attribute is guaranteed to have, in this order (``geometry`` last
#: where there is one). Files may carry more columns after these.
COLUMNS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "counties": (
            "adcode",
            "name",
            "province_adcode",
            "province",
            "prefecture_adcode",
            "prefecture",
            "region",
            "poor",
            "geometry",
        ),
        "provinces": ("adcode", "name", "region", "geometry"),
        "prefectures": ("adcode", "name", "province_adcode", "geometry"),
        "poor_counties": (
            "adcode",
            "name",
            "name_source",
            "province",
            "province_adcode",
            "prefecture",
            "prefecture_adcode",
            "region",
            "exit_year",
            "last_batch",
            "deep_poverty_area",
            "seat_lon",
            "seat_lat",
            "geometry",
        ),
        "townships": ("code", "name", "county_adcode", "lon", "lat", "location_quality"),
        "villages": (
            "code",
            "name",
            "township_code",
            "county_adcode",
            "lon",
            "lat",
            "location_quality",
        ),
        "pairing_relations": (
            "east_province",
            "east_province_adcode",
            "east_unit",
            "east_unit_adcode",
            "east_level",
            "west_province",
            "west_province_adcode",
            "west_unit",
            "west_adcode",
            "west_level",
            "evidence",
        ),
        "museums": (
            "province",
            "province_adcode",
            "museum",
            "city",
            "lon",
            "lat",
            "coord_precision",
        ),
        "helpers": (
            "helper_id",
            "name",
            "kind",
            "specialty",
            "level",
            "capacity",
            "capacity_days",
            "languages",
            "lon",
            "lat",
            "city",
            "city_adcode",
            "province_adcode",
            "province",
            "region",
            "institution",
            "source",
        ),
        "needs": (
            "need_id",
            "kind",
            "adcode",
            "unit_code",
            "unit_name",
            "lon",
            "lat",
            "location_quality",
            "category",
            "industry",
            "size",
            "priority",
            "deep_poverty_area",
            "language",
            "min_level",
            "station_role",
            "source",
        ),
    }
)

# Columns read as text from the CSV files (codes keep their leading digits).
_CSV_FLOAT_COLUMNS: Final = frozenset({"lon", "lat"})


class Dataset:
    """The embedded dataset in one folder, loaded attribute by attribute.

    Parameters
    ----------
    root
        The folder that holds the files of :data:`FILES`.

    Notes
    -----
    A missing file raises :class:`~geomatch.errors.DatasetMissingError` when its
    attribute is first used, naming the file and how to rebuild it (``make data``).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._base: Dataset | None = None

    def __repr__(self) -> str:
        return f"Dataset(root={str(self.root)!r})"

    def with_units(
        self, *, needs: pd.DataFrame | None = None, helpers: pd.DataFrame | None = None
    ) -> Dataset:
        """The same dataset with other needs and/or helpers (a run's own units).

        The other layers are this dataset's own frames, loaded once and shared.
        """
        view = Dataset(self.root)
        view._base = self
        if needs is not None:
            view.__dict__["needs"] = gpd.GeoDataFrame(needs)
        if helpers is not None:
            view.__dict__["helpers"] = gpd.GeoDataFrame(helpers)
        return view

    # -- helpers -----------------------------------------------------------------------

    def path(self, name: str) -> Path:
        """The path of the file behind attribute ``name`` (it need not exist)."""
        return self.root / FILES[name]

    def missing(self) -> list[str]:
        """The files of :data:`FILES` that are absent, as paths relative to the root."""
        return [rel for rel in FILES.values() if not (self.root / rel).is_file()]

    def _require(self, name: str) -> Path:
        path = self.path(name)
        if not path.is_file():
            raise DatasetMissingError(
                f"the dataset file {path} is missing ({name}). The embedded dataset in "
                f"{self.root} is absent or incomplete: rebuild it with `make data` "
                "(or `geomatch data build`), or point GEOMATCH_DATA_DIR at a folder that "
                "holds a complete dataset."
            )
        return path

    def _read_polygons(self, name: str) -> gpd.GeoDataFrame:
        if self._base is not None:
            frame: gpd.GeoDataFrame = getattr(self._base, name)
            return frame
        path = self._require(name)
        log.debug("reading %s", path)
        gdf = gpd.read_parquet(path)
        if gdf.crs is None or gdf.crs.to_epsg() != 4326:
            gdf = gdf.set_crs(WGS84, allow_override=True) if gdf.crs is None else gdf
            gdf = gdf.to_crs(WGS84)
        return gdf

    def _read_points(self, name: str) -> gpd.GeoDataFrame:
        if self._base is not None:
            frame: gpd.GeoDataFrame = getattr(self._base, name)
            return frame
        path = self._require(name)
        log.debug("reading %s", path)
        if path.suffix == ".csv":
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
            for col in _CSV_FLOAT_COLUMNS & set(df.columns):
                df[col] = df[col].astype("float64")
        else:
            df = pd.read_parquet(path)
        geometry = gpd.points_from_xy(df["lon"], df["lat"], crs=WGS84)
        return gpd.GeoDataFrame(df, geometry=geometry, crs=WGS84)

    # -- polygons ----------------------------------------------------------------------

    @functools.cached_property
    def counties(self) -> gpd.GeoDataFrame:
        """All county-level units of mainland China (coverage-simplified polygons)."""
        return self._read_polygons("counties")

    @functools.cached_property
    def provinces(self) -> gpd.GeoDataFrame:
        """Provinces dissolved from the counties."""
        return self._read_polygons("provinces")

    @functools.cached_property
    def prefectures(self) -> gpd.GeoDataFrame:
        """Prefecture-level units dissolved from the counties."""
        return self._read_polygons("prefectures")

    @functools.cached_property
    def poor_counties(self) -> gpd.GeoDataFrame:
        """The 832 national poor counties (831 distinct adcodes) with their polygons."""
        return self._read_polygons("poor_counties")

    # -- points ------------------------------------------------------------------------

    @functools.cached_property
    def townships(self) -> gpd.GeoDataFrame:
        """Townships of the poor counties with approximate points."""
        return self._read_points("townships")

    @functools.cached_property
    def villages(self) -> gpd.GeoDataFrame:
        """Villages of the poor counties with approximate points."""
        return self._read_points("villages")

    @functools.cached_property
    def museums(self) -> gpd.GeoDataFrame:
        """Provincial science museums (city-centre points)."""
        return self._read_points("museums")

    @functools.cached_property
    def helpers(self) -> gpd.GeoDataFrame:
        """The default synthetic helpers (experts and organisations)."""
        return self._read_points("helpers")

    @functools.cached_property
    def needs(self) -> gpd.GeoDataFrame:
        """The default synthetic needs derived from the policy targets."""
        return self._read_points("needs")

    # -- tables ------------------------------------------------------------------------

    @functools.cached_property
    def pairing_relations(self) -> pd.DataFrame:
        """The 2016 east–west pairing relations (all columns text)."""
        if self._base is not None:
            return self._base.pairing_relations
        path = self._require("pairing_relations")
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


@functools.lru_cache(maxsize=8)
def _cached(root: Path) -> Dataset:
    return Dataset(root)


def load_dataset(root: str | Path | None = None, *, cache: bool = True) -> Dataset:
    """Open the embedded dataset.

    Parameters
    ----------
    root
        The dataset folder; default :func:`geomatch.settings.data_dir` (``<repo>/data``
        or ``GEOMATCH_DATA_DIR``). ``tests/fixtures/mini_data`` holds a small real one.
    cache
        Return the same :class:`Dataset` (and so the same already-loaded frames) for the
        same folder; ``False`` gives a fresh one.

    Returns
    -------
    Dataset
        Nothing is read until an attribute is used.

    Raises
    ------
    DatasetMissingError
        If ``root`` is not a folder. (A missing file is reported when its attribute is
        first used.)
    """
    folder = Path(root) if root is not None else data_dir()
    if not folder.is_dir():
        raise DatasetMissingError(
            f"the dataset folder {folder} does not exist: build the embedded dataset with "
            "`make data` (or `geomatch data build`), or point GEOMATCH_DATA_DIR at one."
        )
    folder = folder.resolve()
    return _cached(folder) if cache else Dataset(folder)
