# Arduino Nano 33 BLE (nRF52840, Cortex-M4F, 64 MHz, 1 MB flash, 256 KB RAM).
# ROUTE=arduino (default): arduino-cli with the arduino:mbed_nano core, serial over native USB
#   (boards/nano33ble/arduino.mk). ROUTE=baremetal: this port, serial on the D0/D1 header pins.
BOARD_CPU := cortex-m4+fp
BOARD_SRCS := boards/nano33ble/board.cc boards/common/cycles_dwt.cc boards/common/halt_spin.cc
BOARD_DEFS := -DNUM_IRQS=48
BOARD_FLASH_BYTES := 983040
BOARD_RAM_BYTES := 262144
