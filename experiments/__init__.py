"""Reproduction of the paper's experiments: per-task recipes, end-to-end runs and the results table."""
