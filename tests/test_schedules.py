import numpy as np
import pytest

from keras_models._keras import keras, tf
from keras_models.schedules import ContinuedSchedule, WarmupLinearDecay


def _rates(schedule, steps):
    return [float(schedule(s)) for s in steps]


def test_warmup_then_linear_decay_to_its_floor():
    schedule = WarmupLinearDecay(1e-3, warmup_steps=10, total_steps=110, end_fraction=0.05)
    assert _rates(schedule, (0, 9, 10, 60, 110, 500)) == pytest.approx([1e-4, 1e-3, 1e-3, 5.25e-4, 5e-5, 5e-5])


def test_continued_schedule_is_the_base_from_scratch_and_rewarms_when_continued():
    base = WarmupLinearDecay(1e-3, warmup_steps=10, total_steps=110)
    schedule = ContinuedSchedule(base, rewarm_steps=4)
    steps = (0, 5, 10, 60, 109)
    assert _rates(schedule, steps) == pytest.approx(_rates(base, steps))
    schedule.offset.assign(60)
    assert _rates(schedule, (0, 1, 3, 20)) == pytest.approx([5e-4 / 4, 4.9e-4 / 2, 4.7e-4, 3e-4])


def test_a_continued_adamw_takes_a_first_step_of_the_learning_rate_not_several_times_it():
    """Adam's first bias-corrected step is lr * sign(gradient). Counting the optimizer from the global step
    (24,500) would switch the correction off for its fresh moments: a first step of ~3.2 lr, growing to
    ~6.5 lr by the tenth."""
    base = WarmupLinearDecay(1e-3, warmup_steps=1000, total_steps=50_000)
    schedule = ContinuedSchedule(base, rewarm_steps=1)
    schedule.offset.assign(24_500)
    weight = tf.Variable([1.0, -1.0])
    optimizer = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=0.0)
    optimizer.apply_gradients([(tf.constant([0.5, -2.0]), weight)])
    expected = float(base(24_500))
    assert np.abs(weight.numpy() - [1.0, -1.0]) == pytest.approx([expected, expected], rel=1e-3)
