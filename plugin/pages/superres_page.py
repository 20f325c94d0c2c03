"""Super-resolve: a Sentinel-2 raster layer and its ten bands to high-resolution RGB on an aligned grid."""

from __future__ import annotations

from typing import List

from qgis.gui import QgsMapLayerComboBox
from qgis.PyQt.QtWidgets import QFormLayout, QGroupBox, QLabel, QVBoxLayout

from ..compat import LAYER_FILTER_RASTER
from ..i18n import tr
from .common import narrow, BandPicker, TaskPage, mark
from ..layers import LayerError, raster_path

#: The official Sentinel-2 band order of the super-resolution model, as shown to the user.
SR_BANDS = ("B4", "B3", "B2", "B5", "B6", "B7", "B8", "B8A", "B11", "B12")


class SuperResolvePage(TaskPage):
    task = "superres"

    def __init__(self, dock, parent=None):
        super().__init__(dock, parent)
        intro = QLabel(tr("Sentinel-2 bands to high-resolution RGB, aligned to the input grid."), self)
        intro.setWordWrap(True)
        self.form.addWidget(intro)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.layer = narrow(QgsMapLayerComboBox(self))
        self.layer.setObjectName("input_layer")
        self.layer.setFilters(LAYER_FILTER_RASTER)
        self.layer.setAllowEmptyLayer(True)
        form.addRow(tr("Sentinel-2 layer:"), self.layer)
        self.form.addLayout(form)

        box = QGroupBox(tr("Bands (model order)"), self)
        box_layout = QVBoxLayout(box)
        self.bands = BandPicker([(code, (code,)) for code in SR_BANDS], columns=2, parent=box)
        box_layout.addWidget(self.bands)
        self.band_note = QLabel("", box)
        self.band_note.setObjectName("band_note")
        self.band_note.setWordWrap(True)
        box_layout.addWidget(self.band_note)
        self.form.addWidget(box)

        self.layer.layerChanged.connect(self._layer_changed)
        for combo in self.bands.combos.values():
            combo.currentIndexChanged.connect(self.revalidate)
        self._layer_changed(self.layer.currentLayer())

    def input_layer(self):
        return self.layer.currentLayer()

    def title(self) -> str:
        return tr("Super-resolve")

    def _layer_changed(self, layer):
        self.bands.set_layer(layer)
        unmatched = [code for code, ok in self.bands.matched.items() if not ok]
        if layer is None:
            self.band_note.setText(tr("Choose a Sentinel-2 layer with the bands B4 B3 B2 B5 B6 B7 B8 B8A B11 B12."))
        elif self.field_errors() and not self._is_file(layer):
            self.band_note.setText(self.field_errors()[0])
        elif layer.bandCount() < len(SR_BANDS):  # e.g. an RGB scene: the bands would have to repeat
            self.band_note.setText(tr("This layer has {} bands; super-resolution needs ten different Sentinel-2 "
                                      "bands (B4 B3 B2 B5 B6 B7 B8 B8A B11 B12).").format(layer.bandCount()))
        elif unmatched:
            self.band_note.setText(tr("Not recognised from the band names: {}. Choose them by hand.")
                                   .format(" ".join(unmatched)))
        else:
            self.band_note.setText(tr("All ten bands recognised from the band names."))
        self.revalidate()

    @staticmethod
    def _is_file(layer) -> bool:
        try:
            raster_path(layer)
            return True
        except LayerError:
            return False

    def field_errors(self) -> List[str]:
        errors = []
        layer = self.layer.currentLayer()
        if layer is None:
            errors.append(tr("Choose a raster layer."))
        else:
            try:
                raster_path(layer)
            except LayerError as exc:
                errors.append(str(exc))
        chosen = [combo.currentData() for combo in self.bands.combos.values()]
        for code, combo in self.bands.combos.items():
            error = None if combo.currentData() is not None else tr("Choose the band {}.").format(code)
            if error is None and chosen.count(combo.currentData()) > 1:
                error = tr("Band {} of the layer is chosen more than once.").format(combo.currentData())
            if layer is not None and not mark(combo, error):
                errors.append(error)
        return errors

    def build_job(self):
        from ...backend.jobs import SuperResolveJob

        layer = self.layer.currentLayer()
        path = raster_path(layer)
        bands = self.bands.bands()
        if any(b is None for b in bands):
            raise LayerError(tr("Choose all ten bands."))
        return SuperResolveJob(input=path, bands=[int(b) for b in bands])

    def _done(self, result):
        """The common 'Done in …' line, then the self-check's scores (model, bicubic and what was written, on
        the input one scale down; the share of tiles left to bicubic and the model's mean weight), so nobody
        gets a result worse than the obvious one untold."""
        layer = super()._done(result)
        check = getattr(result, "check", None) if result is not None and not self.closed else None
        if check and check.get("summary"):
            self.show_status(self.status.text() + "\n" + check_line(check))
        return layer


def check_line(check: dict) -> str:
    """The self-check sentence of a super-resolution result, translated (backend.tasks.superres_check.SRCheck)."""
    share = 100.0 * float(check.get("fallback_share") or 0.0)
    if not check.get("enabled", True):
        return tr("Self-check off: the model's output is used everywhere, unchecked.")
    if check.get("model_psnr") is None:
        return tr("The raster is too small to check the model one scale down: the model's output is used everywhere.")
    written = check.get("written_psnr")
    written = check["bicubic_psnr"] if written is None else written
    weight = 100.0 * float(check.get("model_weight", 1.0))
    return tr("Model {} dB, bicubic {} dB, written {} dB on the input one scale down; bicubic alone for {} % of "
              "tiles, the model's detail at {} % on average.").format(
        f"{check['model_psnr']:.1f}", f"{check['bicubic_psnr']:.1f}", f"{written:.1f}", f"{share:.0f}",
        f"{weight:.0f}")
