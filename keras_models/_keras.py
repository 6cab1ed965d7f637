"""The one place that picks the Keras implementation.

tensorflow-model-optimization (QAT) works only with Keras 2 (`tf_keras`), so the whole package uses it, and
`TF_USE_LEGACY_KERAS=1` must be set before TensorFlow is first imported.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

__all__ = ["keras", "tf"]
