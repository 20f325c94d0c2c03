"""Backend work as a QgsTask: progress in the task manager, cancel between steps, results on the main thread.

The worker thread runs a plain backend callable and never touches QGIS layers; the main thread
collects paths, extents and CRS before the task starts and adds result layers after it finishes.

QgsTask has no "cancelled" end state: a task whose run() returns False is Terminated, and the QGIS
desktop announces every terminated task as "Task failed" (a system notification, or a message-bar
item where the desktop has no notification service). A cancelled BackendTask replaces that item
with "Task cancelled", so QGIS says what the dock says.
"""

from __future__ import annotations

import traceback
from typing import Callable, Optional

from qgis.core import Qgis, QgsTask
from qgis.PyQt.QtCore import QCoreApplication, QTimer, pyqtSignal

from .i18n import tr


def _message_bar():
    try:
        from qgis.utils import iface
    except ImportError:
        return None
    return iface.messageBar() if iface is not None else None


def replace_failed_notice(description: str) -> bool:
    """Swap QGIS's "Task failed" message-bar item for ``description`` for "Task cancelled"; True if found."""
    bar = _message_bar()
    if bar is None:
        return False
    source = "Task failed"  # QGIS's own string, looked up in QGIS's translation (not ours: no literal here)
    failed = {source, QCoreApplication.translate("QgisApp", source)}
    found = False
    for item in list(bar.items()):
        if item.title() in failed and item.text() == description:
            bar.popWidget(item)
            found = True
    if found:
        bar.pushMessage(tr("Task cancelled"), description, Qgis.MessageLevel.Info, 5)
    return found


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
        else:
            # QGIS posts its "Task failed" after finished() returns (statusChanged): replace it then
            description = self.description()
            QTimer.singleShot(0, lambda: replace_failed_notice(description))
            if self._on_cancel:
                self._on_cancel()
