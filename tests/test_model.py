import numpy as np
import pytest

from keras_models.config import get_preset
from keras_models.model import (
    build_classifier,
    build_pretrainer,
    copy_encoder_weights,
    count_parameters,
    fold_for_deployment,
)


def _inputs(config, n=3, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, config.vocab_size, (n, config.seq_len)).astype(np.int32)
    ids[:, 0] = 2
    ids[1, 10:] = 0
    return [ids, (ids != 0).astype(np.int32)]


def test_embbert_q_has_the_papers_parameter_count():
    # Encoder 357,248 (token table 131,072 of it) plus a 7-class head.
    assert count_parameters(build_classifier(get_preset("embbert-q"), 7)) == 357_248 + 128 * 7 + 7


def test_classifier_and_regression_output_shapes():
    config = get_preset("tiny")
    assert build_classifier(config, 4)(_inputs(config)).shape == (3, 4)
    assert build_classifier(config, 1)(_inputs(config)).shape == (3, 1)
    with pytest.raises(ValueError, match="num_outputs must be at least 1"):
        build_classifier(config, 0)


def test_pretrainer_predicts_the_vocabulary_at_every_position_and_shares_the_encoder():
    config = get_preset("tiny")
    pretrainer = build_pretrainer(config, 5)
    positions = np.tile(np.arange(5, dtype=np.int32), (3, 1))
    mlm, pair = pretrainer(_inputs(config) + [positions])
    assert mlm.shape == (3, 5, config.vocab_size) and pair.shape == (3, 2)
    short = build_pretrainer(config, dynamic_length=True)
    short.set_weights(pretrainer.get_weights())
    ids, segments = (x[:, :12] for x in _inputs(config))
    mlm_short, pair_short = short([ids, segments, positions[:, :3]])
    assert mlm_short.shape == (3, 3, config.vocab_size) and pair_short.shape == (3, 2)
    classifier = build_classifier(config.replace(seq_len=16), 2)
    assert copy_encoder_weights(pretrainer, classifier) == 1 + 4 * config.num_layers
    source, target = pretrainer.get_layer("embedder").get_weights(), classifier.get_layer("embedder").get_weights()
    np.testing.assert_array_equal(target[0], source[0])
    np.testing.assert_array_equal(target[1], source[1][:16], err_msg="position table cut to the shorter length")


def test_folding_keeps_the_function_and_removes_the_lambdas():
    config = get_preset("tiny")
    model = build_classifier(config, 3)
    folded = fold_for_deployment(model, config)
    inputs = _inputs(config)
    np.testing.assert_allclose(folded(inputs), model(inputs), rtol=1e-4, atol=1e-5)
    assert count_parameters(folded) == count_parameters(model) - 4 * config.hidden_dim * config.num_layers
