import pytest

from keras_models.config import PRESETS, EmbBertConfig, get_preset


def test_embbert_q_preset_is_the_papers_model():
    config = get_preset("embbert-q")
    assert (config.vocab_size, config.seq_len, config.hidden_dim, config.embed_dim, config.num_layers) == (
        8192, 256, 128, 16, 4)
    assert config.conv_kernel == 32


def test_overrides_apply_and_none_is_ignored():
    assert get_preset("embbert-q", seq_len=64).seq_len == 64
    assert get_preset("embbert-q", seq_len=None).seq_len == 256


def test_round_trip_through_dict_and_json():
    import json

    for config in PRESETS.values():
        assert EmbBertConfig.from_dict(config.to_dict()) == config
        assert EmbBertConfig.from_dict(json.loads(config.to_json())) == config


def test_unknown_preset_names_the_choices():
    with pytest.raises(ValueError, match="unknown preset 'huge'.*embbert-q"):
        get_preset("huge")


def test_bad_values_and_keys_are_rejected():
    with pytest.raises(ValueError, match="seq_len must be a positive integer"):
        EmbBertConfig(seq_len=0)
    with pytest.raises(ValueError, match="unknown EmbBERT config keys"):
        EmbBertConfig.from_dict({"hidden": 3})
