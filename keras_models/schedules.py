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
