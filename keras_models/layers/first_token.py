"""Selects the [CLS] position."""

from keras_models._keras import keras


@keras.utils.register_keras_serializable(package="embbert")
class FirstToken(keras.layers.Layer):
    """Returns `x[:, 0, :]`, the encoder output at the [CLS] position.

    Example:
        >>> from keras_models._keras import tf
        >>> FirstToken()(tf.ones((2, 4, 6))).shape
        TensorShape([2, 6])
    """

    def call(self, inputs):
        return inputs[:, 0, :]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])
