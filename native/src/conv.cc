// The fast CONV_2D driver: per-group weight packing, then one of three paths: the 1x1 stride-1 GEMM over the NHWC
// input; the indirect GEMM (the kernel's igemm reading a flipped, padded copy of the input in place); im2col, which
// describes MR output pixels' taps as runs of input bytes (padded taps: z_in bytes), or for small-Cf layers as one
// window of input bytes per filter row, and packs them straight into the kernel's LHS block. Work runs in (group,
// panel block, row block) tasks on the thread pool. Baseline code: no ISA flags, no intrinsics.
#include "qint8/conv.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <vector>

#include "conv/conv-kernels.h"
#include "gemm/gemm-kernels.h"
#include "qint8/threadpool.h"

namespace qint8 {
namespace {

constexpr size_t kAlign = 64;
// Packed weights a task keeps hot while its row tiles stream past (as in gemm.cc): a share of a per-core L2.
constexpr size_t kL2PanelBudget = 256 * 1024;
// A last row tile of at most mr / kGemvRowsDivisor rows runs through the gemv, one row at a time (as RunGemm).
constexpr size_t kGemvRowsDivisor = 3;

size_t DivideRoundUp(size_t x, size_t q) { return (x + q - 1) / q; }

uint8_t* AlignUp(uint8_t* p) {
  const uintptr_t v = reinterpret_cast<uintptr_t>(p);
  return reinterpret_cast<uint8_t*>((v + kAlign - 1) & ~static_cast<uintptr_t>(kAlign - 1));
}

// Per-thread scratch, grown on demand and kept for the thread's life: the packed LHS block, the gathered rows
// (only when no im2col packer serves the kernel), a tile's runs with their row starts, the input lines of the
// cursor (KH) and of the window walker (2 * KH).
// The indirect path adds the flipped, padded image (used by the calling thread's tasks) and a tile's row pointers.
struct ConvScratch {
  std::vector<uint8_t> block, rows;
  std::vector<Im2colRun> runs;
  std::vector<size_t> row_first;
  std::vector<const int8_t*> lines;
  std::vector<uint8_t> image;
  std::vector<const uint8_t*> pointers;
};
ConvScratch& ThreadScratch() {
  thread_local ConvScratch scratch;
  return scratch;
}
uint8_t* Aligned(std::vector<uint8_t>* buffer, size_t bytes) {
  if (buffer->size() < bytes + kAlign) buffer->resize(bytes + kAlign);
  return AlignUp(buffer->data());
}

size_t Participants(size_t threads) {
  const size_t pool = ThreadPoolSize();
  return threads == 0 ? pool : std::min(threads, pool);
}

// The input zero point z_in of a geometry (InputOffset = -z_in, kept modulo 2^32 in ConvParams).
int64_t InputZeroPoint(const ConvParams& s) { return -static_cast<int64_t>(static_cast<int32_t>(s.input_offset)); }

// A 1x1 stride-1 conv without padding: output pixel m reads input pixel m, so the conv is a GEMM over the NHWC
// input as it lies (rows of Cin bytes, group g at column g * Cf).
bool IsPointwise(const ConvParams& s) {
  return s.k_h == 1 && s.k_w == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_top == 0 && s.pad_left == 0 &&
         s.out_h == s.in_h && s.out_w == s.in_w;
}

// Describes im2col rows as runs, walking the output pixels of one group in NHWC order from a given row: row
// (n, oy, ox) is the K = KH * KW * Cf bytes its taps read, in (ky, kx, c) order, with z_in for the taps outside
// the image (spec 5.6: the folded bias then stays exact). The input lines of the current output row are looked up
// once per output row. Adjacent taps that are adjacent in the input (dilation 1, one group) form one run, and so
// may adjacent padded taps (`padding` holds K bytes of z_in, more than any row's padded run).
class Im2colCursor {
 public:
  // `lines`: room for KH pointers. Requires row < N * OH * OW.
  Im2colCursor(const ConvParams& s, const int8_t* input, const int8_t* padding, size_t group, size_t row,
               const int8_t** lines)
      : s_(s),
        input_(input),
        padding_(padding),
        lines_(lines),
        group_offset_(static_cast<int64_t>(group) * s.filter_c),
        tap_bytes_(static_cast<size_t>(s.filter_c)),
        run_bytes_(static_cast<size_t>(s.k_w) * tap_bytes_),
        contiguous_taps_(s.dilation_w == 1 && s.filter_c == s.in_c && s.k_w > 0) {
    MoveTo(row);
  }

  // The row NextRow describes next.
  size_t row() const { return row_; }

  // Continues from `row` (< N * OH * OW) instead.
  void MoveTo(size_t row) {
    row_ = row;
    const int64_t index = static_cast<int64_t>(row);
    const int64_t output_rows = index / s_.out_w;
    n_ = output_rows / s_.out_h, oy_ = output_rows % s_.out_h, ox_ = index % s_.out_w;
    LoadLines();
  }

