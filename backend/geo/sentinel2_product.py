"""Sentinel-2 products as analysts download them: a ``.SAFE`` folder, its ``.zip`` or its ``MTD_MSIL1C.xml`` /
``MTD_MSIL2A.xml``, Level-1C or Level-2A.

>>> product = read_product("S2A_MSIL2A_…SAFE.zip")
>>> path = stack_vrt(product)            # a VRT of reflectance on the 10 m grid, bands B04 B03 B2 … B12

The product XML gives the band files, the quantification value, the per-band offsets (``BOA_ADD_OFFSET`` /
``RADIO_ADD_OFFSET``, -1000 since processing baseline 04.00), the sensing time and the cloud cover; the tile
XML (``MTD_TL.xml``) gives the CRS and the grid of each resolution. GDAL 3.6's SENTINEL2 driver reports
neither the offsets nor the 60 m copies of the 10/20 m bands, so the XML is read here and the JPEG 2000 files
are read by GDAL directly (through ``/vsizip/`` for a zip).

The VRT applies reflectance = (DN + offset) / quantification (so products before and after baseline 04.00
give the same reflectance), declares DN 0 (no data) as NaN, and brings coarser bands to the grid with cubic
convolution: training brings its 20/40 m bands to finer grids with bicubic up-sampling
(``training/datasets/sentinel2.py``); GDAL's ``cubic`` is the same kernel family (Keys, a = -0.5 where torch
uses -0.75). Every grid shares the tile's upper-left corner, so the output is aligned with the 10 m grid.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import os
import re
import tempfile
# Product XML only after _xml() has refused any DTD (entity expansion); expat fetches no external entities.
import xml.etree.ElementTree as ET  # nosec B405
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from .errors import MaskError, RasterReadError
from .sentinel2_cache import prune_once, touch

BANDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12")  # band_id order
NATIVE_RESOLUTION = {"B01": 60, "B02": 10, "B03": 10, "B04": 10, "B05": 20, "B06": 20, "B07": 20, "B08": 10,
                     "B8A": 20, "B09": 60, "B10": 60, "B11": 20, "B12": 20}
DEFAULT_BANDS = ("B04", "B03", "B02", "B05", "B06", "B07", "B08", "B8A", "B11", "B12")  # super-resolution order
SCL_DEFAULT_CLASSES = (3, 8, 9, 10)  # cloud shadow, cloud medium and high probability, thin cirrus
UPSAMPLING = "cubic"
PRODUCT_TAG = "DIFFUSIONSAT_SENTINEL2_PRODUCT"  # in the VRT: the product it was made from

_XML_NAME = re.compile(r"^MTD_MSIL(1C|2A)\.xml$", re.IGNORECASE)
_SUFFIX = re.compile(r"^(?P<path>.+?):(?P<res>10|20|60)m$")
_GDAL_SUBDATASET = re.compile(r"^SENTINEL2_L(?:1C|2A):(?P<path>.+):(?P<res>10|20|60)m(?::EPSG_\d+)?$")
_IMAGE_FILE = re.compile(r"_(B\d{2}|B8A|SCL)(?:_(\d{2})m)?$")


class ProductError(RasterReadError):
    """A Sentinel-2 product that cannot be used as it is (corrupt, incomplete, inconsistent)."""


@dataclasses.dataclass
class TileGrid:
    ulx: float
    uly: float
    width: int
    height: int
    res: int


@dataclasses.dataclass
class Sentinel2Product:
    source: str  # what the user gave (folder, zip or XML)
    name: str  # PRODUCT_URI, e.g. S2A_MSIL2A_…SAFE
    level: str  # "L1C" or "L2A"
    baseline: str
    quantification: float
    offsets: Dict[str, float]  # band -> additive offset on DN (0 before baseline 04.00)
    sensing_time: Optional[str]
    cloud_cover: Optional[float]
    crs: str  # "EPSG:32629"
    grids: Dict[int, TileGrid]  # resolution (m) -> the tile's grid
    files: Dict[Tuple[str, int], str]  # (band or "SCL", resolution) -> GDAL path of the JPEG 2000 file
    tags: Dict[str, str]

    def scale(self, band: str) -> Tuple[float, float]:
        """(ratio, offset) such that reflectance = DN * ratio + offset."""
        return 1.0 / self.quantification, self.offsets.get(band, 0.0) / self.quantification


# ------------------------------------------------------------------------------ recognising a product
def split_source(source) -> Tuple[str, Optional[int]]:
    """``(path, resolution)`` of ``product``, ``product:60m`` or GDAL's ``SENTINEL2_L2A:…xml:20m:EPSG_…``."""
    text = os.fspath(source)
    for pattern in (_GDAL_SUBDATASET, _SUFFIX):
        m = pattern.match(text)
        if m and _looks_like_product(m.group("path")):
            return m.group("path"), int(m.group("res"))
    return text, None


