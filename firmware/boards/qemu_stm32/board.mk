# QEMU netduinoplus2 (STM32F405, Cortex-M4F): runs the STM32F4 port of the Nucleo on USART1.
BOARD_CPU := cortex-m4+fp
BOARD_SRCS := boards/stm32f4/board.cc boards/common/cycles_systick.cc boards/common/semihosting.cc
# QEMU clocks SysTick at 168 MHz on this machine, whatever RCC says.
BOARD_DEFS := -DBOARD_NAME='"qemu_stm32"' -DSYSTICK_HZ=168000000 -DICOUNT_SHIFT=0 -DNUM_IRQS=82
BOARD_FLASH_BYTES := 1048576
BOARD_RAM_BYTES := 196608
QEMU_MACHINE := netduinoplus2
