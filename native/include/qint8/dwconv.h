// The fast int8 DEPTHWISE_CONV_2D (spec 5.3): weights packed once per channel tile (folded bias, per-channel
// requantization), input rows regrouped once into tap rows, one row microkernel per ISA, output rows split over
// threads. Bit-identical to the reference DepthwiseConv2D (ops.h) for int8 input, weights (zero point 0) and output.
//
// How one output is computed (every kernel; the folding is spec 5.6):
//   1. The driver describes each needed input row as a padded row R of pixels: pixel p is input column p - PadLeft
//      expanded to output channels (R[p][ic*M + m] = x[ic]), or a pixel of z_in bytes where that column is outside
//      the image; rows outside the image are all z_in. R is a table of pixel pointers: straight into the input when
//      M == 1 and the channels fill whole tiles, else into a copy the driver expands.
//   2. The kernel's pack_row regroups R into a tap row T: entry e holds, for each channel of a tile, the G values
//      of pixels e*q + g*DilationWidth (g < G) in the kernel's lane order (q = gcd(StrideWidth, G*DilationWidth):
//      only those positions are ever read). Kernels that flip (VNNI: u8 x s8 dot) store x ^ 0x80.
//   3. The kernel's row function: acc = bias' + sum over ky < KH, tap groups j < ceil(KW/G) of the G-way dot of
//      T_ky[(ox*StrideWidth + j*G*DilationWidth) / q] with the packed weights (taps kx >= KW weigh 0), where
//      bias'[oc] = bias[oc] - (z_in + (flips ? 128 : 0)) * sum_taps w[oc] (mod 2^32). Padding taps read z_in, so
//      they add w*z_in that bias' removes again: exactly the reference's skipped taps. Then the profile's
//      requantization, the output zero point (saturating) and the clamp, all in SIMD.
#ifndef QINT8_DWCONV_H_
#define QINT8_DWCONV_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "qint8/fixedpoint.h"
#include "qint8/isa.h"
#include "qint8/ops.h"

