# STM32 Nucleo-144 F429ZI: Cortex-M4F at 180 MHz (HSE 8 MHz bypass from the ST-LINK), USART3 on
# PD8/PD9 = the ST-LINK virtual COM port, DWT cycles. Flashed with openocd or st-flash.
BOARD_CPU := cortex-m4+fp
BOARD_SRCS := boards/stm32f4/board.cc boards/common/cycles_dwt.cc boards/common/halt_spin.cc
BOARD_DEFS := -DBOARD_NAME='"nucleo_f429zi"' -DSTM32_USART3_PD8_PD9 -DSTM32_HSE_BYPASS_180MHZ -DNUM_IRQS=91
BOARD_FLASH_BYTES := 2097152
# 192 KB SRAM for data and arena; the stack lives in the 64 KB CCM.
BOARD_RAM_BYTES := 196608
BOARD_STACK_RAM_BYTES := 65536
OPENOCD_CFG := board/st_nucleo_f4.cfg
