"""The Processing algorithms of the provider: one per task."""


def all_algorithms():
    from .alg_generate import GenerateAlgorithm
    from .alg_inpaint import InpaintAlgorithm
    from .alg_predict import PredictAlgorithm
    from .alg_superres import SuperResolveAlgorithm

    return [GenerateAlgorithm(), SuperResolveAlgorithm(), InpaintAlgorithm(), PredictAlgorithm()]
