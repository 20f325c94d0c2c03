"""Map tools: a rectangular extent (Generate) and a polygon (Inpaint mask); rubber bands kept until cleared."""

from __future__ import annotations

from qgis.core import QgsGeometry, QgsPointXY, QgsRectangle
from qgis.gui import QgsMapTool, QgsRubberBand
from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtGui import QColor

from .compat import POLYGON_GEOMETRY


class ExtentMapTool(QgsMapTool):
    """Press, drag, release: emits ``extentDrawn(QgsRectangle)`` in the canvas CRS."""

    extentDrawn = pyqtSignal(QgsRectangle)  # noqa: N815 (Qt signal naming)
    extentRejected = pyqtSignal()  # noqa: N815: a click or a line, no area: the old extent (if any) stays

    def __init__(self, canvas):
        super().__init__(canvas)
        self.canvas = canvas
        self.start: QgsPointXY | None = None
        self.extent: QgsRectangle | None = None
        self.band = QgsRubberBand(canvas, POLYGON_GEOMETRY)
        self.band.setColor(QColor(255, 120, 0, 200))
        self.band.setFillColor(QColor(255, 120, 0, 40))
        self.band.setWidth(2)
        self.setCursor(Qt.CursorShape.CrossCursor)

    def canvasPressEvent(self, event):  # noqa: N802 (Qt API name)
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self.start = self.toMapCoordinates(event.pos())
        self._show(self.start, self.start)

    def canvasMoveEvent(self, event):  # noqa: N802
        if self.start is not None:
            self._show(self.start, self.toMapCoordinates(event.pos()))

    def canvasReleaseEvent(self, event):  # noqa: N802
        if self.start is None or event.button() != Qt.MouseButton.LeftButton:
            return
        end = self.toMapCoordinates(event.pos())
        rect = QgsRectangle(self.start, end)
        rect.normalize()
        self.start = None
        if rect.width() <= 0 or rect.height() <= 0:
            if self.extent is not None:
                self.show_extent(self.extent)
            else:
                self.clear()
            self.extentRejected.emit()
            return
        self.extent = rect
        self._show(QgsPointXY(rect.xMinimum(), rect.yMinimum()), QgsPointXY(rect.xMaximum(), rect.yMaximum()))
        self.extentDrawn.emit(rect)

    def show_extent(self, rect: QgsRectangle):
        """Show an extent set elsewhere (e.g. moved by editing its centre)."""
        self.extent = QgsRectangle(rect)
        self._show(QgsPointXY(rect.xMinimum(), rect.yMinimum()), QgsPointXY(rect.xMaximum(), rect.yMaximum()))

    def _show(self, a: QgsPointXY, b: QgsPointXY):
        self.band.reset(POLYGON_GEOMETRY)
        for x, y in ((a.x(), a.y()), (b.x(), a.y()), (b.x(), b.y()), (a.x(), b.y())):
            self.band.addPoint(QgsPointXY(x, y), False)
        self.band.addPoint(QgsPointXY(a.x(), a.y()), True)
        self.band.show()

    def clear(self):
        self.extent = None
        self.band.reset(POLYGON_GEOMETRY)

    def deactivate(self):
        # the drawn extent stays visible until cleared (the analyst may still run the task)
        super().deactivate()

    def release(self):
        self.clear()
        self.canvas.scene().removeItem(self.band)


class PolygonMapTool(QgsMapTool):
    """Click the vertices of a polygon, right-click (or double-click) to finish: emits ``polygonDrawn(QgsGeometry)``.

    The polygon stays on the map until cleared; Esc or Backspace removes the last vertex.
    """

    polygonDrawn = pyqtSignal(QgsGeometry)  # noqa: N815 (Qt signal naming)

    def __init__(self, canvas):
        super().__init__(canvas)
        self.canvas = canvas
        self.points: list = []
        self.geometry: QgsGeometry | None = None
        self.band = QgsRubberBand(canvas, POLYGON_GEOMETRY)
        self.band.setColor(QColor(30, 120, 255, 220))
        self.band.setFillColor(QColor(30, 120, 255, 50))
        self.band.setWidth(2)
        self.setCursor(Qt.CursorShape.CrossCursor)

    def canvasReleaseEvent(self, event):  # noqa: N802 (Qt API name)
        if event.button() == Qt.MouseButton.RightButton:
            self.finish()
            return
        if event.button() == Qt.MouseButton.LeftButton:
            if self.geometry is not None:  # a new polygon replaces the finished one
                self.geometry = None
                self.points = []
            self.points.append(self.toMapCoordinates(event.pos()))
            self._show(self.points)

    def canvasDoubleClickEvent(self, event):  # noqa: N802
        self.finish()

    def canvasMoveEvent(self, event):  # noqa: N802
        if self.points and self.geometry is None:
            self._show(self.points + [self.toMapCoordinates(event.pos())])

    def keyPressEvent(self, event):  # noqa: N802
        if event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_Backspace) and self.points and self.geometry is None:
            self.points.pop()
            self._show(self.points)
            event.accept()

    def finish(self):
        unique = []
        for p in self.points:
            if not unique or p != unique[-1]:
                unique.append(p)
        if len(unique) < 3:
            return
        geometry = QgsGeometry.fromPolygonXY([unique + [unique[0]]])
        if geometry.area() <= 0:
            return
        self.points = unique
        self.geometry = geometry
        self._show(unique)
        self.polygonDrawn.emit(geometry)

    def _show(self, points):
        self.band.reset(POLYGON_GEOMETRY)
        for i, p in enumerate(points):
            self.band.addPoint(QgsPointXY(p), i == len(points) - 1)
        self.band.show()

    def clear(self):
        self.points = []
        self.geometry = None
        self.band.reset(POLYGON_GEOMETRY)

    def release(self):
        self.clear()
        self.canvas.scene().removeItem(self.band)
