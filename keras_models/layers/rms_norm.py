"""Root-mean-square layer normalisation."""

from keras_models._keras import keras, tf


@keras.utils.register_keras_serializable(package="embbert")
class RMSNorm(keras.layers.Layer):
    """`y = x / sqrt(mean(x²) + ε) · g` over the last axis, with a learnable scale g and no bias.

    Written op by op (MUL, MEAN, ADD, RSQRT, MUL) because that converts to a pure int8 TFLite graph.

    Args:
        epsilon: added to the mean square.

    Example:
        >>> RMSNorm()(tf.ones((2, 4, 6))).shape
        TensorShape([2, 4, 6])
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        self.scale = self.add_weight("scale", (input_shape[-1],), initializer="ones")
        super().build(input_shape)

    def call(self, inputs):
        mean_square = tf.reduce_mean(inputs * inputs, axis=-1, keepdims=True)
        return inputs * tf.math.rsqrt(mean_square + self.epsilon) * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(epsilon=self.epsilon)
        return config
