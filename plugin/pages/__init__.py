"""The pages of the DiffusionSat dock: one per task, plus the settings page."""
