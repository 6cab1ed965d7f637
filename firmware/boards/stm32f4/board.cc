// Port shared by the STM32F4 boards (nucleo_f429zi, and qemu_stm32 = QEMU netduinoplus2):
// polled USART, clock tree, pins. The board's board.mk picks the USART and clock with defines:
//   STM32_USART3_PD8_PD9  USART3 on PD8/PD9 (AF7), the Nucleo-144 ST-LINK virtual COM port;
//                         otherwise USART1 (PA9/PA10), the first serial port of QEMU's netduinoplus2.
//   STM32_HSE_BYPASS_180MHZ  HSE 8 MHz bypass -> PLL -> 180 MHz with over-drive (Nucleo);
//                         otherwise the core stays on the 16 MHz HSI (QEMU's RCC is a dummy anyway).
#include "board.h"

#include "cortex_m.h"

namespace {

constexpr uint32_t kRcc = 0x40023800u;
#define RCC_CR CM_REG(kRcc + 0x00)
#define RCC_PLLCFGR CM_REG(kRcc + 0x04)
#define RCC_CFGR CM_REG(kRcc + 0x08)
#define RCC_AHB1ENR CM_REG(kRcc + 0x30)
#define RCC_APB1ENR CM_REG(kRcc + 0x40)
#define RCC_APB2ENR CM_REG(kRcc + 0x44)
#define PWR_CR CM_REG(0x40007000u)
#define PWR_CSR CM_REG(0x40007004u)
#define FLASH_ACR CM_REG(0x40023C00u)

#ifdef STM32_USART3_PD8_PD9
constexpr uint32_t kUsart = 0x40004800u;  // USART3, APB1
constexpr uint32_t kGpio = 0x40020C00u;   // GPIOD
constexpr int kTxPin = 8, kRxPin = 9;
#else
constexpr uint32_t kUsart = 0x40011000u;  // USART1, APB2
constexpr uint32_t kGpio = 0x40020000u;   // GPIOA
constexpr int kTxPin = 9, kRxPin = 10;
#endif
#define USART_SR CM_REG(kUsart + 0x00)
#define USART_DR CM_REG(kUsart + 0x04)
#define USART_BRR CM_REG(kUsart + 0x08)
#define USART_CR1 CM_REG(kUsart + 0x0C)
#define GPIO_MODER CM_REG(kGpio + 0x00)
#define GPIO_OSPEEDR CM_REG(kGpio + 0x08)
#define GPIO_PUPDR CM_REG(kGpio + 0x0C)
#define GPIO_AFRH CM_REG(kGpio + 0x24)

constexpr uint32_t kSrRxne = 1u << 5, kSrTxe = 1u << 7, kSrOre = 1u << 3;
constexpr uint32_t kBaud = 115200;

constexpr uint32_t kHsiClock = 16000000u;
#ifdef STM32_HSE_BYPASS_180MHZ
constexpr uint32_t kSysclk = 180000000u, kUsartClock = kSysclk / 4;  // APB1 = HCLK / 4 = 45 MHz
#else
constexpr uint32_t kSysclk = kHsiClock, kUsartClock = kSysclk;
#endif

#ifdef STM32_HSE_BYPASS_180MHZ
// Waits for `mask` in `reg`, but not forever: QEMU's RCC never sets ready bits.
bool wait_for(volatile uint32_t& reg, uint32_t mask, uint32_t value) {
  for (uint32_t i = 0; i < 1000000u; ++i) {
    if ((reg & mask) == value) return true;
  }
  return false;
}

// False when the HSE or the PLL does not start: the core then stays on the 16 MHz HSI.
bool clock_to_180mhz() {
  RCC_APB1ENR |= 1u << 28;   // PWREN
  PWR_CR |= 3u << 14;        // VOS scale 1
  RCC_CR |= (1u << 18) | (1u << 16);  // HSEBYP (ST-LINK MCO 8 MHz), HSEON
  if (!wait_for(RCC_CR, 1u << 17, 1u << 17)) return false;  // no HSE: stay on HSI
  // PLL: 8 MHz / M 8 * N 360 / P 2 = 180 MHz; Q 7 (USB unused).
  RCC_PLLCFGR = 8u | (360u << 6) | (0u << 16) | (1u << 22) | (7u << 24);
  RCC_CR |= 1u << 24;  // PLLON
  if (!wait_for(RCC_CR, 1u << 25, 1u << 25)) return false;
  PWR_CR |= 1u << 16;  // over-drive: needed above 168 MHz
  wait_for(PWR_CSR, 1u << 16, 1u << 16);
  PWR_CR |= 1u << 17;
  wait_for(PWR_CSR, 1u << 17, 1u << 17);
  FLASH_ACR = 5u | (1u << 8) | (1u << 9) | (1u << 10);  // 5 wait states, prefetch, I and D cache
  // AHB /1, APB1 /4 (45 MHz), APB2 /2 (90 MHz), then switch to the PLL.
  RCC_CFGR = (RCC_CFGR & ~0xFCF3u) | (5u << 10) | (4u << 13);
  RCC_CFGR = (RCC_CFGR & ~3u) | 2u;
  return wait_for(RCC_CFGR, 0xCu, 0x8u);
}
#endif

void set_alternate_function7(int pin) {
  GPIO_MODER = (GPIO_MODER & ~(3u << (2 * pin))) | (2u << (2 * pin));
  GPIO_OSPEEDR |= 2u << (2 * pin);
  const int shift = 4 * (pin - 8);
  GPIO_AFRH = (GPIO_AFRH & ~(0xFu << shift)) | (7u << shift);
}

}  // namespace

