"""Selects given positions of a sequence (the masked-LM head's inputs)."""

from keras_models._keras import keras, tf


@keras.utils.register_keras_serializable(package="embbert")
class GatherPositions(keras.layers.Layer):
    """Returns `x[b, positions[b, j], :]` for each batch row b and index j.

    Call arguments:
        inputs: `[x, positions]`, x of shape `(batch, length, d)`, positions int32 `(batch, p)`.

    Example:
        >>> GatherPositions()([tf.ones((2, 4, 6)), tf.zeros((2, 3), tf.int32)]).shape
        TensorShape([2, 3, 6])
    """

    def call(self, inputs):
        x, positions = inputs
        return tf.gather(x, positions, batch_dims=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[1][0], input_shape[1][1], input_shape[0][-1])