  // Appends the current row's runs at runs[count...] (room for KH * KW of them), moves to the next row and
  // returns the new count.
  size_t NextRow(Im2colRun* runs, size_t count) {
    const int64_t ix0 = ox_ * s_.stride_w - s_.pad_left;
    if (contiguous_taps_ && ix0 >= 0 && ix0 + s_.k_w <= s_.in_w) {
      // The common case, inside the image across its whole width: one run per filter row.
      const int64_t offset = ix0 * s_.in_c;
      for (int64_t ky = 0; ky < s_.k_h; ++ky) {
        runs[count++] = Im2colRun{lines_[ky] != nullptr ? lines_[ky] + offset : padding_, run_bytes_};
      }
    } else {
      count = BorderRow(ix0, runs, count);
    }
    Advance();
    return count;
  }

 private:
  // Per filter row ky: the start of the input line it reads (at the group's first channel), or nullptr outside.
  void LoadLines() {
    const int64_t iy0 = oy_ * s_.stride_h - s_.pad_top;
    const int64_t image = n_ * s_.in_h * s_.in_w * s_.in_c + group_offset_;
    for (int64_t ky = 0; ky < s_.k_h; ++ky) {
      const int64_t iy = iy0 + s_.dilation_h * ky;
      lines_[ky] = iy < 0 || iy >= s_.in_h ? nullptr : input_ + (image + iy * s_.in_w * s_.in_c);
    }
  }

  void Advance() {
    ++row_;
    if (++ox_ < s_.out_w) return;
    ox_ = 0;
    if (++oy_ == s_.out_h) oy_ = 0, ++n_;
    if (n_ < s_.batches) LoadLines();
  }

  // A row with taps outside the image's width (or spread out): tap by tap, merging what is adjacent.
  size_t BorderRow(int64_t ix0, Im2colRun* runs, size_t count) const {
    const size_t first = count;
    const auto add = [&](const int8_t* src, size_t bytes) {
      if (bytes == 0) return;  // KW == 0: no taps
      if (count > first) {
        Im2colRun& last = runs[count - 1];
        const bool both_padding = src == padding_ && last.src == padding_;
        if (both_padding || (src != padding_ && last.src != padding_ && last.src + last.bytes == src)) {
          last.bytes += bytes;
          return;
        }
      }
      runs[count++] = Im2colRun{src, bytes};
    };
    for (int64_t ky = 0; ky < s_.k_h; ++ky) {
      const int8_t* line = lines_[ky];
      if (line == nullptr) {
        add(padding_, run_bytes_);
        continue;
      }
      for (int64_t kx = 0; kx < s_.k_w; ++kx) {
        const int64_t ix = ix0 + s_.dilation_w * kx;
        add(ix < 0 || ix >= s_.in_w ? padding_ : line + ix * s_.in_c, tap_bytes_);
      }
    }
    return count;
  }

  const ConvParams& s_;
  const int8_t* input_;
  const int8_t* padding_;
  const int8_t** lines_;
  int64_t group_offset_;
  size_t tap_bytes_;
  size_t run_bytes_;      // KW taps
  bool contiguous_taps_;  // dilation 1, one group, KW >= 1: a filter row's taps are adjacent in the input
  size_t row_ = 0;
  int64_t n_ = 0, oy_ = 0, ox_ = 0;
};

// Describes row tiles as window segments (conv.h Im2colWindowSegment) for a window packer, walking the tiles of one
// group in order: the pixels of a tile in one output row form a segment, whose windows start at the taps of the
// (perhaps virtual) pixel of tile row 0 in that output row. The input lines of an output row are looked up once and
// kept in one of two slots (a tile spans at most two output rows here).
class Im2colWindowWalker {
 public:
  static constexpr size_t kMaxSegments = 2;

  // `lines`: room for 2 * KH pointers.
  Im2colWindowWalker(const ConvParams& s, const int8_t* input, size_t group, const int8_t** lines)
      : s_(s), input_(input), group_offset_(static_cast<int64_t>(group) * s.filter_c), lines_(lines) {}

