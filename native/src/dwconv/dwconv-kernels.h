// Declarations of the depthwise pack_row and row functions of native/src/dwconv (one pair per ISA; the inventory
// that lists them, with their tiles and lane orders, is native/src/dwconv.cc), plus the output-stage constants the
// SIMD kernels share. Plain C++ only: safe to include from baseline and ISA translation units.
#ifndef QINT8_SRC_DWCONV_DWCONV_KERNELS_H_
#define QINT8_SRC_DWCONV_DWCONV_KERNELS_H_

#include <cstddef>
#include <cstdint>

#include "qint8/dwconv.h"

namespace qint8 {

#define QINT8_DWCONV_PACK_ROW(name)                                                                            \
  void name(const int8_t* const* px, size_t tiles, size_t entries, size_t q, size_t d, uint8_t* t_row, \
            size_t row_tile_bytes)
#define QINT8_DWCONV_ROW(name) void name(const DwconvRowParams& p)

// Scalar (baseline): 8-channel tiles, one tap per group, int16 tap rows; the fixedpoint.h output stage.
QINT8_DWCONV_PACK_ROW(qs8_dwconv_pack_row_8c1_scalar);
QINT8_DWCONV_ROW(qs8_dwconv_8c1_minmax_scalar);

// AVX2: 32-channel tiles of int16 tap pairs (vpmovsxbw + vpunpck{l,h}wd), vpmaddwd + vpaddd.
QINT8_DWCONV_PACK_ROW(qs8_dwconv_pack_row_32c2_avx2);
QINT8_DWCONV_ROW(qs8_dwconv_32c2_minmax_avx2);

// AVX-512 VNNI: 32-channel tiles of uint8 tap quads (x ^ 0x80, vpunpck{l,h}{bw,wd}), taken two at a time (64
// channels per zmm), vpdpbusd; 64-bit requantization with vpsravq and mask registers; pair and phase modes.
QINT8_DWCONV_PACK_ROW(qs8_dwconv_pack_row_32c4_avx512vnni);
void qs8_dwconv_pack_row_pairs_32c4_avx512vnni(const int8_t* const* px_a, const int8_t* const* px_b, size_t tiles,
                                               size_t entries, uint8_t* t_row, size_t row_tile_bytes,
                                               size_t phase_bytes);
size_t qs8_dwconv_pack_phase_windows_32c4_avx512vnni(const PackedDwconvWeights& packed, const int8_t* filter,
                                                     uint8_t* windows);
QINT8_DWCONV_ROW(qs8_dwconv_2x32c4_minmax_avx512vnni);
// Per tile, per accumulator a < 4, 15 zmm of requantization constants: the tile's in the low 256 bits, tile t + 1's
// (the tile's own for the last tile) in the high ones; then 64 bytes of flags (see the kernel's ExtraIndex).
constexpr size_t kDwconvExtraBytes32c4Avx512 = 4 * 15 * 64 + 64;
void qs8_dwconv_pack_extra_32c4_avx512vnni(const uint8_t* header, const uint8_t* next_header, uint8_t* extra);

// Neon: 16-channel tiles, one tap per group, int16 tap rows (SXTL), SMLAL / SMLAL2 into int32.
QINT8_DWCONV_PACK_ROW(qs8_dwconv_pack_row_16c1_neon);
QINT8_DWCONV_ROW(qs8_dwconv_16c1_minmax_neon);

// The layout of a packed tile's header: four arrays of CT 4-byte values (bias', multiplier, shift, scale).
constexpr size_t kDwconvHeaderArrays = 4;

}  // namespace qint8

#endif  // QINT8_SRC_DWCONV_DWCONV_KERNELS_H_
