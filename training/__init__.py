"""Training code for DiffusionSat-style models (VAE, SatUNet + text encoder, ControlNets).

Entry points (one per component, each driven by a config file in ``training/configs/``)::

    python -m training.train_vae                --config training/configs/vae_mini.json [--resume]
    python -m training.train_unet               --config training/configs/unet_mini.json [--resume]
    python -m training.train_controlnet_sr      --config training/configs/controlnet_sr_mini.json [--resume]
    python -m training.train_controlnet_inpaint --config training/configs/controlnet_inpaint_mini.json [--resume]
    python -m training.train_controlnet3d       --config training/configs/controlnet3d_mini.json [--resume]
    python -m training.evaluate --task sr|inpaint|predict --model DIR --data DIR_OF_GEOTIFFS --out table.md

This package imports ``backend`` (models, metadata, geo helpers) and never the QGIS ``plugin``.
"""

from backend import cpu_threads as _cpu_threads

# before a trainer imports torch: passive OpenMP waiting (the trainers set their thread count from the config)
_cpu_threads.prepare()
