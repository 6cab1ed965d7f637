"""Layer behaviour on tiny shapes: output shapes, weights, config round trips, the maths of each layer."""

import numpy as np
import pytest

from keras_models._keras import keras, tf
from keras_models.layers import (
    CausalConvBranch,
    EfficientAttention,
    FirstToken,
    NanoEmbedder,
    RMSNorm,
    WeightedDifference,
)

B, L, D = 2, 5, 6
RNG = np.random.default_rng(0)


def _h():
    return tf.constant(RNG.normal(size=(B, L, D)).astype("float32"))


def _segments(real_lengths=(5, 3)):
    segments = np.zeros((B, L), np.int32)
    for row, n in enumerate(real_lengths):
        segments[row, :n] = 1
    return tf.constant(segments)


def run_layer_test(layer, inputs, expected_shape, trainable_weights):
    """Builds and runs `layer`, checks shape and weight count, and round-trips its config."""
    output = layer(inputs)
    assert tuple(output.shape) == expected_shape
    assert len(layer.trainable_weights) == trainable_weights
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    clone(inputs)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(inputs), output, rtol=1e-6)
    return output


def test_nano_embedder_computes_the_factorised_sum():
    layer = NanoEmbedder(vocab_size=11, max_len=L, embed_dim=3, hidden_dim=D)
    ids = tf.constant(RNG.integers(0, 11, (B, L)), tf.int32)
    segments = _segments()
    out = run_layer_test(layer, [ids, segments], (B, L, D), 5)
    tok, pos, w_t, w_p, seg = (w.numpy() for w in layer.weights)
    expected = tok[ids.numpy()] @ w_t + (pos @ w_p)[None] + seg[segments.numpy()]
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_nano_embedder_accepts_shorter_and_rejects_longer_sequences():
    layer = NanoEmbedder(vocab_size=11, max_len=L, embed_dim=3, hidden_dim=D)
    assert tuple(layer([tf.zeros((1, 3), tf.int32)] * 2).shape) == (1, 3, D)
    with pytest.raises(ValueError, match="sequence length 7 exceeds the 5 learned positions"):
        layer([tf.zeros((1, 7), tf.int32)] * 2)


def test_rms_norm_matches_numpy():
    h = _h()
    layer = RMSNorm(epsilon=1e-5)
    out = run_layer_test(layer, h, (B, L, D), 1)
    x = h.numpy()
    np.testing.assert_allclose(out, x / np.sqrt((x**2).mean(-1, keepdims=True) + 1e-5), rtol=1e-5)


def test_attention_matches_numpy_and_excludes_padded_keys():
    h, segments = _h(), _segments((5, 3))
    layer = EfficientAttention(hidden_dim=D)
    out = run_layer_test(layer, [h, segments], (B, L, D), 4)
    w_q, b_q, w_o, b_o = (w.numpy() for w in layer.weights)
    x = h.numpy()
    pad = (segments.numpy() == 0)
    keys = x * ~pad[..., None]
    scores = (x @ w_q + b_q) @ keys.transpose(0, 2, 1) / np.sqrt(D) - 16.0 * pad[:, None, :]
    probs = np.exp(scores - scores.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    np.testing.assert_allclose(out, probs @ keys @ w_o + b_o, rtol=1e-4, atol=1e-5)
    assert probs[1, :, 3:].max() < 1e-5, "padded keys keep attention weight"

    # Whatever sits at padded positions leaves the real positions' outputs unchanged...
    changed = x.copy()
    changed[1, 3:] = 100.0 * RNG.normal(size=(2, D))
    moved = layer([tf.constant(changed), segments]).numpy()
    np.testing.assert_array_equal(moved[1, :3], out[1, :3])
    # ...while the same change at real positions does move them.
    unmasked = layer([tf.constant(changed), _segments((5, 5))]).numpy()
    assert np.abs(unmasked[1, :3] - out[1, :3]).max() > 1.0


def test_attention_dropout_acts_on_the_probabilities_only_while_training():
    h, segments = _h(), _segments((5, 3))
    plain = EfficientAttention(hidden_dim=D)
    dropped = EfficientAttention(hidden_dim=D, dropout=0.5)
    expected = plain([h, segments]).numpy()
    dropped([h, segments])
    dropped.set_weights(plain.get_weights())
    np.testing.assert_array_equal(dropped([h, segments], training=False).numpy(), expected)
    tf.random.set_seed(0)
    trained = dropped([h, segments], training=True).numpy()
    assert np.abs(trained - expected).max() > 1e-3
    assert dropped.get_config()["dropout"] == 0.5 and plain.get_config()["dropout"] == 0.0


def test_conv_branch_is_causal_with_window_k():
    k = 3
    layer = CausalConvBranch(hidden_dim=D, kernel_size=k)
    h = _h()
    out = run_layer_test(layer, h, (B, L, D), 4)
    t = 2
    changed = h.numpy().copy()
    changed[:, t] += 5.0
    diff = np.abs(layer(tf.constant(changed)).numpy() - out.numpy()).max(axis=(0, 2))
    assert np.all(diff[:t] == 0), "an output before t saw the change at t"
    assert np.all(diff[t : t + k] > 0), "outputs within the window did not see the change"
    assert np.all(diff[t + k :] == 0), "an output beyond the kernel window saw the change"

    # the maths, weight by weight: kernel row k-1 weighs the current token, row 0 the one k-1 before it
    layer.depthwise_bias.assign(RNG.normal(size=D).astype("float32"))
    w, b, w_out, b_out = (v.numpy() for v in (layer.depthwise_kernel, layer.depthwise_bias, layer.output_kernel,
                                                layer.output_bias))
    x = np.pad(h.numpy(), [(0, 0), (k - 1, 0), (0, 0)])
    conv = sum(w[j] * x[:, j : j + L] for j in range(k)) + b
    silu = conv / (1 + np.exp(-conv))
    np.testing.assert_allclose(layer(h).numpy(), silu @ w_out + b_out, rtol=1e-5, atol=1e-5)


def test_weighted_difference_and_its_folded_form():
    a, f = _h(), _h()
    layer = WeightedDifference(hidden_dim=D)
    out = run_layer_test(layer, [a, f], (B, L, D), 4)
    q1, k1, q2, k2 = (w.numpy() for w in layer.weights)
    np.testing.assert_allclose(out, np.exp(q1 @ k1) * a - np.exp(q2 @ k2) * f, rtol=1e-5, atol=1e-6)
    folded = run_layer_test(WeightedDifference(hidden_dim=D, folded=True), [a, f], (B, L, D), 0)
    np.testing.assert_allclose(folded, a - f)


def test_first_token_takes_position_zero():
    h = _h()
    out = run_layer_test(FirstToken(), h, (B, D), 0)
    np.testing.assert_array_equal(out, h[:, 0])


def test_layers_serialize_inside_a_model(tmp_path):
    from keras_models.config import get_preset
    from keras_models.model import build_classifier

    model = build_classifier(get_preset("tiny"), 3)
    path = tmp_path / "model.h5"
    model.save(path)
    restored = keras.models.load_model(path)
    ids = np.zeros((1, 32), np.int32)
    ids[0, :4] = [2, 50, 60, 70]
    inputs = [ids, (ids != 0).astype(np.int32)]
    np.testing.assert_allclose(restored(inputs), model(inputs), rtol=1e-6)