def _looks_like_product(path: str) -> bool:
    p = Path(path)
    if _XML_NAME.match(p.name):
        return True
    if p.suffix.lower() == ".safe" or p.name.lower().endswith(".safe.zip"):
        return True
    if p.is_dir():
        return any(_XML_NAME.match(c.name) for c in p.iterdir())
    return p.suffix.lower() == ".zip" and re.match(r"^S2[A-D]_MSIL(1C|2A)_", p.name, re.IGNORECASE) is not None


def is_product(source) -> bool:
    """True for a Sentinel-2 product folder, zip or product XML (with an optional ``:NNm`` resolution)."""
    try:
        path, res = split_source(source)
        return res is not None or _looks_like_product(path)
    except (OSError, TypeError):
        return False


def _locate(path: str) -> Tuple[str, str, bytes]:
    """(root as GDAL path, XML file name, XML bytes) of a product folder, zip or XML."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"the Sentinel-2 product {path} does not exist")
    if p.is_file() and _XML_NAME.match(p.name):
        return str(p.parent.resolve()), p.name, p.read_bytes()
    if p.is_dir():
        found = sorted(c for c in p.iterdir() if _XML_NAME.match(c.name))
        if not found:
            raise ProductError(f"{p.name}: no MTD_MSIL1C.xml or MTD_MSIL2A.xml in this folder, so it is not a "
                               "Sentinel-2 product (or an incomplete one)")
        return str(p.resolve()), found[0].name, found[0].read_bytes()
    try:
        with zipfile.ZipFile(p) as z:
            names = [n for n in z.namelist() if _XML_NAME.match(n.rsplit("/", 1)[-1]) and n.count("/") <= 1]
            if not names:
                raise ProductError(f"{p.name}: the zip holds no MTD_MSIL1C.xml or MTD_MSIL2A.xml, so it is not a "
                                   "Sentinel-2 product")
            data = z.read(names[0])
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, OSError) as exc:
        raise ProductError(f"{p.name}: the zip is truncated or corrupt ({exc}); download the product again") from None
    folder, _, name = names[0].rpartition("/")
    root = f"/vsizip/{p.resolve()}" + (f"/{folder}" if folder else "")
    return root, name, data


# ------------------------------------------------------------------------------ reading the metadata
def _xml(data: bytes, what: str, product: str) -> ET.Element:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # ESA's metadata never has one: no entity expansion
        raise ProductError(f"{product}: {what} declares a DTD or entities, which Sentinel-2 metadata never has")
    try:
        return ET.fromstring(data)  # nosec B314 -- no DTD (checked above)
    except ET.ParseError as exc:
        raise ProductError(f"{product}: {what} is not valid XML ({exc})") from None


def _find(root: ET.Element, tag: str) -> Optional[ET.Element]:
    return next(root.iter(tag), None)


def _text(root: ET.Element, tag: str) -> Optional[str]:
    el = _find(root, tag)
    return el.text.strip() if el is not None and el.text else None


def _read_bytes(gdal_path: str) -> bytes:
    if gdal_path.startswith("/vsizip/"):
        inner = gdal_path[len("/vsizip/"):]
        zpath, _, member = inner.partition(".zip/")
        with zipfile.ZipFile(zpath + ".zip") as z:
            return z.read(member)
    return Path(gdal_path).read_bytes()


def read_product(source) -> Sentinel2Product:
    """The metadata of a Sentinel-2 product (folder, zip or XML); :class:`ProductError` when it is unusable."""
    path, _ = split_source(source)
    root, xml_name, data = _locate(path)
    shown = Path(path).name if not _XML_NAME.match(Path(path).name) else Path(path).parent.name
    meta = _xml(data, xml_name, shown)
    level = "L2A" if "2A" in xml_name.upper() else "L1C"
    name = _text(meta, "PRODUCT_URI") or shown
    quant = _text(meta, "BOA_QUANTIFICATION_VALUE" if level == "L2A" else "QUANTIFICATION_VALUE")
    if quant is None or float(quant) <= 0:
        raise ProductError(f"{name}: {xml_name} gives no quantification value, so DN cannot be turned into reflectance")
    offsets = {}
    for el in meta.iter("BOA_ADD_OFFSET" if level == "L2A" else "RADIO_ADD_OFFSET"):
        offsets[BANDS[int(el.get("band_id"))]] = float(el.text)
    files, granules = {}, set()
    for el in meta.iter("IMAGE_FILE"):
        rel = el.text.strip()
        m = _IMAGE_FILE.search(rel)
        if m:
            band, res = m.group(1), int(m.group(2) or NATIVE_RESOLUTION.get(m.group(1), 20))
            files[(band, res)] = f"{root}/{rel}.jp2"
            granules.add(rel.split("/IMG_DATA/")[0])
    if not files:
        raise ProductError(f"{name}: {xml_name} lists no band files")
    if len(granules) != 1:
        raise ProductError(f"{name}: the product holds {len(granules)} tiles; only single-tile products are read")
    tile_path = f"{root}/{granules.pop()}/MTD_TL.xml"
    try:
        tile = _xml(_read_bytes(tile_path), "MTD_TL.xml", name)
    except (OSError, KeyError):
        raise ProductError(f"{name}: its tile metadata {tile_path.split(root + '/')[-1]} is missing") from None
    grids = {}
    for size in tile.iter("Size"):
        res = int(size.get("resolution"))
        grids[res] = TileGrid(0.0, 0.0, int(_text(size, "NCOLS")), int(_text(size, "NROWS")), res)
    for pos in tile.iter("Geoposition"):
        grid = grids.get(int(pos.get("resolution")))
        if grid is not None:
            grid.ulx, grid.uly = float(_text(pos, "ULX")), float(_text(pos, "ULY"))
    crs = _text(tile, "HORIZONTAL_CS_CODE")
    if not crs or not grids:
        raise ProductError(f"{name}: MTD_TL.xml gives no CRS or tile grid")
    cloud = _text(meta, "Cloud_Coverage_Assessment")
    sensing = _text(meta, "DATATAKE_SENSING_START") or _text(meta, "PRODUCT_START_TIME") or _text(tile, "SENSING_TIME")
    tags = {"PRODUCT_URI": name, "PROCESSING_LEVEL": f"Level-{level[1:]}", "PROCESSING_BASELINE": _text(meta, "PROCESSING_BASELINE") or "",
            "QUANTIFICATION_VALUE": quant, "SPACECRAFT_NAME": _text(meta, "SPACECRAFT_NAME") or "",
            PRODUCT_TAG: os.path.abspath(path)}
    if sensing:
        tags["DATATAKE_SENSING_START"] = sensing
    if cloud is not None:
        tags["CLOUD_COVERAGE_ASSESSMENT"] = cloud
    return Sentinel2Product(source=os.path.abspath(path), name=name, level=level, baseline=tags["PROCESSING_BASELINE"],
                            quantification=float(quant), offsets=offsets, sensing_time=sensing,
                            cloud_cover=float(cloud) if cloud is not None else None, crs=crs, grids=grids,
                            files=files, tags=tags)


# ------------------------------------------------------------------------------ choosing and checking band files
def _exists(gdal_path: str) -> bool:
    if gdal_path.startswith("/vsizip/"):
        try:
            inner = gdal_path[len("/vsizip/"):]
            zpath, _, member = inner.partition(".zip/")
            with zipfile.ZipFile(zpath + ".zip") as z:
                z.getinfo(member)
            return True
        except (KeyError, OSError, zipfile.BadZipFile):
            return False
    return os.path.isfile(gdal_path)


def band_sources(product: Sentinel2Product, bands: Sequence[str], resolution: int) -> Dict[str, Tuple[str, int]]:
    """band -> (file, its resolution) for a stack at ``resolution``: the band's file at that resolution, else
    (at 20/60 m) its native one resampled. Missing files: one :class:`ProductError` listing them all."""
    chosen, missing = {}, []
    for band in bands:
        native = NATIVE_RESOLUTION[band]
        candidates = list(dict.fromkeys([resolution, native])) if resolution != 10 or native == 20 else [10]
        for res in candidates:
            path = product.files.get((band, res))
            if path and _exists(path):
                chosen[band] = (path, res)
                break
        else:
            missing.append(f"{band} ({candidates[-1]} m)")
    if missing:
        hint = ""
        if resolution != 60 and all(_exists(product.files.get((b, 60), "")) for b in bands if b != "B08"):
            hint = (f"; its 60 m bands are all there: open it at 60 m ('{product.name}:60m', or "
                    "resolution=60) without B08, which Level-2A has at 10 m only")
        raise ProductError(f"{product.name}: band files missing for a {resolution} m stack: {', '.join(missing)}"
                           f" (the product is incomplete; download it again){hint}")
    return chosen


def check_band_file(product: Sentinel2Product, band: str, path: str, res: int) -> None:
    """The band file's CRS, size and corner must be those the tile metadata gives for its resolution."""
    import rasterio
    from rasterio.errors import RasterioIOError

    grid = product.grids.get(res)
    try:
        with rasterio.open(path) as ds:
            crs, size, corner = ds.crs, (ds.width, ds.height), (ds.transform.c, ds.transform.f)
    except RasterioIOError as exc:
        raise ProductError(f"{product.name}: the {band} file {path.rsplit('/', 1)[-1]} cannot be read "
                           f"(truncated or corrupt?): {exc}") from None
    problems = []
    if grid is None:
        problems.append(f"the tile metadata has no {res} m grid")
    else:
        if size != (grid.width, grid.height):
            problems.append(f"it is {size[0]} x {size[1]} px where MTD_TL.xml says {grid.width} x {grid.height} at {res} m")
        if abs(corner[0] - grid.ulx) > res / 2 or abs(corner[1] - grid.uly) > res / 2:
            problems.append(f"its corner is ({corner[0]:.0f}, {corner[1]:.0f}) where MTD_TL.xml says "
                            f"({grid.ulx:.0f}, {grid.uly:.0f})")
    if crs is not None and crs.to_epsg() and f"EPSG:{crs.to_epsg()}" != product.crs:
        problems.append(f"its CRS is EPSG:{crs.to_epsg()} where MTD_TL.xml says {product.crs}")
    if problems:
        raise ProductError(f"{product.name}: the metadata disagrees with the {band} file: " + "; ".join(problems))


