"""The super-resolution self-check's verdict against the size of its window (issue 20 item 4).

    .venv/bin/python tests/benchmarks/bench_check_window.py [--data out/sr_unseen] [--budget 64]

For each 10-band raster in ``--data`` (``python -m training.prepare_sr_unseen`` writes the two unseen scenes
there), super-resolves it through the API with the bundled model (default steps) up to the end of its
self-check, twice: with the check's budget of model tiles (``--budget``, the product's
``CHECK_MAX_TILES``) and with no budget (the whole raster, up to ``CHECK_MAX_PIXELS``). From the whole
check's per-tile errors it pools the central windows that budgets of 9 to 361 tiles would check, and prints
for each the model - bicubic difference (dB) and the verdict that tiles outside the window would follow;
then the budgeted check's own scores and seconds, and how many tiles judged by both checks got the same
verdict, and the weight of the model's detail each check fitted (session 8: what the task writes).
Numbers: backend/tasks/superres_check.py, module docstring.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


class _Stop(Exception):
    pass


def run_checks(path: Path, budgets) -> dict:
    """{budget: (SRCheck, seconds)} of the task's self-check on ``path`` (the output pass is not run)."""
    import backend.tasks.superres as superres
    from backend.api import get_model
    from backend.tasks import superres_check

    real, reports = superres_check.self_check, {}

    def budgeted(*args, **kwargs):
        started = time.perf_counter()
        reports[kwargs["max_tiles"]] = (real(*args, **kwargs), time.perf_counter() - started)
        raise _Stop()

    model = get_model()
    try:
        for budget in budgets:
            superres.self_check = lambda *a, _b=budget, **k: budgeted(*a, **dict(k, max_tiles=_b))
            try:
                model.super_resolve(path, output="/tmp/bench_check_window.tif", seed=2024, quicklook=False)
            except _Stop:
                pass
    finally:
        superres.self_check = real
    return reports


def pooled(tiles: dict, window: tuple, tile: int) -> tuple:
    """(judged tiles, model dB, bicubic dB) of the tiles of ``tiles`` ({(row, col): (model, bicubic) MSE})
    inside ``window``: the errors a check of that window would pool (to its tiles' seeds and edges)."""
    r0, c0, h, w = window
    sel = [v for (r, c), v in tiles.items() if r >= r0 and c >= c0 and r + tile <= r0 + h and c + tile <= c0 + w]
    if not sel:
        return 0, float("nan"), float("nan")
    return (len(sel), -10 * math.log10(sum(m for m, _ in sel) / len(sel)),
            -10 * math.log10(sum(b for _, b in sel) / len(sel)))


def main(argv=None) -> int:
    from backend.tasks.superres_check import CHECK_MAX_TILES, check_window

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "out" / "sr_unseen")
    parser.add_argument("--budget", type=int, default=CHECK_MAX_TILES)
    args = parser.parse_args(argv)
    rasters = sorted(args.data.glob("*_sr10.tif"))
    if not rasters:
        print(f"no *_sr10.tif in {args.data}: run python -m training.prepare_sr_unseen first")
        return 0
    import rasterio

    tile_in, overlap_in, factor = 32, 8, 4  # the bundled model's: 128 px output tiles, 32 px overlap, x4
    for path in rasters:
        with rasterio.open(path) as ds:
            height, width = ds.height, ds.width
        reports = run_checks(path, [args.budget, 10 ** 6])
        whole, whole_s = reports[10 ** 6]
        print(f"{path.name}: whole check {whole.window}, {whole.model_tiles} model tiles, {whole_s:.0f} s: "
              f"model {whole.model_db:.2f} dB, bicubic {whole.bicubic_db:.2f} dB, {len(whole.tiles)} tiles judged")
        for budget in (9, 16, 25, 36, 49, 64, 100, 144, 225, 361):
            window = check_window(height, width, factor, tile_in, overlap_in, budget)
            n, m, b = pooled(whole.tiles, window, tile_in)
            print(f"  {budget:4d} tiles, window {window[2]} x {window[3]}: {n:5d} judged, model - bicubic "
                  f"{m - b:+.2f} dB -> {'model' if m >= b else 'bicubic'} outside")
        part, part_s = reports[args.budget]
        both = [k for k in part.tiles if k in whole.tiles]
        same = sum((part.tiles[k][0] > part.tiles[k][1]) == (whole.tiles[k][0] > whole.tiles[k][1]) for k in both)
        print(f"  the check with {args.budget} tiles: {part.model_tiles} model tiles in {part_s:.0f} s, model "
              f"{part.model_db:.2f} dB, bicubic {part.bicubic_db:.2f} dB ({part.model_db - part.bicubic_db:+.2f}); "
              f"{same} of {len(both)} tiles judged by both checks got the same verdict (better of the two); the "
              f"weight of the model's detail: {part.weight:.2f} with {args.budget} tiles, {whole.weight:.2f} whole")
    return 0


if __name__ == "__main__":
    sys.exit(main())
