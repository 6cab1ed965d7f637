# Quick start:  make convert   (set up, then convert the shipped checkpoint to build/model/)
#               make test      (set up, then run every test: host, firmware on QEMU, on-device evaluation)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MODEL_OUT := build/model
DEFAULT_CHECKPOINT := checkpoints/snips

.PHONY: setup convert test clean firmware-deps
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

# The firmware's pinned third-party sources (firmware/deps.lock), fetched from GIT_BASE when missing.
# Without the ARM toolchain the firmware tests skip, naming it, so there is nothing to fetch for.
firmware-deps: $(STAMP)
	@if ! command -v arm-none-eabi-gcc >/dev/null; then \
	  echo "firmware: arm-none-eabi-gcc not found, firmware tests will skip (Debian: apt install gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm)" >&2; \
	elif ! $(MAKE) -s -C firmware check-deps 2>/dev/null; then \
	  echo "firmware: fetching the pinned dependencies (firmware/deps.lock) from $${GIT_BASE:-https://github.com/}"; \
	  $(MAKE) -C firmware deps; \
	fi

test: $(MODEL_OUT)/model.tflite firmware-deps
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf build
