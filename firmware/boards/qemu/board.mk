# QEMU mps2-an386 (Cortex-M4F, 25 MHz): the emulated default.
BOARD_CPU := cortex-m4+fp
BOARD_SRCS := boards/qemu/board.cc boards/common/cycles_systick.cc boards/common/semihosting.cc
BOARD_DEFS := -DSYSTICK_HZ=25000000 -DICOUNT_SHIFT=0 -DNUM_IRQS=32
BOARD_FLASH_BYTES := 4194304
BOARD_RAM_BYTES := 4194304
QEMU_MACHINE := mps2-an386
