"""Learning-rate schedules: linear warm-up, then linear decay (BERT's recipe)."""

from __future__ import annotations

from keras_models._keras import keras, tf


@keras.utils.register_keras_serializable(package="embbert")
class WarmupLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Rises linearly from ~0 to `peak` over `warmup_steps`, then falls linearly to `peak * end_fraction`
    at `total_steps`, and stays there.

    Example:
        >>> schedule = WarmupLinearDecay(1e-3, warmup_steps=10, total_steps=110)
        >>> [round(float(schedule(s)), 6) for s in (0, 9, 10, 60, 110, 200)]
        [0.0001, 0.001, 0.001, 0.0005, 0.0, 0.0]
    """

    def __init__(self, peak: float, warmup_steps: int, total_steps: int, end_fraction: float = 0.0):
        self.peak = float(peak)
        self.warmup_steps = int(warmup_steps)
        self.total_steps = int(total_steps)
        self.end_fraction = float(end_fraction)

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warmup = self.peak * (step + 1.0) / max(1, self.warmup_steps)
        progress = tf.clip_by_value((step - self.warmup_steps) / max(1, self.total_steps - self.warmup_steps), 0.0, 1.0)
        decay = self.peak * (1.0 - (1.0 - self.end_fraction) * progress)
        return tf.where(step < self.warmup_steps, warmup, decay)

    def get_config(self):
        return {"peak": self.peak, "warmup_steps": self.warmup_steps, "total_steps": self.total_steps,
                "end_fraction": self.end_fraction}


class ContinuedSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """`base` at the run's global step when the optimizer's own step count started later (`offset`).

    AdamW's bias correction counts the optimizer's steps: continuing from weights alone, its moments start
    at zero, and setting its step count to the global step would switch that correction off, so that the
    first few hundred updates come out several times too large. Here the optimizer counts from zero, the
    schedule adds `offset`, and the learning rate rises again from ~0 over `rewarm_steps`, while the fresh
    moments settle. With `offset` 0 (a run from scratch) this is `base` unchanged.

    Example:
        >>> schedule = ContinuedSchedule(WarmupLinearDecay(1e-3, 10, 110), rewarm_steps=4)
        >>> schedule.offset.assign(60)  # doctest: +ELLIPSIS
        <...>
        >>> [round(float(schedule(s)), 6) for s in (0, 3, 50)]
        [0.000125, 0.00047, 0.0]
    """

    def __init__(self, base: keras.optimizers.schedules.LearningRateSchedule, rewarm_steps: int):
        self.base = base
        self.rewarm_steps = int(rewarm_steps)
        self.offset = tf.Variable(0, dtype=tf.int64, trainable=False, name="schedule_offset")

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        rate = self.base(step + tf.cast(self.offset, tf.float32))
        rewarm = tf.minimum(1.0, (step + 1.0) / max(1, self.rewarm_steps))
        return tf.where(self.offset > 0, rate * rewarm, rate)
