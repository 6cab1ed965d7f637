"""EmbBERT's convolution branch: causal depthwise conv, SiLU, dense."""

from keras_models._keras import keras, tf


@keras.utils.register_keras_serializable(package="embbert")
class CausalConvBranch(keras.layers.Layer):
    """`F = SiLU(CausalDepthwiseConv1D_k(h)) W_c + b_c`.

    The output at position t sees only `h[t-k+1 .. t]` (left zero padding), so real tokens never see the
    right-hand padding.

    Args:
        hidden_dim: d.
        kernel_size: k.

    Example:
        >>> CausalConvBranch(hidden_dim=6, kernel_size=3)(tf.ones((2, 4, 6))).shape
        TensorShape([2, 4, 6])
    """

    def __init__(self, hidden_dim, kernel_size, **kwargs):
        super().__init__(**kwargs)
        self.hidden_dim = hidden_dim
        self.kernel_size = kernel_size

    def build(self, input_shape):
        d, k = self.hidden_dim, self.kernel_size
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", (k, d), initializer=keras.initializers.RandomNormal(stddev=1.0 / k)
        )
        self.depthwise_bias = self.add_weight("depthwise_bias", (d,), initializer="zeros")
        self.output_kernel = self.add_weight("output_kernel", (d, d), initializer="glorot_uniform")
        self.output_bias = self.add_weight("output_bias", (d,), initializer="zeros")
        super().build(input_shape)

    def call(self, inputs):
        padded = tf.pad(inputs, [[0, 0], [self.kernel_size - 1, 0], [0, 0]])
        kernel = tf.reshape(self.depthwise_kernel, [1, self.kernel_size, self.hidden_dim, 1])
        conv = tf.nn.depthwise_conv2d(tf.expand_dims(padded, 1), kernel, strides=[1, 1, 1, 1], padding="VALID")
        # Bias before the squeeze, so that the converter fuses it into DEPTHWISE_CONV_2D.
        activated = tf.nn.silu(tf.squeeze(tf.nn.bias_add(conv, self.depthwise_bias), 1))
        return tf.matmul(activated, self.output_kernel) + self.output_bias

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(hidden_dim=self.hidden_dim, kernel_size=self.kernel_size)
        return config
