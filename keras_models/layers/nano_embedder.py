"""Nano Embedder: EmbBERT's factorised token, position and segment embedding."""

from keras_models._keras import keras, tf


@keras.utils.register_keras_serializable(package="embbert")
class NanoEmbedder(keras.layers.Layer):
    """Embeds tokens through a narrow table and a projection.

    `x0[i] = E_tok[t_i] · W_t + E_pos[i] · W_p + E_seg[s_i]`, with `E_tok` (V×r) and `E_pos` (L×r) of
    reduced width r, projections `W_t`, `W_p` (r×d, no bias) and a full-width segment table `E_seg` (3×d).
    Segment 0 is padding, 1 the first text, 2 everything from the first [SEP] on. No norm, no dropout.

    Args:
        vocab_size: V.
        max_len: L, the number of learned positions; inputs may be shorter.
        embed_dim: r.
        hidden_dim: d.
        num_segments: rows of the segment table.

    Call arguments:
        inputs: `[token_ids, segment_ids]`, both int32 of shape `(batch, length)`, length <= max_len.

    Example:
        >>> layer = NanoEmbedder(vocab_size=64, max_len=8, embed_dim=4, hidden_dim=6)
        >>> layer([tf.zeros((2, 8), tf.int32), tf.ones((2, 8), tf.int32)]).shape
        TensorShape([2, 8, 6])
    """

    def __init__(self, vocab_size, max_len, embed_dim, hidden_dim, num_segments=3, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = vocab_size
        self.max_len = max_len
        self.embed_dim = embed_dim
        self.hidden_dim = hidden_dim
        self.num_segments = num_segments

    def build(self, input_shape):
        def table(name, rows, width):
            init = keras.initializers.RandomNormal(stddev=0.02)
            return self.add_weight(name, (rows, width), initializer=init)

        def projection(name):
            return self.add_weight(name, (self.embed_dim, self.hidden_dim), initializer="glorot_uniform")

        self.token_table = table("token_table", self.vocab_size, self.embed_dim)
        self.position_table = table("position_table", self.max_len, self.embed_dim)
        self.token_projection = projection("token_projection")
        self.position_projection = projection("position_projection")
        self.segment_table = table("segment_table", self.num_segments, self.hidden_dim)
        super().build(input_shape)

    def call(self, inputs):
        token_ids, segment_ids = inputs
        length = token_ids.shape[1]
        if length is not None and length > self.max_len:
            raise ValueError(f"sequence length {length} exceeds the {self.max_len} learned positions")
        tokens = tf.matmul(tf.gather(self.token_table, token_ids), self.token_projection)
        # A constant at inference: the converter folds it into one L×d table.
        positions = tf.matmul(self.position_table[: tf.shape(token_ids)[1]], self.position_projection)
        segments = tf.gather(self.segment_table, segment_ids)
        return tokens + positions[tf.newaxis] + segments

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape[0]).concatenate([self.hidden_dim])

    def get_config(self):
        config = super().get_config()
        config.update(
            vocab_size=self.vocab_size,
            max_len=self.max_len,
            embed_dim=self.embed_dim,
            hidden_dim=self.hidden_dim,
            num_segments=self.num_segments,
        )
        return config
