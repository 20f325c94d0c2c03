"""Dataset adapters: real rasters -> training samples (images in [0, 1], normalised metadata, captions).

Every adapter draws samples from an explicit ``numpy.random.Generator`` so that a batch is a pure
function of (seed, step, process) -- that is what makes "checkpoint -> resume" reproduce an
uninterrupted run exactly (see :mod:`training.common`).
"""

from .dropout import metadata_dropout  # noqa: F401
