// CRC-32/IEEE (reflected 0xEDB88320, init and xorout 0xFFFFFFFF): the value of Python's zlib.crc32.
#ifndef EMBBERT_FIRMWARE_CRC32_H_
#define EMBBERT_FIRMWARE_CRC32_H_

#include <cstddef>
#include <cstdint>

// CRC of `len` bytes at `data`. Continue a running CRC by passing the previous result as `crc`.
uint32_t crc32(const void* data, size_t len, uint32_t crc = 0);

#endif  // EMBBERT_FIRMWARE_CRC32_H_
