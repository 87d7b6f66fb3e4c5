// CRC-32C (Castagnoli): the checksum of TFRecord framing, hence of TensorBoard's event files.
// Polynomial 0x1EDC6F41, reflected (0x82F63B78), initial value and final xor 0xFFFFFFFF; its
// published check value, crc32c("123456789"), is 0xE3069283 (RFC 3720, appendix B.4).
#pragma once
#include <cstddef>
#include <cstdint>

namespace aime::io {

// The CRC-32C of `size` bytes, continuing `crc` (0 to start).
std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0);

// TFRecord's masked CRC (tensorflow/core/lib/hash/crc32c.h, Mask): rotate right by 15 and
// add 0xA282EAD8, so that a CRC stored inside checksummed data does not checksum to zero.
inline std::uint32_t mask_crc32c(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u; }

}  // namespace aime::io