# ------------------------------------------------------------------------------ the VRT
def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "diffusionsat" / "sentinel2"


def _nodata_vrt(path: str, src: TileGrid, folder: Path) -> str:
    """A VRT over one band file that declares DN 0 as no data, so that GDAL's resampling leaves those pixels
    out of the kernel (a ComplexSource's NODATA is applied only after resampling, which darkens the edges)."""
    text = (f'<VRTDataset rasterXSize="{src.width}" rasterYSize="{src.height}"><VRTRasterBand dataType="Float32" band="1">'
            f'<NoDataValue>0</NoDataValue><SimpleSource><SourceFilename relativeToVRT="0">{_escape(path)}</SourceFilename>'
            f'<SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>\n')
    return str(_write_text(folder, f"{Path(path).stem}_nodata", text))


def _source_xml(path: str, src_res: int, dst: TileGrid, src: TileGrid, ratio: float, offset: float, nodata,
                folder: Path) -> str:
    factor = src_res / dst.res
    if factor != 1 and nodata is not None:
        path = _nodata_vrt(path, src, folder)
    resampling = "" if src_res == dst.res else f' resampling="{UPSAMPLING if factor > 1 else "average"}"'
    scale = f"<ScaleOffset>{offset!r}</ScaleOffset><ScaleRatio>{ratio!r}</ScaleRatio>" if ratio != 1 else ""
    nodata_xml = f"<NODATA>{nodata}</NODATA>" if nodata is not None else ""
    return (f'<ComplexSource{resampling}><SourceFilename relativeToVRT="0">{_escape(path)}</SourceFilename>'
            f'<SourceBand>1</SourceBand><SrcRect xOff="0" yOff="0" xSize="{src.width}" ySize="{src.height}"/>'
            f'<DstRect xOff="0" yOff="0" xSize="{dst.width}" ySize="{dst.height}"/>{nodata_xml}{scale}</ComplexSource>')


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def stack_vrt(product: Sentinel2Product, bands: Sequence[str] = DEFAULT_BANDS, resolution: int = 10,
              folder: Optional[Path] = None) -> str:
    """A VRT of the bands as float32 reflectance on the tile's ``resolution`` grid (DN 0 -> NaN); its path."""
    from rasterio.crs import CRS

    bands = [_code(b) for b in bands]
    if folder is None:
        folder = cache_dir()
        prune_once(folder)  # the cache stays bounded (sentinel2_cache)
    folder = Path(folder)
    dst = product.grids.get(resolution)
    if dst is None:
        raise ProductError(f"{product.name}: MTD_TL.xml has no {resolution} m grid")
    sources = band_sources(product, bands, resolution)
    parts = []
    for i, band in enumerate(bands, 1):
        path, res = sources[band]
        check_band_file(product, band, path, res)
        ratio, offset = product.scale(band)
        parts.append(f'<VRTRasterBand dataType="Float32" band="{i}"><Description>{band}</Description>'
                     f'<NoDataValue>nan</NoDataValue>'
                     f"{_source_xml(path, res, dst, product.grids[res], ratio, offset, 0, folder)}</VRTRasterBand>")
    tags = dict(product.tags, SENTINEL2_REFLECTANCE=f"(DN + offset) / {product.quantification:g}; offsets "
                + (", ".join(f"{b} {product.offsets[b]:g}" for b in bands if b in product.offsets) or "none"),
                SENTINEL2_RESAMPLING=f"{UPSAMPLING} (coarser bands to {resolution} m)")
    return _write_vrt(product, dst, CRS.from_string(product.crs).to_wkt(), parts, tags, f"{resolution}m", folder)


