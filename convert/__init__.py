"""Conversion of a trained EmbBERT checkpoint to a fully int8 TFLite Micro model and firmware sources."""