  // Fills segments[0..count) for tile rows [row0, row0 + rows) (row0 + rows <= N * OH * OW) and returns count,
  // or 0 when the tile spans more than kMaxSegments output rows (then describe it run by run).
  size_t Describe(size_t row0, size_t rows, Im2colWindowSegment* segments) {
    if (row0 != next_row_) {
      const int64_t index = static_cast<int64_t>(row0);
      output_row_ = index / s_.out_w, ox_ = index % s_.out_w;
    }
    size_t count = 0, slot_used = kMaxSegments;
    for (size_t i = 0; i < rows;) {
      if (count == kMaxSegments) {
        next_row_ = kNoRow;  // the state is somewhere inside this tile: look the next one up afresh
        return 0;
      }
      const size_t take = std::min(rows - i, static_cast<size_t>(s_.out_w - ox_));
      const size_t slot = SlotFor(output_row_, slot_used);
      slot_used = slot;
      segments[count++] = Im2colWindowSegment{
          i, i + take, lines_ + slot * s_.k_h,
          ((ox_ - static_cast<int64_t>(i)) * s_.stride_w - s_.pad_left) * s_.in_c + group_offset_};
      i += take;
      ox_ += static_cast<int64_t>(take);
      if (ox_ == s_.out_w) ox_ = 0, ++output_row_;
    }
    next_row_ = row0 + rows;
    return count;
  }

 private:
  static constexpr size_t kNoRow = ~size_t{0};

  // The slot holding the lines of output row `output_row` (n * OH + oy), filled unless it already holds them;
  // never `avoid` (the slot of this tile's other segment).
  size_t SlotFor(int64_t output_row, size_t avoid) {
    for (size_t slot = 0; slot < kMaxSegments; ++slot) {
      if (slot_row_[slot] == output_row) return slot;
    }
    const size_t slot = avoid == 0 ? 1 : 0;
    slot_row_[slot] = output_row;
    const int64_t n = output_row / s_.out_h, oy = output_row % s_.out_h;
    const int64_t iy0 = oy * s_.stride_h - s_.pad_top;
    const int8_t* image = input_ + n * s_.in_h * s_.in_w * s_.in_c;
    const int8_t** lines = lines_ + slot * s_.k_h;
    for (int64_t ky = 0; ky < s_.k_h; ++ky) {
      const int64_t iy = iy0 + s_.dilation_h * ky;
      lines[ky] = iy < 0 || iy >= s_.in_h ? nullptr : image + iy * s_.in_w * s_.in_c;
    }
    return slot;
  }

