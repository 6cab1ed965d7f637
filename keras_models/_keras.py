"""The one place that picks the Keras implementation.

tensorflow-model-optimization (QAT) works only with Keras 2 (`tf_keras`), so the whole package uses it, and
`TF_USE_LEGACY_KERAS=1` must be set before TensorFlow is first imported.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_models.native_stderr import silenced  # noqa: E402

with silenced():
    import tensorflow as tf
    import tf_keras as keras

    tf.config.list_physical_devices()  # probes the devices now, while their chatter is silenced

__all__ = ["keras", "tf"]
