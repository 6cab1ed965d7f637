"""EmbBERT's combination of the attention and convolution branches."""

from keras_models._keras import keras, tf


@keras.utils.register_keras_serializable(package="embbert")
class WeightedDifference(keras.layers.Layer):
    """`x = exp(<λq1, λk1>) · A − exp(<λq2, λk2>) · F`, with λ vectors in R^d initialised N(0, 0.1²).

    There is no identity residual. In the deployed form (`folded=True`) the two positive scales are already
    folded into the branches' output projections and the layer is a plain subtraction.

    Args:
        hidden_dim: d, the length of each λ vector.
        folded: True in the deployed form.

    Call arguments:
        inputs: `[A, F]` of equal shape.

    Example:
        >>> WeightedDifference(hidden_dim=6)([tf.ones((2, 4, 6)), tf.zeros((2, 4, 6))]).shape
        TensorShape([2, 4, 6])
    """

    LAMBDAS = ("lambda_q1", "lambda_k1", "lambda_q2", "lambda_k2")

    def __init__(self, hidden_dim, folded=False, **kwargs):
        super().__init__(**kwargs)
        self.hidden_dim = hidden_dim
        self.folded = folded

    def build(self, input_shape):
        if not self.folded:
            for name in self.LAMBDAS:
                init = keras.initializers.RandomNormal(stddev=0.1)
                setattr(self, name, self.add_weight(name, (self.hidden_dim,), initializer=init))
        super().build(input_shape)

    def branch_scales(self):
        """Returns `(exp(<λq1, λk1>), exp(<λq2, λk2>))`."""
        if self.folded:
            return tf.constant(1.0), tf.constant(1.0)
        return (
            tf.exp(tf.reduce_sum(self.lambda_q1 * self.lambda_k1)),
            tf.exp(tf.reduce_sum(self.lambda_q2 * self.lambda_k2)),
        )

    def call(self, inputs):
        attention, conv = inputs
        if self.folded:
            return attention - conv
        attention_scale, conv_scale = self.branch_scales()
        return attention_scale * attention - conv_scale * conv

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update(hidden_dim=self.hidden_dim, folded=self.folded)
        return config
