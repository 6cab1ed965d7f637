# nano33ble, ROUTE=arduino: the usual Arduino route. The sketch (boards/nano33ble/arduino/ plus the
# board-independent core of src/ and the model, copied into build/) is compiled and uploaded with
# arduino-cli and the arduino:mbed_nano core; TFLM is an Arduino library made from the same pinned tree
# (scripts/arduino_library.sh, kept in the cache).

ARDUINO_CLI ?= arduino-cli
FQBN ?= arduino:mbed_nano:nano33ble
ARDUINO_DIR := $(BUILD_DIR)/arduino
SKETCH := $(ARDUINO_DIR)/embbert_q
ARDUINO_BUILD := $(ARDUINO_DIR)/build
ARDUINO_LIBS := $(FW_CACHE)/arduino-$(LOCK_ID)/$(LIB_KERNELS)
ARDUINO_LIB := $(ARDUINO_LIBS)/tflite_micro_embbert
ARDUINO_FLAGS := -DTF_LITE_STATIC_MEMORY -DTF_LITE_MCU_DEBUG_LOG -DNDEBUG -DKERNELS_NAME=\"$(KERNELS)\" \
  $(if $(filter cmsis_nn,$(LIB_KERNELS)),-DCMSIS_NN) $(if $(filter fast,$(KERNELS)),-DEMBBERT_FAST_KERNELS) \
  $(if $(ARENA),-DARENA_BYTES=$(ARENA)) \
  -I$(ARDUINO_LIB)/src/third_party/flatbuffers/include -I$(ARDUINO_LIB)/src/third_party/gemmlowp \
  -I$(ARDUINO_LIB)/src/third_party/ruy -I$(ARDUINO_LIB)/src/third_party/kissfft \
  -I$(ARDUINO_LIB)/src/third_party/cmsis_nn \
  -I$(ARDUINO_LIB)/src/third_party/cmsis_nn/Include
ARDUINO_PROPS := --build-property "compiler.cpp.extra_flags=$(ARDUINO_FLAGS)" \
  --build-property "compiler.c.extra_flags=$(ARDUINO_FLAGS)"

.PHONY: check-arduino arduino-library sketch arduino-check

all: $(ARDUINO_BUILD)/embbert_q.ino.bin
	@echo "firmware: $(ARDUINO_BUILD)/embbert_q.ino.bin (upload: make -C firmware flash BOARD=nano33ble PORT=$(PORT))"

check-arduino:
	@command -v $(ARDUINO_CLI) >/dev/null || { echo "firmware: $(ARDUINO_CLI) not found. The Nano 33 BLE builds with arduino-cli (https://arduino.github.io/arduino-cli/) and its core: 'arduino-cli core install arduino:mbed_nano'. Without them: 'make -C firmware BOARD=nano33ble ROUTE=baremetal' builds the bare-metal image (serial on pins D0/D1)." >&2; exit 1; }
	@$(ARDUINO_CLI) core list | grep -q '^arduino:mbed_nano' || { echo "firmware: the arduino:mbed_nano core is not installed: run 'arduino-cli core install arduino:mbed_nano'" >&2; exit 1; }

arduino-library: $(ARDUINO_LIB)/library.properties

$(ARDUINO_LIB)/library.properties: | check-deps
	PATH="$(if $(PY_BIN),$(PY_BIN):)$$PATH" $(FW_DIR)/scripts/arduino_library.sh $(TFLM) $(ARDUINO_LIB) $(LIB_KERNELS) $(BOARD_CPU)

# The sketch folder: the .ino, the Arduino port and the DWT cycle counter it shares with the bare-metal
# ports, the core and with KERNELS=fast our kernels (.cc renamed .cpp, all in the sketch's top folder,
# which is all arduino-cli compiles besides src/) and the model's files.
sketch: check-model $(MODEL_DIR)/tokenizer_data.cc
	@rm -rf $(SKETCH) && mkdir -p $(SKETCH)
	@cp $(FW_DIR)/boards/nano33ble/arduino/embbert_q.ino $(FW_DIR)/boards/nano33ble/arduino/board_arduino.cpp $(SKETCH)/
	@cp $(FW_DIR)/boards/common/cortex_m.h $(SKETCH)/ && cp $(FW_DIR)/boards/common/cycles_dwt.cc $(SKETCH)/cycles_dwt.cpp
	@for f in $(CORE_SRCS) $(KERNEL_SRCS); do cp $(FW_DIR)/$$f $(SKETCH)/$$(basename $${f%.cc}).cpp; done
	@cp $(FW_DIR)/src/*.h $(if $(KERNEL_SRCS),$(FW_DIR)/src/kernels/*.h) $(SKETCH)/
	@cp $(MODEL_DIR)/model_data.h $(MODEL_DIR)/model_ops.h $(MODEL_DIR)/model_settings.h $(SKETCH)/
	@cp $(MODEL_DIR)/model_data.cc $(SKETCH)/model_data.cpp
	@cp $(MODEL_DIR)/tokenizer_data.cc $(SKETCH)/tokenizer_data.cpp

$(ARDUINO_BUILD)/embbert_q.ino.bin: check-arduino $(ARDUINO_LIB)/library.properties sketch
	$(ARDUINO_CLI) compile --fqbn $(FQBN) --libraries $(ARDUINO_LIBS) --build-path $(ARDUINO_BUILD) \
	  $(ARDUINO_PROPS) $(SKETCH)

size: $(ARDUINO_BUILD)/embbert_q.ino.bin
	@echo "firmware: arduino-cli's figures above (it fails the build when the sketch or its globals do not fit)"

flash: all
	$(ARDUINO_CLI) upload --fqbn $(FQBN) -p $(PORT) --input-dir $(ARDUINO_BUILD) $(SKETCH)

# Without arduino-cli: makes the Arduino library and the sketch, then checks with arm-none-eabi-g++ that
# every library source and every sketch source except the Arduino port compiles with the flags
# arduino-cli gets (syntax and includes only; mbed's headers are not available here).
arduino-check: $(ARDUINO_LIB)/library.properties sketch
	@cd $(ARDUINO_LIB)/src && find . -name '*.cpp' -o -name '*.c' | grep -v '/cmsis/' > $(ARDUINO_DIR)/sources.txt
	@echo "arduino-check: $$(wc -l < $(ARDUINO_DIR)/sources.txt) library sources"
	@cd $(ARDUINO_LIB)/src && xargs -P $(JOBS) -n 16 sh -c 'for f; do case $$f in \
	  *.c) $(CC) $(CPU_FLAGS) -std=c11 -fsyntax-only $(ARDUINO_FLAGS) -I. $$f || exit 255;; \
	  *) $(CXX) $(CPU_FLAGS) -std=gnu++17 -fno-rtti -fno-exceptions -fsyntax-only $(ARDUINO_FLAGS) -I. $$f || exit 255;; esac; done' sh \
	  < $(ARDUINO_DIR)/sources.txt
	@cd $(SKETCH) && for f in $$(ls *.cpp | grep -v board_arduino); do \
	  $(CXX) $(CPU_FLAGS) -std=gnu++17 -fno-rtti -fno-exceptions -fsyntax-only $(ARDUINO_FLAGS) -I$(ARDUINO_LIB)/src $$f || exit 1; done
	@echo "arduino-check: the TFLM Arduino library and the sketch's core compile with the Arduino flags"