#ifdef STM32_USART3_PD8_PD9
const BoardInfo kBoardInfo = {BOARD_NAME, "cortex-m4f", kSysclk, "dwt"};
#else
const BoardInfo kBoardInfo = {BOARD_NAME, "cortex-m4f", SYSTICK_HZ, "systick-icount"};
#endif

void board_init() {
  uint32_t usart_clock = kUsartClock;
#ifdef STM32_HSE_BYPASS_180MHZ
  const bool fast = clock_to_180mhz();
  if (!fast) usart_clock = kHsiClock;
#endif
#ifdef STM32_USART3_PD8_PD9
  RCC_AHB1ENR |= 1u << 3;   // GPIOD
  RCC_APB1ENR |= 1u << 18;  // USART3
#else
  RCC_AHB1ENR |= 1u << 0;   // GPIOA
  RCC_APB2ENR |= 1u << 4;   // USART1
#endif
  set_alternate_function7(kTxPin);
  set_alternate_function7(kRxPin);
  GPIO_PUPDR = (GPIO_PUPDR & ~(3u << (2 * kRxPin))) | (1u << (2 * kRxPin));  // RX pull-up
  USART_BRR = (usart_clock + kBaud / 2) / kBaud;  // oversampling by 16: mantissa.fraction in one
  USART_CR1 = (1u << 13) | (1u << 3) | (1u << 2);  // UE, TE, RE
  board_cycles_reset();
#ifdef STM32_HSE_BYPASS_180MHZ
  // Cycle counts stay right, but `info%` says 180 MHz: make the slow clock visible.
  if (!fast) {
    const char* msg = "m-log-no HSE clock: running on the 16 MHz HSI, not 180 MHz\r\n";
    while (*msg) board_putc(*msg++);
  }
#endif
}

void board_putc(char c) {
  while (!(USART_SR & kSrTxe)) {
  }
  USART_DR = static_cast<uint8_t>(c);
}

int board_getc() {
  for (;;) {
    const uint32_t sr = USART_SR;
    if (sr & (kSrRxne | kSrOre)) return static_cast<int>(USART_DR & 0xFF);  // reading DR clears ORE
  }
}
