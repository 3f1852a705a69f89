// The depthwise driver (baseline, no intrinsics): the kernel inventory and its dispatch, weight packing, padded and
// regrouped input rows cached per task, output rows split over the thread pool, and DepthwiseConv2DFast.
// The arithmetic contract is in qint8/dwconv.h; every kernel is bit-identical to the reference DepthwiseConv2D.
#include "qint8/dwconv.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "dwconv/dwconv-kernels.h"
#include "qint8/threadpool.h"

namespace qint8 {
namespace {

// Lane orders: the tile channel each slot (accumulator lane) holds.
size_t NaturalOrder(size_t slot) { return slot; }

#if QINT8_HAVE_AVX2
// AVX2 32c2: pairs built by vpunpck{l,h}wd of two 16-channel int16 vectors b = 0, 1; accumulator a = 2b + part
// holds in its 128-bit half h the channels 16b + 8h + 4*part + (0..3). vpackssdw(acc 2b, acc 2b+1) restores the
// channel order of block b.
size_t Avx2PairOrder(size_t slot) {
  const size_t a = slot / 8, l = slot % 8;
  return 16 * (a / 2) + 8 * (l / 4) + 4 * (a % 2) + l % 4;
}
#endif

#if QINT8_HAVE_AVX512VNNI
// AVX-512 VNNI 32c4: quads built by vpunpck{l,h}bw then vpunpck{l,h}wd of four 32-channel byte vectors;
// accumulator a holds in its 128-bit half h the channels 16h + 4a + (0..3). vpackssdw(0, 1), vpackssdw(2, 3) and
// vpacksswb of the two restore the channel order.
size_t Avx512QuadOrder(size_t slot) {
  const size_t a = slot / 8, l = slot % 8;
  return 16 * (l / 4) + 4 * a + l % 4;
}
#endif

std::vector<DwconvKernel> CompiledKernels() {
  std::vector<DwconvKernel> v;
  //          isa              name                                   ct  g  bytes flip   lane order       pack_row                             row                                  extra bytes                    pack_extra                             pack_row_pairs                             pack_phase_windows
  v.push_back({kIsaScalar,     "qs8-dwconv-8c1-minmax-scalar",        8,  1, 2,    false, NaturalOrder,    qs8_dwconv_pack_row_8c1_scalar,      qs8_dwconv_8c1_minmax_scalar,        0,                             nullptr,                               nullptr,                                   nullptr});
#if QINT8_HAVE_AVX2
  v.push_back({kIsaAvx2,       "qs8-dwconv-32c2-minmax-avx2",         32, 2, 2,    false, Avx2PairOrder,   qs8_dwconv_pack_row_32c2_avx2,       qs8_dwconv_32c2_minmax_avx2,         0,                             nullptr,                               nullptr,                                   nullptr});
#endif
#if QINT8_HAVE_AVX512VNNI
  v.push_back({kIsaAvx512Vnni, "qs8-dwconv-2x32c4-minmax-avx512vnni", 32, 4, 1,    true,  Avx512QuadOrder, qs8_dwconv_pack_row_32c4_avx512vnni, qs8_dwconv_2x32c4_minmax_avx512vnni, kDwconvExtraBytes32c4Avx512, qs8_dwconv_pack_extra_32c4_avx512vnni, qs8_dwconv_pack_row_pairs_32c4_avx512vnni, qs8_dwconv_pack_phase_windows_32c4_avx512vnni});
#endif
#if QINT8_HAVE_NEON
  v.push_back({kIsaNeon,       "qs8-dwconv-16c1-minmax-neon",         16, 1, 2,    false, NaturalOrder,    qs8_dwconv_pack_row_16c1_neon,       qs8_dwconv_16c1_minmax_neon,         0,                             nullptr,                               nullptr,                                   nullptr});
#endif
  return v;
}

size_t RoundUp(size_t x, size_t m) { return (x + m - 1) / m * m; }
size_t Gcd(size_t a, size_t b) {
  while (b != 0) {
    const size_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

// Limits of the materialised rows: beyond them (huge strides or dilations over small images, filters of more
// than kMaxKh rows) the reference kernel, which skips taps, is the better tool.
constexpr int64_t kMaxKh = 64;
constexpr double kMaxScratchBytes = 64.0 * 1024 * 1024;

// Everything about the padded rows R and the tap rows T that follows from the shape and the kernel. A tap row is
// made from one padded row (entries of G taps along the width), or, in pair mode, from two (a row pair: entries of
// 2x2 taps, for stride-2 layers whose kernel has pack_row_pairs).
struct RowPlan {
  bool pairs = false;         // tap row P = padded rows 2P, 2P + 1 (output row oy reads P = oy .. oy + tap_rows - 1)
  size_t tap_rows = 0;        // tap rows per output row: KH, or ceil(KH / 2) in pair mode
  size_t g = 1, kw_groups = 1, q = 1, entry_step = 1, group_step = 1;  // kw_groups: per tap row, as the row reads
  size_t entries = 0;        // tap-row entries per tile
  size_t r_pixels = 0;       // pixels of R (input column p - pad_left)
  size_t cp = 0;             // bytes per R pixel: tiles * CT
  size_t entry_bytes = 0;
  size_t row_tile_bytes = 0;  // 64-byte multiple
  size_t t_row_bytes = 0;     // tiles * row_tile_bytes
  size_t slots = 0;           // cached tap rows per task
  size_t valid_begin = 0, valid_end = 0;  // R pixels inside the image: [valid_begin, valid_end)
  bool direct = false;        // R's in-image pixels point into the input (M == 1, channels == tiles * CT)
};

// Pair mode: stride 2 and dilation 1 both ways, a kernel that packs row pairs, a filter of at least 2x2.
bool UsesRowPairs(const DwconvKernel& k, const PackedDwconvWeights& packed, const DwconvShape& s) {
  return k.pack_row_pairs != nullptr && s.stride_h == 2 && s.stride_w == 2 && s.dilation_h == 1 && s.dilation_w == 1 &&
         packed.kh >= 2 && packed.kw >= 2;
}

// Returns false when the rows would be unreasonable (see kMaxScratchBytes); fills *plan otherwise.
bool MakeRowPlan(const PackedDwconvWeights& packed, const DwconvShape& s, RowPlan* plan) {
  const DwconvKernel& k = *packed.kernel;
  if (s.stride_h < 1 || s.stride_w < 1 || s.dilation_h < 1 || s.dilation_w < 1) return false;
  if (s.in_c < 1 || s.depth_multiplier < 1 || s.in_c * s.depth_multiplier != static_cast<int64_t>(packed.channels)) return false;
  if (static_cast<int64_t>(packed.kh) > kMaxKh || s.out_w < 1) return false;
  const double g = static_cast<double>(k.g);
  const double kwg = static_cast<double>(packed.kw_groups);
  // Bound everything in double first (no integer overflow for any int32 geometry), then compute exactly. The span
  // of R: the pixels the output row's taps read, plus one more entry (entries are rounded up to even), which is
  // q = gcd(stride, g * dilation) <= g * dilation pixels further. It also bounds pair mode's 2 * (out_w + KW/2 + 1).
  const double span = static_cast<double>(s.out_w - 1) * s.stride_w + (kwg * g - 1) * s.dilation_w + 1 +
                      static_cast<double>(s.dilation_w) * g;
  const double cp = static_cast<double>(packed.tiles * k.ct);
  const double slots = std::min(static_cast<double>(packed.kh) * s.dilation_h, static_cast<double>(packed.kh) + 32);
  const double entry_bytes = cp * g * k.element_bytes;
  const double scratch = 2 * span * cp + (slots + 1) * span * entry_bytes;
  // A padded row must be paid for by the work it serves: not much wider than the input row plus the taps the
  // output row reads (only huge strides or dilations over small images exceed that).
  if (span > 4 * (static_cast<double>(s.in_w) + static_cast<double>(s.out_w) * kwg * g) + 64) return false;
  if (scratch > kMaxScratchBytes) return false;

  RowPlan p;
  p.g = k.g;
  const size_t out_w = static_cast<size_t>(s.out_w);
  if (UsesRowPairs(k, packed, s)) {
    // Entry e: columns 2e, 2e + 1 of both rows; output pixel ox reads entries ox .. ox + ceil(KW/2) - 1.
    p.pairs = true;
    p.tap_rows = (packed.kh + 1) / 2;
    p.kw_groups = (packed.kw + 1) / 2;
    p.q = 2;
    p.entry_step = 1;
    p.group_step = 1;
    p.entries = RoundUp(out_w - 1 + p.kw_groups, 2);
    p.r_pixels = 2 * p.entries;
    p.slots = p.tap_rows + 1;  // the rows of an output row, and the next one's new row (packed ahead)
  } else {
    const size_t sw = static_cast<size_t>(s.stride_w), dw = static_cast<size_t>(s.dilation_w);
    p.tap_rows = packed.kh;
    p.kw_groups = packed.kw_groups;
    p.q = Gcd(sw, p.g * dw);
    p.entry_step = sw / p.q;
    p.group_step = p.g * dw / p.q;
    // Entries rounded up to even (kernels may store tap rows as blocks of two entries), and R covering them all.
    p.entries = RoundUp(((out_w - 1) * sw + (p.kw_groups - 1) * p.g * dw) / p.q + 1, 2);
    p.r_pixels = std::max((out_w - 1) * sw + (p.kw_groups * p.g - 1) * dw + 1, (p.entries - 1) * p.q + (p.g - 1) * dw + 1);
    p.slots = static_cast<size_t>(slots);
  }
  p.cp = packed.tiles * k.ct;
  p.entry_bytes = k.ct * k.g * k.element_bytes;
  p.row_tile_bytes = RoundUp(p.entries * p.entry_bytes, 64);
  p.t_row_bytes = packed.tiles * p.row_tile_bytes;
  const int64_t r = static_cast<int64_t>(p.r_pixels);
  p.valid_begin = static_cast<size_t>(std::min(std::max<int64_t>(s.pad_left, 0), r));
  p.valid_end = static_cast<size_t>(std::min(std::max<int64_t>(s.pad_left + s.in_w, 0), r));
  if (p.valid_end < p.valid_begin) p.valid_end = p.valid_begin;
  p.direct = s.depth_multiplier == 1 && p.cp == packed.channels;
  *plan = p;
  return true;
}

// A 64-byte aligned byte buffer that keeps its storage between calls (it lives in a thread's scratch). Reserve
// leaves the bytes uninitialised (tap rows: the packers write every byte a row function reads); Release frees
// storage beyond kKeepBytes, so that one huge layer does not pin its scratch for the thread's life.
struct AlignedBuffer {
  static constexpr size_t kKeepBytes = size_t{4} << 20;
  std::unique_ptr<uint8_t[]> storage;
  size_t capacity = 0;
  uint8_t* data = nullptr;
  void Reserve(size_t bytes) {
    if (bytes > capacity) {
      storage.reset();
      capacity = 0;
      data = nullptr;
      storage.reset(new uint8_t[bytes + 64]);
      capacity = bytes;
    }
    const uintptr_t base = reinterpret_cast<uintptr_t>(storage.get());
    data = storage.get() + ((64 - base % 64) % 64);
  }
  void Release() {
    if (capacity <= kKeepBytes) return;
    storage.reset();
    capacity = 0;
    data = nullptr;
  }
};

// The scratch of one task: the padded rows (pixel tables px, and in copy mode the expanded copies r; two in pair
// mode) and `slots` cached tap rows with the tap row they hold (tag).
struct TaskScratch {
  AlignedBuffer r[2], t;
  AlignedBuffer edge[2];  // phase mode: the edge pixels of padded row i (EdgePixels)
  std::vector<const int8_t*> px[2];
  std::vector<int64_t> tag;
  std::vector<uint64_t> last_use;
  std::vector<const uint8_t*> rows;
};

// A calling thread's depthwise scratch, grown on demand and kept for the thread's life (tasks on pool threads use
// it by index; the caller waits for them). Besides the tasks': the pixel of z_in bytes, its pixel table and the
// tap row of padding that every task reads, with the key they were made for, so that repeated runs of a layer
// reuse them.
struct DwconvScratch {
  std::vector<TaskScratch> tasks;
  AlignedBuffer z_pixel, pad_t;
  std::vector<const int8_t*> pad_px;
  std::array<size_t, 9> pad_key{};  // all zero: nothing made yet (a real key holds a kernel address)
  void Release() {
    for (TaskScratch& ts : tasks) {
      for (AlignedBuffer& r : ts.r) r.Release();
      for (AlignedBuffer& e : ts.edge) e.Release();
      ts.t.Release();
    }
    if (pad_t.capacity > AlignedBuffer::kKeepBytes || z_pixel.capacity > AlignedBuffer::kKeepBytes) {
      pad_key = {};
      pad_t.Release();
      z_pixel.Release();
    }
  }
};
DwconvScratch& ThreadScratch() {
  thread_local DwconvScratch scratch;
  return scratch;
}

// Phase mode's phase (DwconvRowParams::phase_bytes): 16, 32 or 48 when the weights have phase windows, the rows are
// row pairs straight from the input (whose channels, a multiple of 64, put every pixel at the same phase), and the
// input starts that far past a 64-byte line; else 0.
size_t InputPhase(const PackedDwconvWeights& packed, const RowPlan& plan, const int8_t* input) {
  const size_t phase = reinterpret_cast<uintptr_t>(input) % 64;
  if (packed.phase_windows == nullptr || !plan.pairs || !plan.direct || phase % 16 != 0) return 0;
  return phase;
}

// Readable bytes before the padding pixel and the edge pixels (phase mode reads up to 48 bytes before a pixel).
constexpr size_t kPhaseSlack = 64;

// Phase mode reads, before each pixel of a padded row, the last channels of the pixel before it in memory, and takes
// them for the column before. Inside the image that is true; at its edges the driver puts copies in the pixel table:
// the first image pixel after z_in bytes, when the column before is padding (or the pixel is the input's first byte:
// nothing may be read before it; other rows' column -1 weighs 0, so the bytes there do not matter), and the padding
// pixel after the last image pixel, after that pixel's last 64 bytes. Prepare writes the z_in bytes once per call;
// Place copies the row's pixels (the tables are refilled per row).
struct EdgePixels {
  // Both pixels sit at the input's phase, with kPhaseSlack + phase bytes before them.
  static size_t Bytes(size_t cp) { return 2 * (2 * kPhaseSlack + cp); }
  static int8_t* Left(uint8_t* buffer, size_t phase) { return reinterpret_cast<int8_t*>(buffer) + kPhaseSlack + phase; }
  static int8_t* Right(uint8_t* buffer, size_t phase, size_t cp) { return Left(buffer, phase) + cp + kPhaseSlack; }
  static void Prepare(size_t cp, size_t phase, uint8_t z_byte, uint8_t* buffer) {
    std::memset(buffer, z_byte, kPhaseSlack + phase);
    std::memset(Right(buffer, phase, cp), z_byte, cp);
  }
  static void Place(const RowPlan& plan, size_t phase, const int8_t* input, uint8_t* buffer, const int8_t** px) {
    if (plan.valid_begin == plan.valid_end) return;
    const int8_t* last = px[plan.valid_end - 1];
    if (plan.valid_begin > 0 || px[plan.valid_begin] == input) {
      int8_t* left = Left(buffer, phase);
      std::memcpy(left, px[plan.valid_begin], plan.cp);
      px[plan.valid_begin] = left;
    }
    if (plan.valid_end < plan.r_pixels) {
      int8_t* right = Right(buffer, phase, plan.cp);
      std::memcpy(right - kPhaseSlack, last + plan.cp - kPhaseSlack, kPhaseSlack);
      px[plan.valid_end] = right;
    }
  }
};

// Copy mode (depth multiplier > 1, or channels not filling whole tiles): writes input row (n, iy) into R's in-image
// pixels, expanded to output channels (the padding pixels keep the z_in bytes they were filled with).
void FillPaddedRow(const int8_t* input, const DwconvShape& s, const RowPlan& p, int64_t n, int64_t iy, int8_t* r) {
  const size_t in_c = static_cast<size_t>(s.in_c), mult = static_cast<size_t>(s.depth_multiplier);
  const size_t pixels = p.valid_end - p.valid_begin;
  if (pixels == 0) return;
  const int8_t* src = input + ((n * s.in_h + iy) * s.in_w + (static_cast<int64_t>(p.valid_begin) - s.pad_left)) * s.in_c;
  int8_t* dst = r + p.valid_begin * p.cp;
  for (size_t i = 0; i < pixels; ++i, src += in_c, dst += p.cp) {
    if (mult == 1) {
      std::memcpy(dst, src, in_c);
    } else {
      for (size_t c = 0; c < in_c; ++c) std::memset(dst + c * mult, src[c], mult);
    }
  }
}

}  // namespace

// The lists are never destroyed: packed weights point into them (see GemmKernels()).
const std::vector<DwconvKernel>& DwconvKernels() {
  static const std::vector<DwconvKernel>* const kernels = new std::vector<DwconvKernel>(CompiledKernels());
  return *kernels;
}

const DwconvKernel& DwconvKernelFor(Isa isa) { return KernelForIsa(DwconvKernels(), isa); }

void PackDwconvWeights(const DwconvKernel& kernel, const int8_t* filter, size_t kh, size_t kw, size_t channels,
                       const int32_t* bias, int32_t input_zero_point, const int32_t* multiplier, const int32_t* shift,
                       const float* scale, bool per_channel, PackedDwconvWeights* packed) {
  const size_t ct = kernel.ct, g = kernel.g, e = kernel.element_bytes;
  PackedDwconvWeights& p = *packed;
  p.kernel = &kernel;
  p.channels = channels;
  p.kh = kh;
  p.kw = kw;
  p.kw_groups = (kw + g - 1) / g;
  p.tiles = (channels + ct - 1) / ct;
  p.input_zero_point = input_zero_point;
  p.left_shift = false;
  const size_t header_bytes = kDwconvHeaderArrays * ct * sizeof(int32_t);
  const size_t weight_bytes = kh * p.kw_groups * ct * g * e;
  // Kernels that pack row pairs read a second copy of the taps as 2x2 quads: ceil(KH/2) x ceil(KW/2) of them.
  const bool quads = kernel.pack_row_pairs != nullptr;
  const size_t pair_rows = (kh + 1) / 2, pair_groups = (kw + 1) / 2;
  p.weights_offset = header_bytes;
  p.pair_weights_offset = quads ? header_bytes + weight_bytes : 0;
  p.tile_bytes = RoundUp(header_bytes + weight_bytes + (quads ? pair_rows * pair_groups * ct * 4 : 0), 64) + kernel.extra_bytes;
  const size_t phase_window_bytes =
      kernel.pack_phase_windows != nullptr ? kernel.pack_phase_windows(p, filter, nullptr) : 0;
  p.storage.assign(p.tiles * p.tile_bytes + phase_window_bytes + 64, 0);
  const uintptr_t base = reinterpret_cast<uintptr_t>(p.storage.data());
  p.data = p.storage.data() + ((64 - base % 64) % 64);
  p.phase_windows = nullptr;

  // bias' = bias - (z_in [+ 128 when T holds x ^ 0x80]) * sum of the channel's taps, modulo 2^32.
  const uint32_t fold = static_cast<uint32_t>(input_zero_point) + (kernel.flips_input ? 128u : 0u);
  const size_t extra_offset = p.tile_bytes - kernel.extra_bytes;
  for (size_t t = 0; t < p.tiles; ++t) {
    uint8_t* tile = p.data + t * p.tile_bytes;
    int32_t* tile_bias = reinterpret_cast<int32_t*>(tile);
    int32_t* tile_multiplier = tile_bias + ct;
    int32_t* tile_shift = tile_multiplier + ct;
    float* tile_scale = reinterpret_cast<float*>(tile_shift + ct);
    uint8_t* weights = tile + header_bytes;
    for (size_t slot = 0; slot < ct; ++slot) {
      const size_t c = t * ct + kernel.slot_channel(slot);
      if (c >= channels) continue;  // padding lanes stay zero
      const size_t ch = per_channel ? c : 0;
      uint32_t sum = 0;
      for (size_t tap = 0; tap < kh * kw; ++tap) sum += static_cast<uint32_t>(static_cast<int32_t>(filter[tap * channels + c]));
      tile_bias[slot] = static_cast<int32_t>((bias != nullptr ? static_cast<uint32_t>(bias[c]) : 0u) - fold * sum);
      tile_multiplier[slot] = multiplier != nullptr ? multiplier[ch] : 0;
      tile_shift[slot] = shift != nullptr ? shift[ch] : 0;
      tile_scale[slot] = scale != nullptr ? scale[ch] : 0.0f;
      p.left_shift = p.left_shift || tile_shift[slot] > 0;
      for (size_t ky = 0; ky < kh; ++ky) {
        for (size_t j = 0; j < p.kw_groups; ++j) {
          for (size_t gi = 0; gi < g; ++gi) {
            const size_t kx = j * g + gi;
            const int8_t w = kx < kw ? filter[(ky * kw + kx) * channels + c] : 0;
            const size_t index = ((ky * p.kw_groups + j) * ct + slot) * g + gi;
            if (e == 1) {
              weights[index] = static_cast<uint8_t>(w);
            } else {
              const int16_t w16 = w;
              std::memcpy(weights + index * 2, &w16, 2);
            }
          }
        }
      }
      // Quad i of pair (ky2, j2): tap (2 * ky2 + i / 2, 2 * j2 + i % 2), zero outside the filter.
      for (size_t ky2 = 0; quads && ky2 < pair_rows; ++ky2) {
        for (size_t j2 = 0; j2 < pair_groups; ++j2) {
          for (size_t i = 0; i < 4; ++i) {
            const size_t ky = 2 * ky2 + i / 2, kx = 2 * j2 + i % 2;
            const int8_t w = ky < kh && kx < kw ? filter[(ky * kw + kx) * channels + c] : 0;
            tile[p.pair_weights_offset + ((ky2 * pair_groups + j2) * ct + slot) * 4 + i] = static_cast<uint8_t>(w);
          }
        }
      }
    }
  }
  for (size_t t = 0; kernel.pack_extra != nullptr && t < p.tiles; ++t) {
    const uint8_t* tile = p.data + t * p.tile_bytes;
    kernel.pack_extra(tile, t + 1 < p.tiles ? tile + p.tile_bytes : nullptr, p.data + t * p.tile_bytes + extra_offset);
  }
  if (phase_window_bytes != 0) {  // from the finished tiles
    p.phase_windows = p.data + p.tiles * p.tile_bytes;
    kernel.pack_phase_windows(p, filter, p.phase_windows);
  }
}

bool DwconvUsesRowPairs(const PackedDwconvWeights& packed, const DwconvShape& shape) {
  return packed.kernel != nullptr && UsesRowPairs(*packed.kernel, packed, shape);
}

bool DwconvUsesInputPhase(const PackedDwconvWeights& packed, const DwconvShape& shape, const int8_t* input) {
  RowPlan plan;
  return packed.kernel != nullptr && MakeRowPlan(packed, shape, &plan) && InputPhase(packed, plan, input) != 0;
}

bool DwconvShapeSupported(const PackedDwconvWeights& packed, const DwconvShape& shape) {
  RowPlan plan;
  return packed.kernel != nullptr && MakeRowPlan(packed, shape, &plan);
}

void RunDwconv(const PackedDwconvWeights& packed, const DwconvShape& s, const int8_t* input, int8_t* out,
               const DwconvOutput& output, size_t threads) {
  if (s.batches <= 0 || s.out_h <= 0 || s.out_w <= 0 || packed.channels == 0) return;
  RowPlan plan;
  if (!MakeRowPlan(packed, s, &plan)) return;  // callers check DwconvShapeSupported first
  const DwconvKernel& kernel = *packed.kernel;
  const uint8_t z_byte = static_cast<uint8_t>(packed.input_zero_point);
  const size_t total_rows = static_cast<size_t>(s.batches) * static_cast<size_t>(s.out_h);
  const size_t pool = ThreadPoolSize();
  const size_t participants = threads == 0 ? pool : std::min(threads, pool);
  // One band of output rows per thread: a task's first row packs all its tap rows afresh, which finer tasks pay
  // again and again (measured with 2 threads: 15-24% slower at 4 tasks per thread).
  const size_t tasks = participants <= 1 ? 1 : std::min(total_rows, participants);
  const size_t dilation_w = static_cast<size_t>(s.dilation_w);
  const size_t phase = InputPhase(packed, plan, input);

  // Everything is reserved here, on the calling thread, so that an allocation failure throws before any work.
  DwconvScratch& scratch = ThreadScratch();
  // A pixel of z_in bytes (padding), its pixel table and the tap row of padding, shared read-only by all tasks.
  const std::array<size_t, 9> key{reinterpret_cast<uintptr_t>(&kernel), packed.tiles, plan.entries, plan.q, dilation_w,
                                  plan.row_tile_bytes, z_byte, plan.pairs, phase};
  // The pixel has z_in bytes before it (phase mode reads the column before every pixel: padding here), and sits at
  // the input's phase, so that phase mode's loads of it are aligned too.
  if (scratch.pad_key != key) {
    scratch.pad_key = {};
    scratch.z_pixel.Reserve(kPhaseSlack + 64 + plan.cp);
    std::memset(scratch.z_pixel.data, z_byte, kPhaseSlack + 64 + plan.cp);
    scratch.pad_px.assign(plan.r_pixels, reinterpret_cast<const int8_t*>(scratch.z_pixel.data + kPhaseSlack + phase));
    scratch.pad_t.Reserve(plan.t_row_bytes);
    if (plan.pairs) {
      kernel.pack_row_pairs(scratch.pad_px.data(), scratch.pad_px.data(), packed.tiles, plan.entries, scratch.pad_t.data,
                            plan.row_tile_bytes, 0);
    } else {
      kernel.pack_row(scratch.pad_px.data(), packed.tiles, plan.entries, plan.q, dilation_w, scratch.pad_t.data,
                      plan.row_tile_bytes);
    }
    scratch.pad_key = key;
  }
  if (scratch.pad_px.size() < plan.r_pixels) scratch.pad_px.resize(plan.r_pixels, scratch.pad_px.front());
  const int8_t* const* pad_px = scratch.pad_px.data();
  const uint8_t* pad_t = scratch.pad_t.data;
  if (scratch.tasks.size() < tasks) scratch.tasks.resize(tasks);
  const size_t padded_rows = plan.pairs ? 2 : 1;
  for (size_t task = 0; task < tasks; ++task) {
    TaskScratch& ts = scratch.tasks[task];
    for (size_t i = 0; i < padded_rows; ++i) {
      if (plan.direct) {
        ts.px[i].assign(pad_px, pad_px + plan.r_pixels);  // in-image entries set per row
      } else {
        ts.r[i].Reserve(plan.r_pixels * plan.cp);
        std::memset(ts.r[i].data, z_byte, plan.r_pixels * plan.cp);
        ts.px[i].resize(plan.r_pixels);
        for (size_t p = 0; p < plan.r_pixels; ++p) ts.px[i][p] = reinterpret_cast<const int8_t*>(ts.r[i].data + p * plan.cp);
      }
    }
    if (phase != 0) {
      for (AlignedBuffer& e : ts.edge) {
        e.Reserve(EdgePixels::Bytes(plan.cp));
        EdgePixels::Prepare(plan.cp, phase, z_byte, e.data);
      }
    }
    ts.t.Reserve(plan.slots * plan.t_row_bytes);
    ts.tag.assign(plan.slots, -1);
    ts.last_use.assign(plan.slots, 0);
    ts.rows.assign(plan.tap_rows, nullptr);
  }

  const size_t out_w = static_cast<size_t>(s.out_w);
  const size_t row_bytes = out_w * packed.channels;
  // Tap row `index` of image n: input row index (normal mode) or row pair index (pair mode). Tags: n * tag_stride
  // + index, every index below tag_stride.
  const int64_t tag_stride = s.in_h + s.out_h + static_cast<int64_t>(plan.tap_rows) + 1;
  // The input row i of the padded rows of tap row `index` (0, or 0 and 1 in pair mode); outside [0, in_h): padding.
  const auto input_row = [&](int64_t index, size_t i) {
    return plan.pairs ? 2 * index + static_cast<int64_t>(i) - s.pad_top : index;
  };
  ParallelFor(tasks, participants, [&](size_t task) {
    TaskScratch& ts = scratch.tasks[task];
    const size_t begin = total_rows * task / tasks, end = total_rows * (task + 1) / tasks;
    DwconvRowParams rp;
    rp.rows = ts.rows.data();
    rp.row_tile_bytes = plan.row_tile_bytes;
    rp.weights = packed.data;
    rp.weight_tile_bytes = packed.tile_bytes;
    rp.weights_offset = plan.pairs ? packed.pair_weights_offset : packed.weights_offset;
    rp.tiles = packed.tiles;
    rp.channels = packed.channels;
    rp.out_w = out_w;
    rp.entry_step = plan.entry_step;
    rp.group_step = plan.group_step;
    rp.kh = plan.tap_rows;
    rp.kw_groups = plan.kw_groups;
    rp.left_shift = packed.left_shift;
    rp.output = output;
    rp.phase_bytes = phase;
    rp.phase_windows = phase != 0 ? packed.phase_windows : nullptr;
    // The pixel table of padded row i of tap row `index` of image n: the padding table, or the row's (filled now).
    const auto padded_row = [&](int64_t n, int64_t index, size_t i) -> const int8_t* const* {
      const int64_t iy = input_row(index, i);
      if (iy < 0 || iy >= s.in_h) return pad_px;
      if (plan.direct) {
        // Pixel valid_begin is input column valid_begin - pad_left >= 0 of row (n, iy).
        const int8_t* pixel = input + ((n * s.in_h + iy) * s.in_w + (static_cast<int64_t>(plan.valid_begin) - s.pad_left)) * s.in_c;
        for (size_t px = plan.valid_begin; px < plan.valid_end; ++px, pixel += plan.cp) ts.px[i][px] = pixel;
        if (phase != 0) EdgePixels::Place(plan, phase, input, ts.edge[i].data, ts.px[i].data());
      } else {
        FillPaddedRow(input, s, plan, n, iy, reinterpret_cast<int8_t*>(ts.r[i].data));
      }
      return ts.px[i].data();
    };
    uint64_t clock = 0;
    // The slot that holds tap row `tag`, or plan.slots when none does.
    const auto slot_of = [&](int64_t tag) {
      size_t slot = 0;
      while (slot < plan.slots && ts.tag[slot] != tag) ++slot;
      return slot;
    };
    // The least recently used slot: never one the current output row reads (they carry `clock`).
    const auto least_recent_slot = [&] {
      size_t victim = 0;
      for (size_t slot = 1; slot < plan.slots; ++slot) {
        if (ts.last_use[slot] < ts.last_use[victim]) victim = slot;
      }
      return victim;
    };
    for (size_t row = begin; row < end; ++row) {
      const int64_t n = static_cast<int64_t>(row / static_cast<size_t>(s.out_h));
      const int64_t oy = static_cast<int64_t>(row % static_cast<size_t>(s.out_h));
      // Tap row k of this output row: index first + k * step.
      const int64_t first = plan.pairs ? oy : oy * s.stride_h - s.pad_top;
      const int64_t step = plan.pairs ? 1 : s.dilation_h;
      const auto all_padding = [&](int64_t index) {
        for (size_t i = 0; i < padded_rows; ++i) {
          const int64_t iy = input_row(index, i);
          if (iy >= 0 && iy < s.in_h) return false;
        }
        return true;
      };
      ++clock;
      // Mark the slots this output row needs as used now, so that the misses below never evict one of them.
      for (size_t k = 0; k < plan.tap_rows; ++k) {
        const int64_t index = first + static_cast<int64_t>(k) * step;
        ts.rows[k] = nullptr;
        if (all_padding(index)) {
          ts.rows[k] = pad_t;
          continue;
        }
        const size_t slot = slot_of(n * tag_stride + index);
        if (slot < plan.slots) {
          ts.last_use[slot] = clock;
          ts.rows[k] = ts.t.data + slot * plan.t_row_bytes;
        }
      }
      for (size_t k = 0; k < plan.tap_rows; ++k) {
        if (ts.rows[k] != nullptr) continue;
        const int64_t index = first + static_cast<int64_t>(k) * step;
        const size_t victim = least_recent_slot();
        uint8_t* t_row = ts.t.data + victim * plan.t_row_bytes;
        if (plan.pairs) {
          kernel.pack_row_pairs(padded_row(n, index, 0), padded_row(n, index, 1), packed.tiles, plan.entries, t_row,
                                plan.row_tile_bytes, phase);
        } else {
          kernel.pack_row(padded_row(n, index, 0), packed.tiles, plan.entries, plan.q, dilation_w, t_row,
                          plan.row_tile_bytes);
        }
        ts.tag[victim] = n * tag_stride + index;
        ts.last_use[victim] = clock;
        ts.rows[k] = t_row;
      }
      // Pair mode: the one new tap row of the next output row (same image) is packed by this row's kernel call.
      rp.pack_ahead = DwconvRowParams::PackAhead{};
      if (plan.pairs && row + 1 < end && oy + 1 < s.out_h) {
        const int64_t index = first + static_cast<int64_t>(plan.tap_rows);
        const int64_t tag = n * tag_stride + index;
        if (!all_padding(index) && slot_of(tag) == plan.slots) {
          const size_t victim = least_recent_slot();  // there are tap_rows + 1 slots in pair mode
          rp.pack_ahead.px_a = padded_row(n, index, 0);
          rp.pack_ahead.px_b = padded_row(n, index, 1);
          rp.pack_ahead.entries = plan.entries;
          rp.pack_ahead.t_row = ts.t.data + victim * plan.t_row_bytes;
          ts.tag[victim] = tag;
          ts.last_use[victim] = clock;
        }
      }
      rp.out = out + row * row_bytes;
      kernel.row(rp);
    }
  });
  scratch.Release();
}

bool DepthwiseConv2DFast(ByteTensor input, ByteTensor filter, const int32_t* bias, const Requantization& requant,
                         const int32_t* geometry, uint8_t* out, Isa isa, size_t threads) {
  const ConvParams s = ConvParams::FromGeometry(geometry);
  if (!input.is_signed || !filter.is_signed || s.filter_offset != 0) return false;
  if (!IsValidProfile(s.profile)) return false;
  if (s.output_offset < -128 || s.output_offset > 127) return false;
  if (s.act_min < -128 || s.act_min > s.act_max || s.act_max > 127) return false;
  const int32_t z_in = -static_cast<int32_t>(s.input_offset);
  if (z_in < -128 || z_in > 127) return false;  // padding must be the byte z_in
  if (s.filter_c != 1 || s.depth_multiplier < 1 || s.in_c < 1 || s.out_c != s.in_c * s.depth_multiplier) return false;
  if (s.k_h < 1 || s.k_w < 1) return false;
  if (s.EmptyOutput()) return true;
  const size_t channels = static_cast<size_t>(s.out_c);
  const size_t requant_channels = s.per_channel ? channels : 1;
  const bool fp32 = s.profile == kProfileXnnpackFp32;
  if (!fp32) {
    for (size_t c = 0; c < requant_channels; ++c) {
      if (requant.multiplier[c] < 0 || requant.shift[c] < -31 || requant.shift[c] > 30) return false;
    }
  }
  const DwconvShape shape{s.batches, s.in_h, s.in_w, s.in_c, s.depth_multiplier, s.out_h, s.out_w,
                          s.stride_h, s.stride_w, s.dilation_h, s.dilation_w, s.pad_top, s.pad_left};
  PackedDwconvWeights packed;
  const DwconvKernel& kernel = DwconvKernelFor(isa);
  // Cheap refusal before packing: the plan depends on the kernel's tile and group sizes only.
  packed.kernel = &kernel;
  packed.channels = channels;
  packed.kh = static_cast<size_t>(s.k_h);
  packed.kw = static_cast<size_t>(s.k_w);
  packed.kw_groups = (packed.kw + kernel.g - 1) / kernel.g;
  packed.tiles = (channels + kernel.ct - 1) / kernel.ct;
  if (!DwconvShapeSupported(packed, shape)) return false;
  PackDwconvWeights(kernel, reinterpret_cast<const int8_t*>(filter.data), packed.kh, packed.kw, channels, bias, z_in,
                    fp32 ? nullptr : requant.multiplier, fp32 ? nullptr : requant.shift, fp32 ? requant.scale : nullptr,
                    s.per_channel, &packed);
  const DwconvOutput output{s.profile, s.output_offset, s.act_min, s.act_max};
  RunDwconv(packed, shape, reinterpret_cast<const int8_t*>(input.data), reinterpret_cast<int8_t*>(out), output, threads);
  return true;
}

}  // namespace qint8
