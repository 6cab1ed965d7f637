// The few Cortex-M4 system registers the bare-metal ports touch (addresses from the ARMv7-M ARM),
// so the ports need no CMSIS headers.
#ifndef EMBBERT_FIRMWARE_CORTEX_M_H_
#define EMBBERT_FIRMWARE_CORTEX_M_H_

#include <cstdint>

#define CM_REG(addr) (*reinterpret_cast<volatile uint32_t*>(addr))

#define SYST_CSR CM_REG(0xE000E010u)
#define SYST_RVR CM_REG(0xE000E014u)
#define SYST_CVR CM_REG(0xE000E018u)
#define SCB_ICSR CM_REG(0xE000ED04u)
#define SCB_VTOR CM_REG(0xE000ED08u)
#define SCB_CFSR CM_REG(0xE000ED28u)
#define SCB_HFSR CM_REG(0xE000ED2Cu)
#define SCB_MMFAR CM_REG(0xE000ED34u)
#define SCB_BFAR CM_REG(0xE000ED38u)
#define SCB_CPACR CM_REG(0xE000ED88u)
#define SCB_SHCSR CM_REG(0xE000ED24u)
#define MPU_CTRL CM_REG(0xE000ED94u)
#define MPU_RNR CM_REG(0xE000ED98u)
#define MPU_RBAR CM_REG(0xE000ED9Cu)
#define MPU_RASR CM_REG(0xE000EDA0u)
#define DEMCR CM_REG(0xE000EDFCu)
#define DWT_CTRL CM_REG(0xE0001000u)
#define DWT_CYCCNT CM_REG(0xE0001004u)

#define ICSR_PENDSTSET (1u << 26)

// The lowest kStackGuardBytes of the stack are an MPU no-access region: an overflow faults there.
constexpr uint32_t kStackGuardBytes = 32;

inline void cm_dsb_isb() { __asm__ volatile("dsb\n\tisb" ::: "memory"); }
inline void cm_disable_irq() { __asm__ volatile("cpsid i" ::: "memory"); }
inline void cm_enable_irq() { __asm__ volatile("cpsie i" ::: "memory"); }

// Linker-script symbols shared by every bare-metal linker script (boards/common/sections.ld).
extern "C" {
extern uint32_t __flash_start__, __etext, __data_start__, __data_end__, __bss_start__, __bss_end__;
extern uint32_t __stack_limit, __stack_top;
}

#endif  // EMBBERT_FIRMWARE_CORTEX_M_H_
