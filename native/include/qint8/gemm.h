// The int8 GEMM contract shared by every ISA: packed weight panels, the optional LHS packing, the microkernel
// signature, the kernel inventory entry, and the driver that tiles M x N over (optionally) several threads.
// C[m, n] = requantize(bias'[n] + sum_k A[m, k] * W[n, k]) for int8 A [M, K] and int8 W [N, K].
//
// Changes to the first draft (x86 GEMM work; the contract stays ISA-neutral):
//  1. GemmKernel gained `pack_lhs` + `lhs_element_bytes`: an optional repacking of up to MR rows of A into the
//     kernel's own order, run by the driver once per row tile (not once per panel). x86 uses it to flip A to
//     uint8 for VNNI and to widen A to int16 for AVX2; ARM i8mm could interleave row pairs there; nullptr keeps
//     the draft's behaviour (the microkernel reads A rows directly). GemmPackLhsFn is new.
//  2. GemmMicrokernelFn: with pack_lhs, `a` is that packed block and a_stride is unused. Every microkernel may
//     be called with k == 0 (the result is the requantized bias'). The gemv must handle any single row: RunGemm
//     uses it for M == 1 and also, row by row, for a last row tile of at most MR/3 rows.
//  3. GemmKernel gained `gemv_name` (the gemv's own inventory name).
//  4. GemmPanelLayout is built by MakeGemmPanelLayout(); the header is four 4-byte arrays (bias, multiplier,
//     shift, scale): kHeaderInts (3) became kHeaderArrays (4), matching the layout the draft described.
//  5. PackGemmWeights accepts null bias / multiplier / shift / scale (read as zeros); RunGemm threads 0 = all.
//  6. New: GemmKernelsForTesting() (inventory + twins that exercise kernels this CPU cannot run natively) and
//     GemmReference() (the naive oracle: no folding, no packing).
//  8. Optional per-panel extra constants (GemmKernel::pack_extra, extra_bytes), derived from the header once at
//     packing time and placed between the header and the weights: the AVX-512 output stage keeps its 64-bit
//     tflite-ref constants there instead of deriving them for every tile.
//  7. Preconditions written down: output zero point any int32 (added with saturation), multiplier in
//     [0, 2^31), shift in [-31, 30], a_stride >= K, c_stride >= N.
#ifndef QINT8_GEMM_H_
#define QINT8_GEMM_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "qint8/fixedpoint.h"
#include "qint8/isa.h"

