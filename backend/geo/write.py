"""Writing GeoTIFFs safely: tiled + DEFLATE (or COG), provenance tags, atomic rename, input protection.

Every write goes to a hidden temporary file in the destination folder and is moved into place with
``os.replace`` only when complete, so a failure or a cancel never leaves a partial output. An output
path that is (resolves to, or is the same file as) one of the inputs is refused. Temporary names carry the
writing process's id (:func:`temp_prefix`): what a killed process left is removed by the next write to the
same output (:func:`remove_stale_temps`).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import re
import socket
import tempfile
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence, Union

import numpy as np
import rasterio
from rasterio.windows import Window

from ..version import __version__
from .errors import GeoError, OutputPathError
from .grids import Grid

PathLike = Union[str, os.PathLike]

TAG_PREFIX = "DIFFUSIONSAT_"


def provenance_tags(*, model: Optional[str] = None, checkpoint_sha256: Optional[str] = None,
                    seed: Optional[int] = None, steps: Optional[int] = None, scheduler: Optional[str] = None,
                    guidance: Optional[float] = None, prompt: Optional[str] = None, metadata=None,
                    task: Optional[str] = None, extra: Optional[Mapping[str, object]] = None) -> dict:
    """``DIFFUSIONSAT_*`` GeoTIFF tags (strings) describing how an output was made.

    ``metadata``: a SatMetadata (or its dict) stored as JSON; ``extra``: more fields, upper-cased and
    prefixed. ``DIFFUSIONSAT_VERSION`` and ``DIFFUSIONSAT_CREATED`` (UTC) are always set.
    """
    tags = {"DIFFUSIONSAT_VERSION": __version__,
            "DIFFUSIONSAT_CREATED": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    fields = {"MODEL": model, "CHECKPOINT_SHA256": checkpoint_sha256, "SEED": seed, "STEPS": steps,
              "SCHEDULER": scheduler, "GUIDANCE": guidance, "PROMPT": prompt, "TASK": task}
    for key, value in fields.items():
        if value is not None:
            tags[TAG_PREFIX + key] = str(value)
    if metadata is not None:
        data = metadata.to_dict() if hasattr(metadata, "to_dict") else dict(metadata)
        tags[TAG_PREFIX + "METADATA"] = json.dumps(data, sort_keys=True)
    for key, value in (extra or {}).items():
        key = str(key).upper()
        tags[key if key.startswith(TAG_PREFIX) else TAG_PREFIX + key] = value if isinstance(value, str) else json.dumps(value)
    return tags


def _host_tag() -> str:
    # a pid means something only on the machine that wrote the file (output folders may be network shares)
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


def temp_prefix(path: PathLike) -> str:
    """Name prefix of this process's temporary files beside ``path``: ``.<name>.p<pid>h<host>.``, so that a
    later run can tell the leftovers of a killed run from files that are still being written."""
    return f".{Path(os.fspath(path)).name}.p{os.getpid()}h{_host_tag()}."


_TEMP_ENDINGS = (".partial.tif", ".partial.cog.tif", ".samples.tif", ".patch.tif", ".patch_uncertainty.tif", ".part")


def _process_gone(pid: int) -> bool:
    if os.name == "nt":
        return False  # os.kill(pid, 0) would end the process on Windows: keep the file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists, under another user
        return False
    return False


def remove_stale_temps(path: PathLike) -> list:
    """Delete the temporary files an earlier run that was killed (SIGKILL, power cut) left beside ``path``:
    only names made by :func:`temp_prefix` for ``path``, on this host, whose process is gone. Returns them."""
    path = Path(os.fspath(path))
    pattern = re.compile(r"\.+" + re.escape(path.name) + r"\.p(\d+)h([0-9a-f]{6})\.")
    host, removed = _host_tag(), []
    try:
        entries = list(os.scandir(path.parent if str(path.parent) else "."))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        base = re.sub(r"(\.aux\.xml|\.msk)$", "", entry.name)
        if not match or match.group(2) != host or not base.endswith(_TEMP_ENDINGS):
            continue
        if entry.is_file(follow_symlinks=False) and _process_gone(int(match.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.normcase(str(a.resolve())) == os.path.normcase(str(b.resolve()))


def check_output_path(path: PathLike, inputs: Iterable[PathLike] = ()) -> Path:
    """Validate an output path: not an input, parent folder exists and is writable. Returns it resolved."""
    if path is None or str(path).strip() == "":
        raise OutputPathError("no output file was given")
    out = Path(os.fspath(path)).expanduser()
    for inp in inputs or ():
        if inp is None:
            continue
        inp_path = Path(os.fspath(inp)).expanduser()
        if _same_file(out, inp_path):
            raise OutputPathError(
                f"the output {out} is one of the input files; choose another name so the input is not overwritten"
            )
    if out.exists() and out.is_dir():
        raise OutputPathError(f"the output {out} is a folder; give a file name such as {out / 'result.tif'}")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.exists():
        raise OutputPathError(f"the output folder {parent} does not exist")
    if not parent.is_dir():
        raise OutputPathError(f"the output folder {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputPathError(f"the output folder {parent} is read-only; choose a folder you can write to")
    return out.resolve()


class GeoTIFFWriter:
    """Context manager writing a GeoTIFF on ``grid`` atomically (windowed writes allowed).

    >>> with GeoTIFFWriter("out.tif", grid, count=3, dtype="uint16", inputs=["in.tif"]) as w:
    ...     w.write(block, window=Window(0, 0, 256, 256))

    On a normal exit the file is finished (converted to a COG when ``cog=True``) and moved into place;
    on an exception (including cancellation) the temporary file is deleted and the exception propagates.
    """

    def __init__(self, path: PathLike, grid: Grid, count: int, dtype="float32", *, nodata=None,
                 descriptions: Optional[Sequence[Optional[str]]] = None, tags: Optional[Mapping[str, str]] = None,
                 band_tags: Optional[Sequence[Mapping[str, str]]] = None, cog: bool = False,
                 inputs: Iterable[PathLike] = (), blocksize: int = 256, compress: str = "DEFLATE",
                 interleave: str = "pixel", sparse: bool = False):
        self.path = check_output_path(path, inputs)
        self.grid = grid
        self.count = int(count)
        self.dtype = np.dtype(dtype)
        self.nodata = nodata
        self.descriptions = list(descriptions) if descriptions else None
        if self.descriptions is not None and len(self.descriptions) != self.count:
            raise GeoError(f"{len(self.descriptions)} band descriptions for {self.count} bands")
        self.tags = dict(tags or {})
        self.band_tags = list(band_tags) if band_tags else None
        self.cog = bool(cog)
        self.blocksize = int(blocksize)
        self.compress = compress
        self.interleave = interleave
        self.sparse = bool(sparse)  # blocks never written stay out of the file (they read as nodata, or 0)
        self.dataset = None
        self._tmp: Optional[Path] = None

    def _profile(self) -> dict:
        profile = dict(
            driver="GTiff", width=self.grid.width, height=self.grid.height, count=self.count,
            dtype=self.dtype.name, crs=self.grid.crs, transform=self.grid.transform, nodata=self.nodata,
            compress=self.compress, BIGTIFF="IF_SAFER",
        )
        if self.grid.width >= 16 and self.grid.height >= 16:
            bs = max(16, min(self.blocksize, 1 << (min(self.grid.width, self.grid.height).bit_length() - 1)))
            bs -= bs % 16
            profile.update(tiled=True, blockxsize=bs, blockysize=bs)
        if self.compress and self.compress.upper() in ("DEFLATE", "LZW", "ZSTD"):
            profile["predictor"] = 3 if self.dtype.kind == "f" else (2 if self.dtype.kind in "iu" else 1)
        if self.count > 1:
            profile["interleave"] = self.interleave
        if self.sparse:
            profile["SPARSE_OK"] = "TRUE"
        if self.count != 3:
            # GDAL would make a 4-band Byte GeoTIFF RGB + alpha: the 4th band (NIR ...) must stay data
            profile["photometric"] = "MINISBLACK"
        return profile

    def _new_temp(self, suffix: str) -> Path:
        try:
            fd, name = tempfile.mkstemp(prefix=temp_prefix(self.path), suffix=suffix, dir=self.path.parent)
        except OSError as exc:
            raise OutputPathError(f"cannot write in the output folder {self.path.parent}: {exc.strerror or exc}") from None
        os.close(fd)
        return Path(name)

    def __enter__(self) -> "GeoTIFFWriter":
        remove_stale_temps(self.path)
        self._tmp = self._new_temp(".partial.tif")
        try:
            self.dataset = rasterio.open(self._tmp, "w", **self._profile())
        except Exception as exc:
            self._cleanup()
            raise OutputPathError(f"cannot create {self.path}: {exc}") from None
        return self

    @property
    def block_height(self) -> int:
        return int(self.dataset.block_shapes[0][0]) if self.dataset is not None else self.blocksize

    @property
    def write_columns(self) -> int:
        """Columns a writer of whole block rows should hand over at a time: 32 blocks (a block row of a very
        wide output is hundreds of MB)."""
        width = int(self.dataset.block_shapes[0][1]) if self.dataset is not None else self.blocksize
        return 32 * width

    def write(self, array: np.ndarray, window: Optional[Window] = None) -> None:
        """Write (count, h, w) (or (h, w) for one band) at ``window`` (default: the whole grid)."""
        arr = np.asarray(array)
        if arr.ndim == 2:
            arr = arr[None]
        if arr.shape[0] != self.count:
            raise GeoError(f"got {arr.shape[0]} bands to write into a {self.count}-band output")
        if arr.dtype != self.dtype:
            if self.dtype.kind in "iu":
                info = np.iinfo(self.dtype)
                arr = np.clip(np.rint(arr), info.min, info.max)
            arr = arr.astype(self.dtype)
        try:
            self.dataset.write(arr, window=window)
        except Exception as exc:
            raise OutputPathError(f"writing {self.path} failed: {exc}") from None

    def write_mask(self, valid: np.ndarray, window: Optional[Window] = None) -> None:
        """Write an internal per-dataset mask (True/255 = valid)."""
        self.dataset.write_mask(np.where(np.asarray(valid), 255, 0).astype(np.uint8), window=window)

    def _finish_dataset(self):
        ds = self.dataset
        if self.tags:
            ds.update_tags(**{k: str(v) for k, v in self.tags.items()})
        if self.descriptions:
            for i, d in enumerate(self.descriptions, start=1):
                if d:
                    ds.set_band_description(i, str(d))
        if self.count == 3:  # every 3-band output is RGB: QGIS would otherwise name band 1 "(Gray)"
            from rasterio.enums import ColorInterp

            ds.colorinterp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue]
        if self.band_tags:
            for i, t in enumerate(self.band_tags, start=1):
                if t:
                    ds.update_tags(i, **{k: str(v) for k, v in t.items()})
        ds.close()
        self.dataset = None

    def _cleanup(self):
        if self.dataset is not None:
            with contextlib.suppress(Exception):
                self.dataset.close()
            self.dataset = None
        for p in (self._tmp, getattr(self, "_tmp_cog", None)):
            if p is not None:
                for q in (p, Path(str(p) + ".aux.xml"), Path(str(p) + ".msk")):
                    with contextlib.suppress(OSError):
                        q.unlink()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self._cleanup()
            return False
        try:
            self._finish_dataset()
            final = self._tmp
            if self.cog:
                self._tmp_cog = self._new_temp(".partial.cog.tif")
                _to_cog(self._tmp, self._tmp_cog, self.compress, self.dtype)
                final = self._tmp_cog
            try:
                os.replace(final, self.path)
            except OSError as exc:
                raise OutputPathError(f"cannot move the result into place at {self.path}: {exc.strerror or exc}") from None
            try:
                os.chmod(self.path, 0o666 & ~_umask())
            except OSError:
                pass
        except BaseException:
            self._cleanup()
            raise
        self._cleanup()
        return False


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _to_cog(src: Path, dst: Path, compress: str, dtype) -> None:
    from rasterio.shutil import copy as rio_copy

    with rasterio.Env() as env:
        has_cog = "COG" in env.drivers()
    if has_cog:
        options = dict(driver="COG", compress=compress, blocksize=512, overviews="AUTO", BIGTIFF="IF_SAFER")
        if compress and compress.upper() in ("DEFLATE", "LZW", "ZSTD"):
            options["predictor"] = "FLOATING_POINT" if np.dtype(dtype).kind == "f" else "YES"
        rio_copy(str(src), str(dst), **options)
        return
    # Older GDAL: tiled GeoTIFF with internal overviews, then a copy that puts them first.
    from rasterio.enums import Resampling

    with rasterio.open(src, "r+") as ds:
        factors = [f for f in (2, 4, 8, 16, 32) if min(ds.width, ds.height) // f >= 64]
        if factors:
            ds.build_overviews(factors, Resampling.average)
    rio_copy(str(src), str(dst), driver="GTiff", tiled=True, compress=compress, copy_src_overviews=True)


def write_geotiff(path: PathLike, array: np.ndarray, grid: Grid, *, nodata=None, descriptions=None, tags=None,
                  band_tags=None, cog: bool = False, inputs: Iterable[PathLike] = (), dtype=None,
                  valid: Optional[np.ndarray] = None) -> Path:
    """Write a whole (bands, H, W) array on ``grid`` atomically; returns the final path.

    ``valid`` (H, W bool), when given and ``nodata`` is set, puts ``nodata`` where it is False.
    """
    arr = np.asarray(array)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.shape[1:] != grid.shape:
        raise GeoError(f"array of {arr.shape[2]}x{arr.shape[1]} pixels does not match the {grid.width}x{grid.height} grid")
    if valid is not None and nodata is not None:
        arr = np.where(np.asarray(valid)[None], arr, nodata)
    with GeoTIFFWriter(path, grid, arr.shape[0], dtype or arr.dtype, nodata=nodata, descriptions=descriptions,
                       tags=tags, band_tags=band_tags, cog=cog, inputs=inputs) as w:
        w.write(arr)
    return w.path


__all__ = ["TAG_PREFIX", "provenance_tags", "check_output_path", "GeoTIFFWriter", "write_geotiff", "temp_prefix",
           "remove_stale_temps"]
