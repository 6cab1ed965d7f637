"""EmbBERT's single-query efficient attention."""

import math

from keras_models._keras import keras, tf


@keras.utils.register_keras_serializable(package="embbert")
class EfficientAttention(keras.layers.Layer):
    """Single-head attention with only a query projection: keys = values = the normalised input h.

        K = h ⊙ keep                            keep = 0 at padded positions (segment 0), else 1
        Q = h W_q + b_q
        P = softmax(Q Kᵀ / sqrt(d) + mask)      padded keys get exactly `-mask_penalty`
        A = (P K) W_o + b_o

    Zeroing the padded keys makes their score exactly `-mask_penalty` whatever h holds there, so a finite,
    int8-friendly penalty still excludes them, and their values contribute nothing. Both matmuls take their
    right-hand side already transposed (`Q·Kᵀ` and `P·(Kᵀ)ᵀ`), so TFLite Micro's BATCH_MATMUL keeps no
    persistent transposed copy of it.

    Args:
        hidden_dim: d.
        mask_penalty: subtracted from the scores of padded keys.
        folded: True in the deployed form, where 1/sqrt(d) is already folded into W_q and b_q.
        dropout: rate of dropout on the attention probabilities while training (the paper's only dropout).

    Call arguments:
        inputs: `[h, segment_ids]`, h of shape `(batch, length, d)`, segment_ids int32 `(batch, length)`.

    Example:
        >>> layer = EfficientAttention(hidden_dim=6)
        >>> layer([tf.ones((2, 4, 6)), tf.ones((2, 4), tf.int32)]).shape
        TensorShape([2, 4, 6])
    """

    def __init__(self, hidden_dim, mask_penalty=16.0, folded=False, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.hidden_dim = hidden_dim
        self.mask_penalty = mask_penalty
        self.folded = folded
        self.dropout = dropout

    def build(self, input_shape):
        d = self.hidden_dim
        self.query_kernel = self.add_weight("query_kernel", (d, d), initializer="glorot_uniform")
        self.query_bias = self.add_weight("query_bias", (d,), initializer="zeros")
        self.output_kernel = self.add_weight("output_kernel", (d, d), initializer="glorot_uniform")
        self.output_bias = self.add_weight("output_bias", (d,), initializer="zeros")
        super().build(input_shape)

    @property
    def score_scale(self):
        """The factor folded into W_q and b_q at export."""
        return 1.0 / math.sqrt(self.hidden_dim)

    def call(self, inputs, training=None):
        h, segment_ids = inputs
        keys = h * tf.expand_dims(tf.gather(tf.constant([0.0, 1.0, 1.0]), segment_ids), -1)
        query = tf.matmul(h, self.query_kernel) + self.query_bias
        scores = tf.matmul(query, keys, transpose_b=True)
        if not self.folded:
            scores = scores * self.score_scale
        key_bias = tf.gather(tf.constant([-self.mask_penalty, 0.0, 0.0]), segment_ids)
        probs = tf.nn.softmax(scores + tf.expand_dims(key_bias, 1), axis=-1)
        if self.dropout and training:
            probs = tf.nn.dropout(probs, rate=self.dropout)
        context = tf.matmul(probs, tf.transpose(keys, [0, 2, 1]), transpose_b=True)
        return tf.matmul(context, self.output_kernel) + self.output_bias

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update(hidden_dim=self.hidden_dim, mask_penalty=self.mask_penalty, folded=self.folded,
                      dropout=self.dropout)
        return config