  const ConvParams& s_;
  const int8_t* input_;
  int64_t group_offset_;
  const int8_t** lines_;
  int64_t slot_row_[kMaxSegments] = {-1, -1};
  size_t next_row_ = kNoRow;
  int64_t output_row_ = 0, ox_ = 0;  // of row next_row_
};

// The rows the runs describe, contiguous (row i at rows + i * k): the im2col matrix itself, for pack_lhs or for
// kernels that read A directly.
void GatherRows(size_t m, size_t k, const Im2colRun* runs, const size_t* row_first, int8_t* rows) {
  for (size_t i = 0; i < m; ++i) {
    int8_t* dst = rows + i * k;
    for (size_t r = row_first[i]; r < row_first[i + 1]; ++r) {
      std::memcpy(dst, runs[r].src, runs[r].bytes);
      dst += runs[r].bytes;
    }
  }
}

// How the (group, panel, row tile) space is cut into tasks: blocks of panels that stay in L2 while a block of
// row tiles streams past, about `target_tasks` tasks in all (as RunGemm does for one GEMM).
struct WorkSplit {
  size_t block_panels, panel_blocks, tiles_per_block, row_blocks;
};

WorkSplit SplitWork(size_t groups, size_t panels, size_t panel_bytes, size_t tiles, size_t target_tasks) {
  const size_t target = DivideRoundUp(target_tasks, groups);  // per group
  WorkSplit w;
  w.block_panels = std::max<size_t>(1, std::min(panels, kL2PanelBudget / panel_bytes));
  w.panel_blocks = DivideRoundUp(panels, w.block_panels);
  const size_t tile_blocks = std::min(tiles, DivideRoundUp(target, w.panel_blocks));
  if (w.panel_blocks * tile_blocks < target) {  // few rows: cut the panel blocks finer instead
    w.panel_blocks = std::min(panels, DivideRoundUp(target, tile_blocks));
    w.block_panels = DivideRoundUp(panels, w.panel_blocks);
    w.panel_blocks = DivideRoundUp(panels, w.block_panels);
  }
  w.tiles_per_block = DivideRoundUp(tiles, tile_blocks);
  w.row_blocks = DivideRoundUp(tiles, w.tiles_per_block);
  return w;
}

std::vector<Im2colPacker> CompiledPackers() {
  std::vector<Im2colPacker> v;
  //          isa             name                                   reproduces                    packer                             window packer, flip copy
#if QINT8_HAVE_AVX2
  v.push_back({kIsaAvx2,      "qs8-im2col-packa-x16-avx2",           qs8_packa_x16_avx2,           qs8_im2col_packa_x16_avx2,         nullptr, nullptr});
#endif
#if QINT8_HAVE_AVX2 && QINT8_HAVE_AVXVNNI
  v.push_back({kIsaAvx2,      "qs8-im2col-packa-xor80-avx2",         qs8_packa_xor80_avxvnni,      qs8_im2col_packa_xor80_avx2,       nullptr, qs8_flip_copy_xor80_avx2});
#endif
#if QINT8_HAVE_AVX512VNNI
  v.push_back({kIsaAvx512Vnni, "qs8-im2col-packa-xor80-avx512vnni",  qs8_packa_xor80_avx512vnni,   qs8_im2col_packa_xor80_avx512vnni,
               qs8_im2col_window_packa_xor80_avx512vnni, qs8_flip_copy_xor80_avx512vnni});
  v.push_back({kIsaAvx512Vnni, "qs8-im2col-packa-xor80-avx512vnni",  qs8_packa_xor80_avxvnni_evex, qs8_im2col_packa_xor80_avx512vnni,
               qs8_im2col_window_packa_xor80_avx512vnni, qs8_flip_copy_xor80_avx512vnni});
#endif
  return v;
}

// The im2col packer entry standing in for kernel.pack_lhs, or nullptr.
const Im2colPacker* Im2colPackerFor(const GemmKernel& kernel) {
  if (kernel.pack_lhs == nullptr) return nullptr;
  for (const Im2colPacker& packer : Im2colPackers()) {
    if (packer.pack_lhs == kernel.pack_lhs) return &packer;
  }
  return nullptr;
}

// The window packer serving `kernel` for layer `s` with `tables` filled, or nullptr (pack run by run).
Im2colWindowPackFn Im2colWindowPackerFor(const GemmKernel& kernel, const PackedGemmWeights& weights,
                                         const ConvParams& s, Im2colWindowTables* tables) {
  const Im2colPacker* packer = Im2colPackerFor(kernel);
  if (packer == nullptr || packer->window_pack == nullptr) return nullptr;
  return MakeIm2colWindowTables(s, kernel.mr, weights.layout.k_padded, tables) ? packer->window_pack : nullptr;
}

// The indirect path (IGEMM): the input, flipped (x ^ 0x80) and padded (z_in ^ 0x80) once per call into an image
// whose filter rows are contiguous, read by the kernel's igemm through MR row pointers per filter row: no im2col
// copy per row tile. For one group, dilation 1 along the width and KW * Cin a multiple of KR (the kernel's k-steps
// then never straddle two filter rows), when the window packer does not apply and the kernel's im2col packer
// supplies the flip copy.
struct IndirectImage {
  size_t rows = 0, cols = 0;  // of one image: padded row r is input row r - PadTop, column c input column c - PadLeft
  size_t pixel_bytes = 0;     // Cin
  size_t bytes = 0;           // N * rows * cols * Cin
  void (*flip_copy)(const int8_t* src, size_t n, uint8_t* dst) = nullptr;  // Im2colPacker::flip_copy
};
// Beyond this the image is not worth its memory; im2col blocks serve the layer instead. Images up to
// kKeepImageBytes stay allocated for the thread's next call.
constexpr double kMaxIndirectImageBytes = 64.0 * 1024 * 1024;
constexpr size_t kKeepImageBytes = size_t{4} << 20;

// `window_packer`: whether Im2colWindowPackerFor serves the layer (the caller has its tables, or needs them anyway).
bool MakeIndirectImage(const PackedConvWeights& packed, const ConvParams& s, bool window_packer, IndirectImage* image) {
  const GemmKernel& kernel = *packed.kernel;
  if (window_packer || kernel.igemm == nullptr || !kernel.flips_activations || packed.groups != 1 || s.dilation_w != 1) {
    return false;
  }
  if (s.k_h < 1 || s.k_w < 1 || s.in_c < 1) return false;  // no taps: the im2col path's zero-K tiles
  if ((packed.filter_width * packed.filter_channels) % kernel.kr != 0) return false;
  if (packed.group_weights.empty() || packed.group_weights[0].layout.k_padded != packed.depth()) return false;
  const double rows = static_cast<double>(s.out_h - 1) * s.stride_h + static_cast<double>(s.k_h - 1) * s.dilation_h + 1;
  const double cols = static_cast<double>(s.out_w - 1) * s.stride_w + static_cast<double>(s.k_w);
  if (static_cast<double>(s.batches) * rows * cols * static_cast<double>(s.in_c) > kMaxIndirectImageBytes) return false;
  const Im2colPacker* packer = Im2colPackerFor(kernel);
  if (packer == nullptr || packer->flip_copy == nullptr) return false;
  image->flip_copy = packer->flip_copy;
  image->rows = static_cast<size_t>(rows);
  image->cols = static_cast<size_t>(cols);
  image->pixel_bytes = static_cast<size_t>(s.in_c);
  image->bytes = static_cast<size_t>(s.batches) * image->rows * image->cols * image->pixel_bytes;
  return true;
}

// Writes the image of `input` (rows of the padded layout, see IndirectImage) into dst, in-image bytes by the
// packer's flip copy.
void FillIndirectImage(const ConvParams& s, const IndirectImage& image, const int8_t* input, uint8_t padding,
                       uint8_t* dst) {
  const size_t c = image.pixel_bytes, line = image.cols * c;
  const int64_t cols = static_cast<int64_t>(image.cols);
  // Columns [begin, end) of a padded row are inside the input.
  const int64_t begin = std::min(std::max<int64_t>(s.pad_left, 0), cols);
  const int64_t end = std::max(begin, std::min(s.pad_left + s.in_w, cols));
  for (int64_t n = 0; n < s.batches; ++n) {
    for (size_t r = 0; r < image.rows; ++r, dst += line) {
      const int64_t iy = static_cast<int64_t>(r) - s.pad_top;
      if (iy < 0 || iy >= s.in_h || begin == end) {
        std::memset(dst, padding, line);
        continue;
      }
      std::memset(dst, padding, static_cast<size_t>(begin) * c);
      image.flip_copy(input + ((n * s.in_h + iy) * s.in_w + (begin - s.pad_left)) * s.in_c,
                      static_cast<size_t>(end - begin) * c, dst + static_cast<size_t>(begin) * c);
      std::memset(dst + static_cast<size_t>(end) * c, padding, static_cast<size_t>(cols - end) * c);
    }
  }
}

}  // namespace

bool Conv2DUsesIndirectImage(const PackedConvWeights& packed, const ConvParams& s) {
  if (s.EmptyOutput() || IsPointwise(s)) return false;
  IndirectImage image;
  return MakeIndirectImage(packed, s, Conv2DUsesIm2colWindows(packed, s), &image);
}

bool MakeIm2colWindowTables(const ConvParams& s, size_t mr, size_t k_padded, Im2colWindowTables* tables) {
  using T = Im2colWindowTables;
  constexpr int64_t kMaxWindow = T::kMaxLanes * 16;
  const int64_t filter_c = s.filter_c;
  if (mr < 1 || mr > T::kMaxVectors * 64 || s.k_h < 1 || s.k_h > static_cast<int64_t>(T::kMaxFilterRows)) return false;
  if (s.k_w < 1 || filter_c < 1 || s.k_w > kMaxWindow || filter_c > kMaxWindow) return false;
  // Each step within one window (checked first: the products below then stay far from overflow).
  const int64_t pixel_step = s.stride_w * s.in_c, tap_step = s.dilation_w * s.in_c;  // window bytes
  if ((mr > 1 && pixel_step > kMaxWindow) || (s.k_w > 1 && tap_step > kMaxWindow)) return false;
  const int64_t window_bytes = static_cast<int64_t>(mr - 1) * pixel_step + (s.k_w - 1) * tap_step + filter_c;
  const int64_t k = s.k_h * s.k_w * filter_c;
  if (window_bytes > kMaxWindow || k_padded < static_cast<size_t>(k) || mr * k_padded > T::kMaxVectors * 64) {
    return false;
  }
  tables->mr = mr, tables->k_padded = k_padded, tables->filter_rows = static_cast<size_t>(s.k_h);
  tables->vectors = (mr * k_padded + 63) / 64;
  tables->lanes = static_cast<size_t>(window_bytes + 15) / 16;
  tables->line_bytes = s.in_w * s.in_c;
  tables->input_zero_point = static_cast<int8_t>(InputZeroPoint(s));
  std::memset(tables->shuffle, 0, sizeof(tables->shuffle));
  std::memset(tables->masks, 0, sizeof(tables->masks));
  for (size_t i = 0; i < mr; ++i) {
    size_t b = i * k_padded;  // block byte of column t = (ky * KW + kx) * Cf + c
    for (int64_t ky = 0; ky < s.k_h; ++ky) {
      for (int64_t kx = 0; kx < s.k_w; ++kx) {
        for (int64_t c = 0; c < filter_c; ++c, ++b) {
          const int64_t p = static_cast<int64_t>(i) * pixel_step + kx * tap_step + c;  // < 64
          tables->shuffle[b / 64][b % 64] = static_cast<uint8_t>(p % 16);
          tables->masks[ky][p / 16][b / 64] |= uint64_t{1} << (b % 64);
        }
      }
    }
  }
  return true;
}

bool Conv2DUsesIm2colWindows(const PackedConvWeights& packed, const ConvParams& s) {
  if (s.EmptyOutput() || IsPointwise(s)) return false;
  Im2colWindowTables tables;
  return Im2colWindowPackerFor(*packed.kernel, packed.group_weights[0], s, &tables) != nullptr;
}

// Never destroyed, like the GEMM inventory: a conv still running on another thread at exit must not meet it gone.
const std::vector<Im2colPacker>& Im2colPackers() {
  static const std::vector<Im2colPacker>* const packers = new std::vector<Im2colPacker>(CompiledPackers());
  return *packers;
}

bool Conv2DFastSupports(ByteTensor input, ByteTensor filter, const Requantization& requant, const ConvParams& s) {
  if (!input.is_signed || !filter.is_signed || s.filter_offset != 0) return false;
  const int64_t z_in = InputZeroPoint(s);
  if (z_in < -128 || z_in > 127) return false;  // padded taps must be able to hold the byte z_in
  if (s.act_min < -128 || s.act_min > s.act_max || s.act_max > 127) return false;
  if (!IsValidProfile(s.profile)) return false;
  for (int64_t size : {s.batches, s.in_h, s.in_w, s.out_h, s.out_w, s.out_c, s.k_h, s.k_w}) {
    if (size < 0) return false;
  }
  if (s.stride_h < 1 || s.stride_w < 1 || s.dilation_h < 1 || s.dilation_w < 1) return false;
  if (s.filter_c < 1 || s.in_c < s.filter_c || s.in_c % s.filter_c != 0) return false;
  if (s.out_c % (s.in_c / s.filter_c) != 0) return false;
  if (s.profile != kProfileXnnpackFp32) {
    const int64_t channels = s.per_channel ? s.out_c : 1;
    for (int64_t c = 0; c < channels; ++c) {
      if (requant.multiplier[c] < 0 || requant.shift[c] < -31 || requant.shift[c] > 30) return false;
    }
  }
  return true;
}

void PackConvWeights(const GemmKernel& kernel, const int8_t* filter, const int32_t* bias, const Requantization& requant,
                     const ConvParams& s, PackedConvWeights* packed) {
  packed->kernel = &kernel;
  packed->groups = static_cast<size_t>(s.in_c / s.filter_c);
  packed->output_channels = static_cast<size_t>(s.out_c);
  packed->filter_height = static_cast<size_t>(s.k_h);
  packed->filter_width = static_cast<size_t>(s.k_w);
  packed->filter_channels = static_cast<size_t>(s.filter_c);
  packed->input_zero_point = static_cast<int32_t>(InputZeroPoint(s));
  const size_t per_group = packed->output_channels / packed->groups;
  const size_t k = packed->depth();
  const bool fp32 = s.profile == kProfileXnnpackFp32;  // each profile reads only its own arrays
  packed->group_weights.clear();
  packed->group_weights.resize(packed->groups);
  for (size_t g = 0; g < packed->groups; ++g) {
    const size_t first = g * per_group;
    const size_t channel = s.per_channel ? first : 0;
    PackGemmWeights(kernel, filter + first * k, per_group, k, bias != nullptr ? bias + first : nullptr,
                    packed->input_zero_point, fp32 ? nullptr : requant.multiplier + channel,
                    fp32 ? nullptr : requant.shift + channel, fp32 ? requant.scale + channel : nullptr, s.per_channel,
                    &packed->group_weights[g]);
  }
}

void RunConv2D(const PackedConvWeights& packed, const int8_t* input, const ConvParams& s, int8_t* out,
               size_t threads) {
  if (s.EmptyOutput()) return;
  const GemmKernel& kernel = *packed.kernel;
  const GemmOutput output{s.profile, s.output_offset, s.act_min, s.act_max};
  const size_t groups = packed.groups;
  const size_t out_c = packed.output_channels, per_group = out_c / groups;
  const size_t in_c = static_cast<size_t>(s.in_c), filter_c = packed.filter_channels;
  const size_t m = static_cast<size_t>(s.batches * s.out_h * s.out_w);

  if (IsPointwise(s)) {
    for (size_t g = 0; g < groups; ++g) {
      RunGemm(packed.group_weights[g], m, input + g * filter_c, in_c, out + g * per_group, out_c, output, threads);
    }
    return;
  }

  const PackedGemmWeights& first = packed.group_weights[0];  // every group has the same layout
  const size_t k = packed.depth(), kp = first.layout.k_padded, nr = first.layout.nr, mr = kernel.mr;
  const size_t panels = first.panel_count(), panel_bytes = first.layout.panel_bytes;
  const size_t tiles = DivideRoundUp(m, mr);
  const size_t participants = Participants(threads);
  const WorkSplit w = SplitWork(groups, panels, panel_bytes, tiles, participants == 1 ? 1 : 4 * participants);
  const size_t tasks_per_group = w.panel_blocks * w.row_blocks;
  const size_t kh = static_cast<size_t>(s.k_h);
  std::atomic<bool> out_of_memory{false};
  Im2colWindowTables window_tables;
  const Im2colWindowPackFn window_pack = Im2colWindowPackerFor(kernel, first, s, &window_tables);

  IndirectImage image;
  if (MakeIndirectImage(packed, s, window_pack != nullptr, &image)) {
    // Made on the calling thread (an allocation failure throws before any work); its tasks read it.
    ConvScratch& caller = ThreadScratch();
    if (caller.image.size() < image.bytes) caller.image.resize(image.bytes);
    const uint8_t* img = caller.image.data();
    FillIndirectImage(s, image, input, static_cast<uint8_t>(packed.input_zero_point) ^ 0x80u, caller.image.data());
    const size_t segment_k = packed.filter_width * packed.filter_channels;
    const size_t line = image.cols * image.pixel_bytes;
    const size_t out_w = static_cast<size_t>(s.out_w), out_h = static_cast<size_t>(s.out_h);
    ParallelFor(tasks_per_group, participants, [&](size_t t) {
      const size_t pb = t / w.row_blocks, rb = t % w.row_blocks;
      const size_t p0 = pb * w.block_panels, p1 = std::min(panels, p0 + w.block_panels);
      const size_t t0 = rb * w.tiles_per_block, t1 = std::min(tiles, t0 + w.tiles_per_block);
      ConvScratch& scratch = ThreadScratch();
      try {  // a pool task must not throw: report, and rethrow on the calling thread
        if (scratch.pointers.size() < kh * mr) scratch.pointers.resize(kh * mr);
      } catch (const std::bad_alloc&) {
        out_of_memory.store(true, std::memory_order_relaxed);
        return;
      }
      const uint8_t** pointers = scratch.pointers.data();
      const size_t filter_row_step = static_cast<size_t>(s.dilation_h) * line;
      const size_t pixel_step = static_cast<size_t>(s.stride_w) * image.pixel_bytes;
      // Output pixel (n, oy, ox) of row t0 * MR, walked forward one row at a time (no divisions per row).
      size_t ox = t0 * mr % out_w, output_row = t0 * mr / out_w;
      size_t n = output_row / out_h, oy = output_row % out_h;
      const auto line_of = [&](size_t image_n, size_t y) {
        return img + (image_n * image.rows + y * static_cast<size_t>(s.stride_h)) * line;
      };
      const uint8_t* pixel = line_of(n, oy) + ox * pixel_step;
      for (size_t tile = t0; tile < t1; ++tile) {
        const size_t row0 = tile * mr;
        const size_t rows = std::min(mr, m - row0);
        // Row i < MR (rows past m repeat row 0: read, never stored) of filter row ky: the image line of padded row
        // oy * StrideH + ky * DilationH at column ox * StrideW.
        for (size_t i = 0; i < mr; ++i) {
          if (i >= rows) {
            for (size_t ky = 0; ky < kh; ++ky) pointers[ky * mr + i] = pointers[ky * mr];
            continue;
          }
          for (size_t ky = 0; ky < kh; ++ky) pointers[ky * mr + i] = pixel + ky * filter_row_step;
          pixel += pixel_step;
          if (++ox == out_w) {  // next output row: of this image, or the first of the next one
            ox = 0;
            if (++oy == out_h) oy = 0, ++n;
            pixel = line_of(n, oy);  // n == N after the last row: the image's end, never read
          }
        }
        for (size_t p = p0; p < p1; ++p) {
          kernel.igemm(rows, std::min(nr, out_c - p * nr), kh, segment_k, pointers, first.panels + p * panel_bytes,
                       out + row0 * out_c + p * nr, out_c, output);
        }
      }
    });
    if (caller.image.size() > kKeepImageBytes) std::vector<uint8_t>().swap(caller.image);
    if (out_of_memory.load(std::memory_order_relaxed)) throw std::bad_alloc();
    return;
  }

  const Im2colPacker* packer = Im2colPackerFor(kernel);
  const Im2colPackFn im2col_pack = packer != nullptr ? packer->pack : nullptr;
  const std::vector<int8_t> padding(std::max<size_t>(k, 1), static_cast<int8_t>(packed.input_zero_point));
  const size_t row_bytes = kp * kernel.lhs_element_bytes;
  // A window packer writes whole 64-byte vectors, past MR * k_padded bytes.
  const size_t block_bytes = window_pack != nullptr ? window_tables.vectors * 64 : mr * row_bytes;
  const size_t runs_per_row = static_cast<size_t>(s.k_h * s.k_w);

  ParallelFor(groups * tasks_per_group, participants, [&](size_t t) {
    const size_t g = t / tasks_per_group, pb = t % tasks_per_group / w.row_blocks, rb = t % w.row_blocks;
    const PackedGemmWeights& weights = packed.group_weights[g];
    const size_t p0 = pb * w.block_panels, p1 = std::min(panels, p0 + w.block_panels);
    const size_t t0 = rb * w.tiles_per_block, t1 = std::min(tiles, t0 + w.tiles_per_block);
    ConvScratch& scratch = ThreadScratch();
    uint8_t* block = nullptr;
    int8_t* rows_buffer = nullptr;
    try {  // a pool task must not throw: report, and rethrow on the calling thread
      if (kernel.pack_lhs != nullptr) block = Aligned(&scratch.block, std::max(block_bytes, mr * row_bytes));
      if (im2col_pack == nullptr) rows_buffer = reinterpret_cast<int8_t*>(Aligned(&scratch.rows, mr * k));
      if (scratch.runs.size() < mr * runs_per_row) scratch.runs.resize(mr * runs_per_row);
      if (scratch.row_first.size() < mr + 1) scratch.row_first.resize(mr + 1);
      if (scratch.lines.size() < 3 * kh) scratch.lines.resize(3 * kh);
    } catch (const std::bad_alloc&) {
      out_of_memory.store(true, std::memory_order_relaxed);
      return;
    }
    Im2colRun* runs = scratch.runs.data();
    size_t* row_first = scratch.row_first.data();
    int8_t* out_group = out + g * per_group;
    Im2colCursor cursor(s, input, padding.data(), g, t0 * mr, scratch.lines.data());
    Im2colWindowWalker walker(s, input, g, scratch.lines.data() + kh);
    Im2colWindowSegment segments[Im2colWindowWalker::kMaxSegments];
    // The runs of tile rows [row0, row0 + rows), from the cursor.
    const auto describe_runs = [&](size_t row0, size_t rows) {
      if (cursor.row() != row0) cursor.MoveTo(row0);
      row_first[0] = 0;
      for (size_t i = 0; i < rows; ++i) row_first[i + 1] = cursor.NextRow(runs, row_first[i]);
      if (rows_buffer != nullptr) GatherRows(rows, k, runs, row_first, rows_buffer);
    };
    for (size_t tile = t0; tile < t1; ++tile) {
      const size_t row0 = tile * mr;
      const size_t rows = std::min(mr, m - row0);

      if (rows * kGemvRowsDivisor <= mr) {
        // A short last tile: the gemv streams the panels once per row (each output still computed once).
        describe_runs(row0, rows);
        for (size_t i = 0; i < rows; ++i) {
          const int8_t* row = rows_buffer != nullptr ? rows_buffer + i * k : nullptr;
          if (block != nullptr) {
            uint8_t* packed_row = block + i * row_bytes;
            if (im2col_pack != nullptr) {
              im2col_pack(1, 1, k, kp, runs, row_first + i, packed_row);
            } else {
              kernel.pack_lhs(1, 1, k, kp, row, k, packed_row);
            }
            row = reinterpret_cast<const int8_t*>(packed_row);
          }
          for (size_t p = p0; p < p1; ++p) {
            kernel.gemv(1, std::min(nr, per_group - p * nr), k, row, k, weights.panels + p * panel_bytes,
                        out_group + (row0 + i) * out_c + p * nr, out_c, output);
          }
        }
        continue;
      }
      const int8_t* lhs = rows_buffer;
      const size_t segment_count = window_pack != nullptr ? walker.Describe(row0, rows, segments) : 0;
      if (segment_count != 0) {
        window_pack(window_tables, segment_count, segments, block);
        lhs = reinterpret_cast<const int8_t*>(block);
      } else {
        describe_runs(row0, rows);
        if (block != nullptr) {
          if (im2col_pack != nullptr) {
            im2col_pack(rows, mr, k, kp, runs, row_first, block);
          } else {
            kernel.pack_lhs(rows, mr, k, kp, rows_buffer, k, block);
          }
          lhs = reinterpret_cast<const int8_t*>(block);
        }
      }
      for (size_t p = p0; p < p1; ++p) {
        kernel.gemm(rows, std::min(nr, per_group - p * nr), k, lhs, k, weights.panels + p * panel_bytes,
                    out_group + row0 * out_c + p * nr, out_c, output);
      }
    }
  });
  if (out_of_memory.load(std::memory_order_relaxed)) throw std::bad_alloc();
}

bool Conv2DFast(ByteTensor input, ByteTensor filter, const int32_t* bias, const Requantization& requant,
                const int32_t* geometry, uint8_t* out, Isa isa, size_t threads) {
  const ConvParams s = ConvParams::FromGeometry(geometry);
  if (!Conv2DFastSupports(input, filter, requant, s)) return false;
  if (s.EmptyOutput()) return true;
  PackedConvWeights packed;
  PackConvWeights(GemmKernelFor(isa), reinterpret_cast<const int8_t*>(filter.data), bias, requant, s, &packed);
  RunConv2D(packed, reinterpret_cast<const int8_t*>(input.data), s, reinterpret_cast<int8_t*>(out), threads);
  return true;
}

}  // namespace qint8
