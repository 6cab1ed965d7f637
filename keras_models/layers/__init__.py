"""EmbBERT's Keras layers, one per module."""

from keras_models.layers.causal_conv_branch import CausalConvBranch
from keras_models.layers.efficient_attention import EfficientAttention
from keras_models.layers.first_token import FirstToken
from keras_models.layers.gather_positions import GatherPositions
from keras_models.layers.nano_embedder import NanoEmbedder
from keras_models.layers.rms_norm import RMSNorm
from keras_models.layers.weighted_difference import WeightedDifference

__all__ = [
    "CausalConvBranch",
    "EfficientAttention",
    "FirstToken",
    "GatherPositions",
    "NanoEmbedder",
    "RMSNorm",
    "WeightedDifference",
]
