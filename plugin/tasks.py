"""Backend work as a QgsTask: progress in the task manager, cancel between steps, results on the main thread.

The worker thread runs a plain backend callable and never touches QGIS layers; the main thread
collects paths, extents and CRS before the task starts and adds result layers after it finishes.
"""

from __future__ import annotations

import traceback
from typing import Callable, Optional

from qgis.core import QgsTask
from qgis.PyQt.QtCore import pyqtSignal


class BackendTask(QgsTask):
    """Runs ``work(progress, is_cancelled)`` in a worker thread.

    ``progress(fraction_0_to_1, message="")`` reports progress; ``is_cancelled()`` tells the backend to
    stop at the next step. ``on_done(result)`` / ``on_error(message, details)`` / ``on_cancel()`` run on
    the main thread.
    """

    message = pyqtSignal(str)

    def __init__(self, description: str, work: Callable, on_done: Optional[Callable] = None,
                 on_error: Optional[Callable] = None, on_cancel: Optional[Callable] = None):
        super().__init__(description, QgsTask.Flag.CanCancel)
        self._work = work
        self._on_done = on_done
        self._on_error = on_error
        self._on_cancel = on_cancel
        self.result = None
        self.error: Optional[str] = None
        self.details: Optional[str] = None

    def _progress(self, fraction: float, text: str = "") -> None:
        self.setProgress(max(0.0, min(100.0, 100.0 * float(fraction))))
        if text:
            self.message.emit(text)

    def run(self) -> bool:  # worker thread
        try:
            self.result = self._work(self._progress, self.isCanceled)
            return not self.isCanceled()
        except Exception as exc:  # reported on the main thread, never raised into QGIS
            if self.isCanceled():
                return False
            self.error = str(exc) or type(exc).__name__
            self.details = traceback.format_exc()
            return False

    def finished(self, ok: bool) -> None:  # main thread
        if ok:
            if self._on_done:
                self._on_done(self.result)
        elif self.error is not None:
            if self._on_error:
                self._on_error(self.error, self.details)
        elif self._on_cancel:
            self._on_cancel()
