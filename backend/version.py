"""Single source of the product version (metadata.txt is checked against it by a test)."""

__version__ = "0.1.0"
