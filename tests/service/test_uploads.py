"""Uploads: valid tables in every accepted form, broken and hostile files."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest

from tests.service.conftest import Service

HELPERS = "helper_id,capacity,name,lon,lat\nH1,3,张三,120.15,30.28\nH2,2,李四,113.26,23.13\n"
NEEDS_BAD_ROW = "need_id,adcode,size\nN1,620121,5\nN2,620121,five\n"


def _post(service: Service, name: str, data: bytes, kind: str = "helpers", who: str = "national"):  # type: ignore[no-untyped-def]
    return service.client.post(
        "/api/datasets",
        data={"kind": kind},
        files={"file": (name, data, "application/octet-stream")},
        headers=service.h(who),
    )


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_csv_utf8_and_gbk_accepted(service: Service) -> None:
    r = _post(service, "helpers.csv", HELPERS.encode("utf-8"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["rows"] == 2 and body["kind"] == "helpers" and "capacity" in body["columns"]
    r = _post(service, "专家.csv", HELPERS.encode("gbk"))
    assert r.status_code == 201, r.text
    listed = service.client.get("/api/datasets", headers=service.h("analyst")).json()
    assert len(listed) >= 2
    audit = service.client.get("/api/audit", headers=service.h("national")).json()
    assert any(a["action"] == "upload" for a in audit)


def test_zip_and_gpkg_accepted(service: Service, tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = _post(service, "h.zip", _zip({"data/helpers.csv": HELPERS.encode()}))
    assert r.status_code == 201, r.text
    assert r.json()["filename"] == "h.zip:helpers.csv"
    import geopandas as gpd
    from shapely.geometry import Point

    gdf = gpd.GeoDataFrame(
        {"need_id": ["N1", "N2"], "adcode": ["620121", "520322"]},
        geometry=[Point(103.5, 36.7), Point(106.9, 28.1)],
        crs="EPSG:4326",
    )
    gdf.to_file(tmp_path / "needs.gpkg", driver="GPKG")
    r = _post(service, "needs.gpkg", (tmp_path / "needs.gpkg").read_bytes(), kind="needs")
    assert r.status_code == 201, r.text
    assert {"lon", "lat"} <= set(r.json()["columns"])


def test_invalid_table_names_file_row_column(service: Service) -> None:
    r = _post(service, "needs.csv", NEEDS_BAD_ROW.encode(), kind="needs")
    assert r.status_code == 422
    d = r.json()["detail"]
    assert d["file"] == "needs.csv" and d["row"] == 3 and d["column"] == "size"
    r = _post(service, "n.zip", _zip({"needs.csv": NEEDS_BAD_ROW.encode()}), kind="needs")
    d = r.json()["detail"]
    assert r.status_code == 422 and d["file"] == "n.zip:needs.csv" and d["row"] == 3
    r = _post(service, "h.csv", b"name,lon\nx,1\n")
    assert r.status_code == 422 and r.json()["detail"]["column"] == "helper_id"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("garbage.csv", bytes(range(256)) * 20),
        ("garbage.zip", b"PK\x03\x04" + b"\x00" * 200),
        ("garbage.gpkg", b"SQLite format 3\x00" + b"\x13" * 500),
        ("empty.csv", b""),
        ("header-only.csv", b"helper_id,capacity\n"),
        ("helpers.exe", b"MZ\x90\x00"),
        ("no-tables.zip", b""),
        ("quote.csv", b'helper_id,capacity\n"H1,3\n'),
    ],
)
def test_garbage_is_422(service: Service, name: str, data: bytes) -> None:
    if name == "no-tables.zip":
        data = _zip({"readme.txt": b"hello"})
    r = _post(service, name, data)
    assert r.status_code == 422, (name, r.text)
    assert r.json()["detail"]["message"]


def test_zip_bomb_refused(service: Service) -> None:
    bomb = _zip({"helpers.csv": b"helper_id,capacity\n" + b"0" * (300 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    r = _post(service, "bomb.zip", bomb)
    assert r.status_code == 413, r.text
    # a highly compressible member under the size limit is refused by its ratio
    r = _post(
        service, "ratio.zip", _zip({"helpers.csv": b"helper_id,capacity\n" + b" " * 5_000_000})
    )
    assert r.status_code == 413 and "compressed" in r.text


def test_lying_zip_headers_refused(service: Service) -> None:
    """A member whose header understates its size is stopped while reading."""
    from geomatch.errors import InputError
    from geomatch.service.uploads import _read_member

    data = _zip({"helpers.csv": b"a" * 100_000})
    zf = zipfile.ZipFile(io.BytesIO(data))
    info = zf.infolist()[0]
    info.file_size = 10  # the header lies
    with pytest.raises(InputError):  # too large or damaged: never an unhandled error
        _read_member(zf, info, budget=50_000, ratio=1000.0, display="x.zip")


@pytest.mark.parametrize(
    "member",
    ["../../etc/helpers.csv", "/abs/helpers.csv", "a/../../helpers.csv", "C:/win/helpers.csv"],
)
def test_path_traversal_refused(service: Service, member: str) -> None:
    r = _post(service, "evil.zip", _zip({member: HELPERS.encode()}))
    assert r.status_code == 422 and "outside the archive" in r.text
    home = service.settings.service_home
    assert not (home.parent / "etc").exists() and not (home / "abs").exists()


def test_symlink_member_refused(service: Service) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("helpers.csv")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    r = _post(service, "link.zip", buf.getvalue())
    assert r.status_code == 422 and "symbolic link" in r.text


def test_upload_size_limit(service: Service) -> None:
    # over the cap by the header (refused before reading) …
    big = b"helper_id,capacity\n" + b"H,1\n" * (int(service.settings.max_upload_bytes / 4) + 10)
    r = _post(service, "big.csv", big + b"H,1\n" * 20_000)
    assert r.status_code == 413
    # … and a file just over the upload limit inside the envelope's allowance
    r = _post(service, "big.gpkg", b"x" * (service.settings.max_upload_bytes + 10))
    assert r.status_code == 413 and "larger than" in r.text


def test_upload_roles_and_kind(service: Service) -> None:
    for who in ("analyst", "gansu"):
        assert _post(service, "helpers.csv", HELPERS.encode(), who=who).status_code == 403
    r = service.client.post(
        "/api/datasets", data={"kind": "helpers"}, files={"file": ("h.csv", HELPERS.encode())}
    )
    assert r.status_code == 401
    assert _post(service, "h.csv", HELPERS.encode(), kind="arcs").status_code == 422


def test_filename_is_sanitised(service: Service) -> None:
    r = _post(service, "../../../x/helpers.csv", HELPERS.encode())
    assert r.status_code == 201
    assert r.json()["filename"] == "helpers.csv"