namespace qint8 {

// The output stage of one operator: clamp(requant_profile(acc) + output_zero_point, activation_min,
// activation_max). Requires -128 <= output_zero_point <= 127 and -128 <= activation_min <= activation_max <= 127.
struct DwconvOutput {
  Profile profile;
  int32_t output_zero_point;
  int32_t activation_min;
  int32_t activation_max;
};

// One call of a row function: the output row (all tiles) of one (batch, oy).
struct DwconvRowParams {
  const uint8_t* const* rows;  // KH tap rows (T), row ky for input row oy*StrideHeight - PadTop + ky*DilationHeight
  size_t row_tile_bytes;       // bytes of one tile's entries inside a tap row (tile t starts at t * row_tile_bytes)
  const uint8_t* weights;      // the packed tiles (PackedDwconvWeights::data), 64-byte aligned
  size_t weight_tile_bytes;    // bytes per packed tile
  size_t weights_offset;       // where in a tile the taps this row reads start (the G-tap or the 2x2-quad copy)
  size_t tiles;                // ceil(channels / CT)
  // Phase mode (pair mode of a kernel with pack_phase_windows; 0 otherwise): the input's pixels start phase_bytes
  // (16, 32 or 48) past a 64-byte line, and the row function's 64-channel windows start phase_bytes before the tile
  // pairs, at channel 64j - phase_bytes, so that every input load of the packing is aligned. Window 0 then holds, in
  // its first phase_bytes / 16 lanes, the last phase_bytes channels of the column before (their taps are packed one
  // column later: PackedDwconvWeights::phase_windows), and its output goes out in two stores. Every pixel pointer of
  // the padded rows has phase_bytes readable bytes before it that hold the previous column's last channels.
  size_t phase_bytes = 0;
  const uint8_t* phase_windows = nullptr;  // PackedDwconvWeights::phase_windows, in phase mode
  size_t channels;             // output channels (the last tile stores channels - (tiles - 1) * CT of them)
  size_t out_w;                // output pixels in the row, >= 1
  size_t entry_step;           // tap-row entries between output pixels ox and ox + 1 (StrideWidth / q)
  size_t group_step;           // tap-row entries between tap groups j and j + 1 (G * DilationWidth / q)
  size_t kh, kw_groups;        // tap rows and tap groups per tap row: KH and ceil(KW / G), in pair mode both halved
                               // (rounded up): rows[k] is row pair k, its entries 2x2 quads
  bool left_shift;             // some channel has shift > 0 (tflite-ref: x << shift before the multiply)
  int8_t* out;                 // output pixel ox, channel c at out[ox * channels + c]; nothing else is written
  DwconvOutput output;
  // Pair mode only: a tap row (none when px_a is null) that the row function packs, as pack_row_pairs(px_a, px_b,
  // tiles, entries, t_row, row_tile_bytes) would, while it computes, so that the packing's loads and shuffles
  // overlap the output stage's arithmetic. It is not one of `rows`.
  struct PackAhead {
    const int8_t* const* px_a = nullptr;
    const int8_t* const* px_b = nullptr;
    size_t entries = 0;
    uint8_t* t_row = nullptr;
  } pack_ahead;
};
using DwconvRowFn = void (*)(const DwconvRowParams& p);

// Regroups a padded row into a tap row. px[p]: pixel p of the padded row, tiles * CT readable bytes in channel order
// (tile t at px[p] + t * CT). Writes, for tile t < tiles and entry e < entries (an even count), the tile's CT
// channels of pixels e*q + g*d (g < G), x ^ 0x80 when the kernel flips, in the kernel's lane order and entry layout
// (entries * CT * G * element_bytes bytes from t_row + t * row_tile_bytes, the layout its row function reads).
// Reads px[p] only for p < (entries - 1) * q + (G - 1) * d + 1.
using DwconvPackRowFn = void (*)(const int8_t* const* px, size_t tiles, size_t entries, size_t q, size_t d,
                                 uint8_t* t_row, size_t row_tile_bytes);

// Pair mode (stride 2, dilation 1, G = 4, one-byte elements): regroups two padded rows a, b (pixel tables as for
// DwconvPackRowFn) into one tap row whose entry e holds, per channel, the 2x2 quad (a[2e], a[2e+1], b[2e], b[2e+1]),
// in the layout of the kernel's pack_row with q = 2. Reads px_a[p], px_b[p] only for p < 2 * entries. With
// phase_bytes != 0 (phase mode, see DwconvRowParams), tile pair j holds the window of channels starting at
// 64j - phase_bytes, and the bytes before each pixel are read too.
using DwconvPackRowPairsFn = void (*)(const int8_t* const* px_a, const int8_t* const* px_b, size_t tiles,
                                      size_t entries, uint8_t* t_row, size_t row_tile_bytes, size_t phase_bytes);

// One line of the depthwise kernel inventory.
struct PackedDwconvWeights;

struct DwconvKernel {
  Isa isa;
  const char* name;            // e.g. "qs8-dwconv-2x32c4-minmax-avx512vnni": 2 pixels x 32-channel tiles, 4 taps/group
  size_t ct;                   // channels per tile
  size_t g;                    // taps per group (the dot width along kx)
  size_t element_bytes;        // bytes per value in T and in the packed weights: 1 (uint8/int8) or 2 (int16)
  bool flips_input;            // T holds x ^ 0x80 (uint8); bias' carries -128 * sum w
  size_t (*slot_channel)(size_t slot);  // lane order: the tile channel held by slot s (0 <= s < ct)
  DwconvPackRowFn pack_row;
  DwconvRowFn row;
  // Optional: kernel-private constants derived once per tile at packing time (e.g. requantization constants in
  // the kernel's register layout), extra_bytes (a multiple of 64) written by pack_extra(header, next_header, extra)
  // once every tile's header and weights are written; next_header is tile t + 1's header, nullptr for the last
  // tile (kernels that process tiles in pairs keep the pair's constants together). Row functions find them at the
  // end of each tile.
  size_t extra_bytes;
  void (*pack_extra)(const uint8_t* header, const uint8_t* next_header, uint8_t* extra);
  // Optional: pair mode (stride-2 layers read row pairs of 2x2 quads: 4/9 of a 3x3 filter's padded taps wasted
  // instead of 1/4, and half the tap-row bytes). Packed weights then carry the 2x2-quad copy of the taps.
  DwconvPackRowPairsFn pack_row_pairs;
  // Optional, with pack_row_pairs: the weights of phase mode, packed once from the finished tiles and the filter
  // (PackedDwconvWeights::phase_windows). Returns the bytes they take (0: no phase mode for these weights); writes
  // them when `windows` is not null.
  size_t (*pack_phase_windows)(const PackedDwconvWeights& packed, const int8_t* filter, uint8_t* windows);
};

// The kernels compiled into this binary (scalar first); listing one says it was compiled, not that the CPU runs it.
const std::vector<DwconvKernel>& DwconvKernels();
// The kernel for `isa`, or the nearest compiled fallback (avx512vnni / avxvnni -> avx2 -> scalar; neon-i8mm ->
// neon-dotprod -> neon -> scalar). Does not check the CPU.
const DwconvKernel& DwconvKernelFor(Isa isa);

// Weights packed once for one kernel. Tile t (64-byte aligned, weight_tile_bytes apart) holds, in slot order:
//   int32 bias'[CT], int32 multiplier[CT], int32 shift[CT], float scale[CT], then for ky < KH, j < ceil(KW/G):
//   CT x G weights (element_bytes each; taps kx = j*G + g >= KW and channels >= `channels` are zero), then (64-byte
//   aligned) the kernel's extra_bytes, which end the tile.
struct PackedDwconvWeights {
  const DwconvKernel* kernel = nullptr;
  size_t channels = 0, kh = 0, kw = 0, kw_groups = 0, tiles = 0, tile_bytes = 0;
  size_t weights_offset = 0;       // the G-tap taps in each tile (after the header)
  size_t pair_weights_offset = 0;  // the 2x2-quad taps in each tile (kernels with pack_row_pairs), else 0
  // Phase mode's copy of the pair-mode taps, folded bias and the kernel's constants, regrouped for windows that
  // start 16, 32 or 48 channels before the tile pairs (kernel.pack_phase_windows; 64-byte aligned, after the
  // tiles), else null.
  uint8_t* phase_windows = nullptr;
  int32_t input_zero_point = 0;  // z_in (= -InputOffset), folded into bias'
  bool left_shift = false;       // some channel has shift > 0
  std::vector<uint8_t> storage;  // over-allocated by 64 bytes for alignment
  uint8_t* data = nullptr;
};

// Packs filter [KH, KW, channels] (int8, zero point 0; filter[(ky*KW + kx)*channels + c]) with the optional bias,
// the input zero point and the requantization (arrays of `channels` entries, or 1 when !per_channel; null arrays
// read as 0). Requires KH, KW, channels >= 1, multiplier in [0, 2^31) and shift in [-31, 30].
void PackDwconvWeights(const DwconvKernel& kernel, const int8_t* filter, size_t kh, size_t kw, size_t channels,
                       const int32_t* bias, int32_t input_zero_point, const int32_t* multiplier, const int32_t* shift,
                       const float* scale, bool per_channel, PackedDwconvWeights* packed);

// The spatial part of a depthwise geometry (ConvParams minus the quantization fields).
struct DwconvShape {
  int64_t batches, in_h, in_w, in_c, depth_multiplier, out_h, out_w;
  int64_t stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
};

// Whether RunDwconv takes this shape with these weights: in_c * depth_multiplier == channels, strides and
// dilations >= 1, and scratch rows of reasonable size (a huge stride or dilation over a small input is left to the
// reference kernel, which skips taps instead of materialising them).
bool DwconvShapeSupported(const PackedDwconvWeights& packed, const DwconvShape& shape);

// Whether RunDwconv runs this shape in pair mode (row pairs of 2x2 quads: the kernel has pack_row_pairs, stride 2
// and dilation 1 both ways, a filter of at least 2x2). Needs only packed.kernel, kh and kw.
bool DwconvUsesRowPairs(const PackedDwconvWeights& packed, const DwconvShape& shape);

// Whether RunDwconv runs this input in phase mode (see DwconvRowParams::phase_bytes): pair mode, phase windows
// packed, the channels in whole tiles (no copy), and an input that starts 16, 32 or 48 bytes past a 64-byte line.
bool DwconvUsesInputPhase(const PackedDwconvWeights& packed, const DwconvShape& shape, const int8_t* input);

// out NHWC int8 [batches, out_h, out_w, channels] = the depthwise convolution of input NHWC int8 [batches, in_h,
// in_w, in_c]. Output rows are split over up to `threads` threads (0 = every pool thread); the result is identical
// for any count. Requires DwconvShapeSupported. Reads the input and writes the output only inside the tensors.
// Throws std::bad_alloc (before writing anything) when the scratch rows cannot be allocated.
void RunDwconv(const PackedDwconvWeights& packed, const DwconvShape& shape, const int8_t* input, int8_t* out,
               const DwconvOutput& output, size_t threads);

// The stateless entry for the N-API glue: DepthwiseConv2D (ops.h) through the kernel of `isa` when the call is
// int8 -> int8 with int8 weights (FilterOffset 0), OutputOffset in [-128, 127], the activation range inside
// int8, multipliers >= 0 and shifts in [-31, 30] (fixed-point profiles), and a supported shape. Returns false,
// having written nothing, otherwise (the caller then runs the reference). Weights are packed on every call.
bool DepthwiseConv2DFast(ByteTensor input, ByteTensor filter, const int32_t* bias, const Requantization& requant,
                         const int32_t* geometry, uint8_t* out, Isa isa, size_t threads);

}  // namespace qint8

#endif  // QINT8_DWCONV_H_
