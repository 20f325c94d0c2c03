"""One way to cancel long-running work (pipelines, tiling, CLI), shared by the whole backend.

A *cancel source* is anything of these kinds:

* ``None``: never cancelled;
* an object with ``is_set()`` (a :class:`threading.Event` or a :class:`CancelToken`);
* an object with ``isCanceled()`` (a ``QgsFeedback`` / ``QgsTask``);
* a zero-argument callable returning true when the work should stop (e.g. ``task.isCanceled`` of a
  ``QgsTask``, passed without calling it);
* a plain ``bool``.

Code checks it between units of work with :func:`raise_if_cancelled`, which raises
:class:`Cancelled`. Nothing here imports torch or Qt.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Optional, Union


class Cancelled(Exception):
    """The user cancelled the running job. Not an error: callers should stop quietly."""


class CancelToken:
    """A thread-safe cancel flag (a thin wrapper of :class:`threading.Event`).

    ``token.cancel()`` from any thread; the worker calls ``token.raise_if_cancelled()`` or passes the
    token wherever a cancel source is accepted.
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self, what: str = "operation") -> None:
        raise_if_cancelled(self, what)

    def __repr__(self) -> str:
        return f"CancelToken(cancelled={self.cancelled})"


CancelSource = Optional[Union[CancelToken, threading.Event, Callable[[], Any], bool]]


def is_cancelled(cancel: CancelSource) -> bool:
    """True when the cancel source says stop (see the module docstring for accepted kinds)."""
    if cancel is None:
        return False
    is_set = getattr(cancel, "is_set", None)
    if callable(is_set):
        return bool(is_set())
    is_canceled = getattr(cancel, "isCanceled", None)
    if callable(is_canceled):
        return bool(is_canceled())
    if callable(cancel):
        return bool(cancel())
    if isinstance(cancel, bool):
        return cancel
    raise TypeError(
        "cancel must be None, a threading.Event / CancelToken, an object with isCanceled(), a callable or a bool, "
        f"not {type(cancel).__name__}"
    )


def raise_if_cancelled(cancel: CancelSource, what: str = "operation") -> None:
    """Raise :class:`Cancelled` when ``cancel`` is set."""
    if is_cancelled(cancel):
        raise Cancelled(f"{what} cancelled")


__all__ = ["Cancelled", "CancelToken", "CancelSource", "is_cancelled", "raise_if_cancelled"]
