"""The pipelines' one error type (its own module so that every pipeline module can raise it)."""


class PipelineError(ValueError):
    """Bad input to a pipeline call (size, shape, missing component, ...), worded for the user."""


__all__ = ["PipelineError"]
