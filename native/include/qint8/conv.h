// The fast CONV_2D (int8 in, int8 filter with zero point 0, int8 out, every profile) on gemm.h's microkernels: a 1x1
// stride-1 conv is a GEMM over the NHWC input as it lies; any other conv packs the taps of MR output pixels at a time
// (im2col) straight into the kernel's LHS block, then runs the kernel's gemm over each group's weight panels.
#ifndef QINT8_CONV_H_
#define QINT8_CONV_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "qint8/gemm.h"
#include "qint8/isa.h"
#include "qint8/ops.h"

namespace qint8 {

// A CONV_2D filter [Cout, KH, KW, Cf] packed once for one GEMM kernel: one PackedGemmWeights per group
// (group g holds filters [g * Cout/G, (g+1) * Cout/G), each a row of K = KH * KW * Cf bytes in (ky, kx, c)
// order, the im2col column order). Every group's bias carries bias - z_in * sum W (spec 5.6), so the gathered
// taps of a pixel outside the image must hold the byte z_in, which the driver writes.
struct PackedConvWeights {
  const GemmKernel* kernel = nullptr;
  size_t groups = 0;               // G = InputChannels / FilterChannels
  size_t output_channels = 0;      // Cout; Cout / G per group
  size_t filter_height = 0, filter_width = 0, filter_channels = 0;
  int32_t input_zero_point = 0;    // z_in, in [-128, 127]
  std::vector<PackedGemmWeights> group_weights;  // [G]
  size_t depth() const { return filter_height * filter_width * filter_channels; }  // K
};

// One run of an im2col row: `bytes` consecutive bytes at `src` (input bytes, or a buffer of z_in bytes for taps
// outside the image). A row is the concatenation of its runs.
struct Im2colRun {
  const int8_t* src;
  size_t bytes;
};

// Writes exactly the block `pack_lhs(m, mr_block, k, k_padded, rows, k, dst)` would write if `rows` held the m
// im2col rows contiguously (row i = runs[row_first[i]] .. runs[row_first[i + 1] - 1], k bytes in all): one copy
// from the input instead of a gather and a pack. Same preconditions as GemmPackLhsFn (dst 64-byte aligned,
// 1 <= m <= mr_block); reads only the runs' bytes.
using Im2colPackFn = void (*)(size_t m, size_t mr_block, size_t k, size_t k_padded, const Im2colRun* runs,
                              const size_t* row_first, void* dst);

// The window form of an im2col block, for layers whose taps are few bytes (small Cf): the taps that the MR output
// pixels of a row tile read from one input row all lie in one window of at most 64 bytes, so a window packer loads
// that window once per filter row and shuffles each pixel's bytes into place, instead of copying run by run.
// Tile row i (pixel ox0 + i of one output row; taps ix = (ox0 + i) * stride_w - pad_left + kx * dilation_w) takes,
// for im2col column t = (ky * KW + kx) * Cf + c, window ky's byte
//   p = i * stride_w * Cin + kx * dilation_w * Cin + c,
// the window of filter row ky starting at input byte (ox0 * stride_w - pad_left) * Cin + g * Cf of input row
// iy = oy * stride_h - pad_top + ky * dilation_h. The tables say where each block byte comes from, in the form
// byte shuffles within 16-byte lanes want (x86 vpshufb): block byte b = 64 * v + j (b = i * k_padded + t) takes
// byte shuffle[v][j] of 16-byte lane L of window ky when bit j of masks[ky][L][v] is set; the block's other bytes
// (columns >= K, rows >= MR, the last vector's tail) are in no mask.
struct Im2colWindowTables {
  static constexpr size_t kMaxVectors = 6;       // MR * k_padded <= 384
  static constexpr size_t kMaxLanes = 4;         // windows of at most 64 bytes
  static constexpr size_t kMaxFilterRows = 16;   // KH
  size_t mr = 0, k_padded = 0, filter_rows = 0;
  size_t vectors = 0;       // ceil(MR * k_padded / 64): the block is written as whole 64-byte vectors
  size_t lanes = 0;         // ceil(window bytes / 16)
  int64_t line_bytes = 0;   // W * Cin: the bytes of one input row
  int8_t input_zero_point = 0;
  alignas(64) uint8_t shuffle[kMaxVectors][64];
  uint64_t masks[kMaxFilterRows][kMaxLanes][kMaxVectors];
};

// Tile rows [first_row, end_row), which are consecutive pixels of one output row, and the windows they read.
struct Im2colWindowSegment {
  size_t first_row, end_row;
  // KH pointers: the start of input row iy(ky) of the image (pixel 0, channel 0), nullptr for a row above or below
  // the image (every byte z_in).
  const int8_t* const* lines;
  // Window byte p is lines[ky][window_offset + p], counted from tile row 0 (so it may start before the row
  // segment's first pixel, and before the image); bytes outside [0, line_bytes) of the input row read as z_in.
  int64_t window_offset;
};

// Writes the block the kernel's pack_lhs would write from the im2col rows of the segments (rows in no segment,
// e.g. rows >= m of a last tile, are zero), as `tables.vectors` whole 64-byte vectors: dst is 64-byte aligned with
// room for tables.vectors * 64 bytes. Segments are disjoint, within [0, MR). Reads only input bytes inside the
// rows' [0, line_bytes) (masked, fault-suppressing loads).
using Im2colWindowPackFn = void (*)(const Im2colWindowTables& tables, size_t segments,
                                    const Im2colWindowSegment* segment, void* dst);

// Fills `tables` for a layer (KH, KW, Cf, Cin, stride_w, dilation_w, W) and a kernel's MR and k_padded; false (tables
// unusable) when the layer does not fit the window form: the window (MR - 1) * stride_w * Cin +
// (KW - 1) * dilation_w * Cin + Cf over 64 bytes, MR * k_padded over 384, KH over 16, or no taps at all.
bool MakeIm2colWindowTables(const ConvParams& params, size_t mr, size_t k_padded, Im2colWindowTables* tables);

// One line of the im2col packer inventory: the packer standing in for a GEMM kernel's pack_lhs.
struct Im2colPacker {
  Isa isa;                  // what the packer itself needs (the kernels it serves need at least this)
  const char* name;         // e.g. "qs8-im2col-packa-xor80-avx512vnni"
  GemmPackLhsFn pack_lhs;   // the LHS packer whose output it reproduces
  Im2colPackFn pack;
  Im2colWindowPackFn window_pack;  // the window form of `pack`, or nullptr
  // The indirect path's image copy for the kernels it serves: dst[i] = src[i] ^ 0x80 for i < n (nullptr: their
  // convolutions take no indirect path).
  void (*flip_copy)(const int8_t* src, size_t n, uint8_t* dst);
};
// The packers compiled into this binary (several entries may share one packer); tests run each where its isa is
// usable. The driver looks a kernel's pack_lhs up here and falls back to gathering rows and calling pack_lhs.
const std::vector<Im2colPacker>& Im2colPackers();

// Whether the fast path computes this CONV_2D exactly as Conv2D does: int8 input and filter, FilterOffset 0,
// z_in = -InputOffset in [-128, 127], -128 <= ActivationMin <= ActivationMax <= 127 (so the int8 result is the
// reference's low byte), a valid profile, a group structure that divides the channels, and for the fixed-point
// profiles multipliers in [0, 2^31) with shifts in [-31, 30] (the arrays hold PerChannel ? Cout : 1 entries;
// xnnpack-fp32 reads only the scales). Sizes must be >= 0 (what the N-API glue checks).
bool Conv2DFastSupports(ByteTensor input, ByteTensor filter, const Requantization& requant, const ConvParams& params);

// Whether RunConv2D packs the row tiles of this layer with a window packer (most tiles; border tiles that span more
// than two output rows, and short last tiles, still go run by run). For tests and benches.
bool Conv2DUsesIm2colWindows(const PackedConvWeights& packed, const ConvParams& params);

// Whether RunConv2D runs this layer as an indirect GEMM (the kernel's igemm over a flipped, padded copy of the input
// whose filter rows it reads in place: one group, DilationW 1, KW * Cin a multiple of KR, no window packer, a flip
// copy from the kernel's im2col packer, the copy at most 64 MiB). For tests and benches.
bool Conv2DUsesIndirectImage(const PackedConvWeights& packed, const ConvParams& params);

// Packs the filter (and bias or null, requantization, z_in = -InputOffset) of a supported layer for `kernel`.
// Reads only the layer fields of `params` (channels, filter size, offsets, profile, PerChannel), never the
// input or output sizes.
void PackConvWeights(const GemmKernel& kernel, const int8_t* filter, const int32_t* bias, const Requantization& requant,
                     const ConvParams& params, PackedConvWeights* packed);

// out NHWC [N, OH, OW, Cout] = CONV_2D of input NHWC [N, H, W, Cin] with packed weights, bit for bit equal to
// Conv2D. Requires `params` to describe the packed layer (same Cin / Cf, Cout, KH, KW and z_in) and a
// supported output stage; any batch, image and output size, padding, stride and dilation. `threads` as RunGemm
// (0 = every pool thread); the bits do not depend on it. Writes each output byte once and nothing else.
// Scratch: per thread, the kernel's packed MR-row block (rounded up to whole 64-byte vectors for a window packer),
// MR gathered rows of K bytes when no im2col packer serves the kernel, MR * KH * KW runs and 3 * KH input line
// pointers, plus one shared row of K padding bytes and the window tables (on the calling thread's stack); throws
// std::bad_alloc (on the calling thread, perhaps after writing part of `out`) when that cannot be allocated.
void RunConv2D(const PackedConvWeights& packed, const int8_t* input, const ConvParams& params, int8_t* out,
               size_t threads);

// The stateless entry: packs for `isa`'s kernel and runs, returning true, when Conv2DFastSupports; else false
// and nothing written (run Conv2D instead). May throw std::bad_alloc. The N-API glue's ConvCall::Run uses it as
//   if (!depthwise && Conv2DFast(ByteTensor{input.data, input_signed}, ByteTensor{filter.data, filter_signed},
//                                bias_data, requant, geometry.data(), out, isa, threads)) return;
// with ConvCall fields `Isa isa = kIsaScalar; size_t threads = 1;` set in ParseConv from State(env), as
// FullyConnectedCall does: `call.isa = State(env).isa, call.threads = State(env).threads;`.
bool Conv2DFast(ByteTensor input, ByteTensor filter, const int32_t* bias, const Requantization& requant,
                const int32_t* geometry, uint8_t* out, Isa isa, size_t threads);

}  // namespace qint8

#endif  // QINT8_CONV_H_
