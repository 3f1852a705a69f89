// Declarations of the im2col packers of native/src/conv (the inventory that lists them, and says which were
// compiled, is Im2colPackers() in conv.cc). Plain C++ only: safe to include from baseline and ISA translation units.
#ifndef QINT8_SRC_CONV_CONV_KERNELS_H_
#define QINT8_SRC_CONV_CONV_KERNELS_H_

#include <cstddef>
#include <cstdint>

#include "qint8/conv.h"

#define QINT8_IM2COL_PACK(name)                                                                                \
  void name(size_t m, size_t mr_block, size_t k, size_t k_padded, const Im2colRun* runs, const size_t* row_first, \
            void* dst)

#define QINT8_IM2COL_WINDOW_PACK(name)                                                                         \
  void name(const Im2colWindowTables& tables, size_t segments, const Im2colWindowSegment* segment, void* dst)

namespace qint8 {

// uint8 rows (x ^ 0x80), zero-padded to k_padded, rows >= m zero: the block of qs8_packa_xor80_avx512vnni and of
// the ymm VNNI packers (qs8_packa_xor80_avxvnni and its EVEX twin).
QINT8_IM2COL_PACK(qs8_im2col_packa_xor80_avx512vnni);  // zmm, masked tails
QINT8_IM2COL_PACK(qs8_im2col_packa_xor80_avx2);        // ymm; AVX-VNNI CPUs all have AVX2
// The same block from windows (small-Cf layers): zmm byte shuffles within lanes (AVX-512 BW).
QINT8_IM2COL_WINDOW_PACK(qs8_im2col_window_packa_xor80_avx512vnni);
// The indirect path's flipped image (Im2colPacker::flip_copy): dst[i] = src[i] ^ 0x80, zmm / ymm.
void qs8_flip_copy_xor80_avx512vnni(const int8_t* src, size_t n, uint8_t* dst);
void qs8_flip_copy_xor80_avx2(const int8_t* src, size_t n, uint8_t* dst);

// int16 rows (sign-extended), zero-padded to k_padded, rows >= m zero: the block of qs8_packa_x16_avx2.
QINT8_IM2COL_PACK(qs8_im2col_packa_x16_avx2);

}  // namespace qint8

#endif  // QINT8_SRC_CONV_CONV_KERNELS_H_
