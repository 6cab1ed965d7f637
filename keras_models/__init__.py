"""EmbBERT-Q in Keras (tf_keras): layers, models, tokenizer, data and quantization-aware training."""

import os

# tfmot needs Keras 2; this must hold before anything (datasets included) imports TensorFlow.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
