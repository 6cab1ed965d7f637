# Quick start:  make convert   (set up, then convert the shipped checkpoint to build/model/)
#               make test      (set up, then run every test: host, firmware on QEMU, on-device evaluation)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MODEL_OUT := build/model
DEFAULT_CHECKPOINT := checkpoints/snips

.PHONY: setup convert test clean
setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

$(MODEL_OUT)/model.tflite: $(STAMP) $(DEFAULT_CHECKPOINT)/qat.h5 $(DEFAULT_CHECKPOINT)/checkpoint.json \
		$(wildcard convert/*.py keras_models/*.py keras_models/layers/*.py)
	$(PY) convert/to_tflite.py --out $(MODEL_OUT)

convert: $(STAMP)
	$(PY) convert/to_tflite.py --out $(MODEL_OUT)

test: $(MODEL_OUT)/model.tflite
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf build
