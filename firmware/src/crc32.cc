#include "crc32.h"

uint32_t crc32(const void* data, size_t len, uint32_t crc) {
  // Bitwise, table-free: inputs are at most a few kilobytes, and 1 KB of table is worth more as RAM.
  const uint8_t* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
  for (size_t i = 0; i < len; ++i) {
    crc ^= p[i];
    for (int b = 0; b < 8; ++b) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}