namespace qint8 {

// Per-operator output stage, the same for every output channel:
//   C = clamp(sat32(requant_profile(acc) + output_zero_point), activation_min, activation_max)
// The zero point may be any int32 (the sum saturates, never wraps);
// requires -128 <= activation_min <= activation_max <= 127.
struct GemmOutput {
  Profile profile;
  int32_t output_zero_point;
  int32_t activation_min;
  int32_t activation_max;
};

// A packed weight panel holds NR output channels (the last panel is zero-padded to NR):
//   int32 bias[NR]        bias[n] - z_in * sum_k W[n,k], modulo 2^32; kernels that flip activations to uint8
//                         (VNNI: x ^ 0x80 = x + 128) also carry - 128 * sum_k W[n,k]
//   int32 multiplier[NR]  fixed-point profiles: Q31 multiplier in [0, 2^31)
//   int32 shift[NR]       fixed-point profiles: shift in [-31, 30] (positive = left)
//   float scale[NR]       xnnpack-fp32: float32 scale
//   uint8 extra[...]      the kernel's extra_bytes of constants derived from the four arrays (pack_extra)
//   int8  weights[...]    Kp * NR bytes in the kernel's own order (Kp = K rounded up to KR), zero-padded
// Panels start 64-byte aligned within the packed buffer; panel_bytes is a multiple of 64. Padding channels
// have bias, multiplier, shift, scale and weights all zero.
struct GemmPanelLayout {
  size_t nr = 0;
  size_t kr = 0;
  size_t k_padded = 0;
  size_t panel_bytes = 0;
  size_t extra_bytes = 0;  // a multiple of 64
  static constexpr size_t kHeaderArrays = 4;  // bias, multiplier, shift, scale
  size_t extra_offset() const { return nr * kHeaderArrays * sizeof(int32_t); }
  size_t weights_offset() const { return extra_offset() + extra_bytes; }
};
GemmPanelLayout MakeGemmPanelLayout(size_t nr, size_t kr, size_t k, size_t extra_bytes = 0);

// One tile: rows m of A, columns n <= NR of one panel, full K.
//   gemm: 1 <= m <= MR; gemv: m == 1.  1 <= n <= NR.  k >= 0 is the true K (the kernel walks k_padded).
//   Without pack_lhs: reads A only inside [a + i*a_stride, a + i*a_stride + k) for i < m.
//   With pack_lhs: `a` is the block pack_lhs wrote (64-byte aligned, mr_block = MR for gemm, 1 for gemv);
//   a_stride is unused.
//   `panel` is 64-byte aligned. Writes C[i * c_stride + j] for i < m, j < n only (c_stride in bytes).
using GemmMicrokernelFn = void (*)(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride, const uint8_t* panel,
                                   int8_t* c, size_t c_stride, const GemmOutput& output);

// The indirect form of a tile (the conv driver's IGEMM): A row i < MR is read as `segments` pieces of segment_k
// (a multiple of KR) elements, piece s at a[s * MR + i], laid end to end (segments * segment_k == k_padded, so
// K is a multiple of KR); rows i >= m need readable pointers (any row) and are not stored. The elements are those
// pack_lhs would write (uint8 x ^ 0x80 for kernels that flip). Same panel and C conventions as the direct form.
using GemmIndirectMicrokernelFn = void (*)(size_t m, size_t n, size_t segments, size_t segment_k,
                                           const uint8_t* const* a, const uint8_t* panel, int8_t* c, size_t c_stride,
                                           const GemmOutput& output);

// Writes the weight part of one panel (n_valid <= NR channels of W, rows of k bytes, row i at w + i*k)
// in the kernel's order; padding (channels >= n_valid, k >= K) must be zero.
using GemmPackWeightsFn = void (*)(const int8_t* w, size_t n_valid, size_t k, size_t k_padded, size_t nr, int8_t* dst);

// Packs rows [0, m) of A (row stride a_stride bytes, k columns) into a block of mr_block rows in the kernel's
// order: mr_block * k_padded * lhs_element_bytes bytes at dst (64-byte aligned). Rows m..mr_block-1 and
// columns k..k_padded-1 must be written too (any value: the matching weights are zero or the rows are not
// stored), so the microkernel reads only initialised bytes. 1 <= m <= mr_block.
using GemmPackLhsFn = void (*)(size_t m, size_t mr_block, size_t k, size_t k_padded, const int8_t* a,
                               size_t a_stride, void* dst);
// Derives a panel's extra constants from its filled header (`panel`: bias, multiplier, shift, scale arrays of nr
// entries each) into the kernel's extra_bytes at `extra` (64-byte aligned). Padding channels have zero header.
using GemmPackExtraFn = void (*)(const uint8_t* panel, size_t nr, uint8_t* extra);

// One line of the kernel inventory: a kernel family for one ISA with its tile and packing.
struct GemmKernel {
  Isa isa;
  const char* name;             // e.g. "qs8-gemm-6x64c4-minmax-avx512vnni"; the gemv is named by gemv_name
  const char* gemv_name;        // e.g. "qs8-gemm-1x64c4-minmax-avx512vnni" (== name when gemv == gemm)
  size_t mr, nr, kr;
  bool flips_activations;       // reads A as uint8 (x ^ 0x80); bias carries -128 * sum_k W
  GemmMicrokernelFn gemm;       // tiles of up to MR rows
  GemmMicrokernelFn gemv;       // M == 1 (may be the same function)
  GemmPackWeightsFn pack;
  GemmPackLhsFn pack_lhs;       // nullptr: the microkernels read A directly
  size_t lhs_element_bytes;     // bytes per packed A element (1: int8/uint8, 2: int16); 0 without pack_lhs
  GemmPackExtraFn pack_extra = nullptr;  // nullptr: no extra constants
  size_t extra_bytes = 0;                // per panel, a multiple of 64
  GemmIndirectMicrokernelFn igemm = nullptr;  // nullptr: convolutions go through im2col blocks only
};

// The kernels compiled into this binary (scalar first, then by ISA); the dispatcher picks the one for an Isa.
// Listing a kernel says it was compiled, not that this CPU runs it: check UsableIsas() before calling.
const std::vector<GemmKernel>& GemmKernels();
// The kernel for `isa`, or the nearest compiled fallback of the same family (avx512vnni/avxvnni -> avx2 ->
// scalar; neon-i8mm -> neon-dotprod -> neon -> scalar). Does not check the CPU.
const GemmKernel& GemmKernelFor(Isa isa);
// GemmKernels() plus twins compiled from the same source with another ISA's encoding so that a kernel this CPU
// cannot run is still exercised (e.g. the AVX-VNNI kernel built with EVEX encodings; its isa is then
// avx512vnni). For tests and benches only; never dispatched.
const std::vector<GemmKernel>& GemmKernelsForTesting();

// Weights packed once for one kernel, with the requantization of every channel.
struct PackedGemmWeights {
  const GemmKernel* kernel = nullptr;
  size_t n = 0;
  size_t k = 0;
  GemmPanelLayout layout{};
  std::vector<uint8_t> storage;  // over-allocated by 64 bytes for alignment
  uint8_t* panels = nullptr;     // 64-byte aligned start inside storage
  size_t panel_count() const { return layout.nr == 0 ? 0 : (n + layout.nr - 1) / layout.nr; }
};

// Packs W [N, K] (int8, zero point 0) with optional bias, the input zero point and per-channel requantization
// (arrays of length N, or 1 when per-tensor) for `kernel`. Null bias / multiplier / shift / scale read as 0
// (a profile only reads its own arrays). Requires multiplier in [0, 2^31) and shift in [-31, 30].
void PackGemmWeights(const GemmKernel& kernel, const int8_t* w, size_t n, size_t k, const int32_t* bias,
                     int32_t input_zero_point, const int32_t* multiplier, const int32_t* shift, const float* scale,
                     bool per_channel, PackedGemmWeights* packed);

// C [M, N] (row stride c_stride >= N bytes) = GEMM of A [M, K] (row stride a_stride >= K bytes) with packed
// weights. M == 1 (and a short last row tile) runs the kernel's gemv. `threads` (0 = every pool thread) bounds
// how many threads take part; results are identical for any thread count (each output is computed once, by
// exact integer arithmetic and the same requantization). Reads A and writes C only inside the matrices.
void RunGemm(const PackedGemmWeights& packed, size_t m, const int8_t* a, size_t a_stride, int8_t* c, size_t c_stride,
             const GemmOutput& output, size_t threads);

// The oracle: a naive triple loop over unpacked W [N, K] with TFLite's formula
//   acc = bias[n] + sum_k (A[m,k] - z_in) * W[n,k]  (int32, wrapping), then the scalar requantization of
// fixedpoint.h, the saturating zero point and the clamp. Same argument conventions as PackGemmWeights.
void GemmReference(size_t m, size_t n, size_t k, const int8_t* a, size_t a_stride, const int8_t* w,
                   const int32_t* bias, int32_t input_zero_point, const int32_t* multiplier, const int32_t* shift,
                   const float* scale, bool per_channel, int8_t* c, size_t c_stride, const GemmOutput& output);

}  // namespace qint8

#endif  // QINT8_GEMM_H_