def _code(band: str) -> str:
    m = re.match(r"^B0*(8A|\d{1,2})$", band.strip().upper())
    if not m:
        raise ProductError(f"{band!r} is not a Sentinel-2 band name (B01 … B12, B8A)")
    return "B8A" if m.group(1) == "8A" else f"B{int(m.group(1)):02d}"


def _write_vrt(product, grid: TileGrid, wkt: str, parts: List[str], tags: dict, label: str, folder) -> str:
    metadata = "".join(f'<MDI key="{_escape(k)}">{_escape(str(v))}</MDI>' for k, v in sorted(tags.items()))
    text = (f'<VRTDataset rasterXSize="{grid.width}" rasterYSize="{grid.height}"><SRS>{_escape(wkt)}</SRS>'
            f"<GeoTransform>{grid.ulx!r}, {float(grid.res)!r}, 0.0, {grid.uly!r}, 0.0, {-float(grid.res)!r}</GeoTransform>"
            f"<Metadata>{metadata}</Metadata>{''.join(parts)}</VRTDataset>\n")
    return str(_write_text(folder, f"{Path(product.name).stem}_{label}", text))


def _write_text(folder: Path, stem: str, text: str) -> Path:
    """``folder/stem_<hash of text>.vrt``, written atomically once: the same content reuses the same file."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{stem}_{hashlib.sha256(text.encode()).hexdigest()[:10]}.vrt"
    if not out.exists():
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".vrt.tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, out)
    else:
        touch(out)  # used now: kept by the cache's pruning
    return out


# ------------------------------------------------------------------------------ entry points
def as_raster(source, resolution: Optional[int] = None, bands: Optional[Sequence[str]] = None) -> str:
    """The reflectance VRT of a product (default: the super-resolution bands at 10 m; at 20/60 m, those of
    them the product has there). ``source`` may carry the resolution (``…SAFE:60m`` or GDAL's subdataset)."""
    path, res = split_source(source)
    res = resolution or res or 10
    product = read_product(path)
    if bands is None:
        bands = [b for b in DEFAULT_BANDS if res == 10 or b != "B08" or (b, res) in product.files]
    return stack_vrt(product, bands, res)


def resolve_raster(source):
    """``source`` itself, or the reflectance VRT when it is a Sentinel-2 product (where a raster is accepted)."""
    if source is None or not isinstance(source, (str, os.PathLike)) or not is_product(source):
        return source
    return as_raster(source)


def scl_file(source, resolution: int = 20) -> str:
    """The scene classification (SCL) file of a Level-2A product (``resolution`` m, else the other one)."""
    path, _ = split_source(source)
    product = read_product(product_of(path) or path)
    if product.level != "L2A":
        raise MaskError(f"{product.name} is a Level-1C product: it has no scene classification (SCL); use the "
                        "Level-2A product of the same date, or another mask source")
    for res in (resolution, 20, 60):
        candidate = product.files.get(("SCL", res))
        if candidate and _exists(candidate):
            check_band_file(product, "SCL", candidate, res)
            return candidate
    raise ProductError(f"{product.name}: its scene classification (SCL) file is missing")


def cloud_classes_file(source) -> str:
    """A raster of SCL codes for the product's cloud mask: a Level-2A product's SCL; for a Level-1C product
    the clouds and shadows of the optional detector in SCL codes (:mod:`.l1c_clouds`)."""
    path, _ = split_source(source)
    product = read_product(product_of(path) or path)
    if product.level == "L2A":
        return scl_file(source)
    from .l1c_clouds import cloud_mask_file

    return cloud_mask_file(product)


def resolve_job(job):
    """``job`` with every Sentinel-2 product it names replaced: inputs and frames by their reflectance VRT, a
    mask raster by the product's SCL, or a Level-1C product's detected clouds in SCL codes (classes
    :data:`SCL_DEFAULT_CLASSES` unless classes or bits are given)."""
    changes = {}
    if getattr(job, "input", None) and is_product(job.input):
        changes["input"] = as_raster(job.input)
    if getattr(job, "frames", None) and any(is_product(p) for p, _ in job.frames):
        changes["frames"] = [(resolve_raster(p), d) for p, d in job.frames]
    mask = getattr(job, "mask", None)
    if mask is not None and mask.raster and is_product(mask.raster):
        default = mask.classes is None and mask.bits is None
        changes["mask"] = dataclasses.replace(mask, raster=cloud_classes_file(mask.raster),
                                              classes=list(SCL_DEFAULT_CLASSES) if default else mask.classes)
    return dataclasses.replace(job, **changes) if changes else job


def product_of(path) -> Optional[str]:
    """The product a raster was made from (our VRT's tag), or None."""
    if path is None:
        return None
    text = os.fspath(path)
    if is_product(text):
        return split_source(text)[0]
    if not text.lower().endswith(".vrt") or not os.path.isfile(text):
        return None
    m = re.search(rf'<MDI key="{PRODUCT_TAG}">([^<]*)</MDI>', Path(text).read_text(encoding="utf-8", errors="replace"))
    return m.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"') if m else None


def sensing_date(product: Sentinel2Product) -> Optional[_dt.date]:
    return _dt.date.fromisoformat(product.sensing_time[:10]) if product.sensing_time else None


__all__ = [
    "BANDS", "DEFAULT_BANDS", "SCL_DEFAULT_CLASSES", "ProductError", "Sentinel2Product", "as_raster", "band_sources",
    "is_product", "product_of", "read_product", "resolve_job", "resolve_raster", "scl_file", "split_source", "stack_vrt",
]
