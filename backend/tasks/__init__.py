"""The four product tasks on files: each builds sources and a tile function for the one tiling engine."""
