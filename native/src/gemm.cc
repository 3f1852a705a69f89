// The GEMM driver: weight packing (bias / zero-point folding, per-channel requantization into panel headers)
// and RunGemm, which tiles M in MR rows and N in NR-channel panels, blocks panels for L2, picks the gemv for
// M == 1 and spreads the tiles over the thread pool. Baseline code: no ISA flags, no intrinsics.
#include <algorithm>
#include <cstring>
#include <vector>

#include "qint8/gemm.h"
#include "qint8/threadpool.h"

namespace qint8 {
namespace {

constexpr size_t kAlign = 64;
// Packed weights a task keeps hot while it walks its row tiles: a conservative share of a per-core L2.
constexpr size_t kL2PanelBudget = 256 * 1024;
// A last row tile of at most mr / kGemvRowsDivisor rows runs through the gemv, one row at a time (measured on
// the x86 kernels: a 1- or 2-row gemv pass over a panel costs less than one full mr-row tile).
constexpr size_t kGemvRowsDivisor = 3;

size_t RoundUp(size_t x, size_t q) { return (x + q - 1) / q * q; }
size_t DivideRoundUp(size_t x, size_t q) { return (x + q - 1) / q; }

uint8_t* AlignUp(uint8_t* p) {
  const uintptr_t v = reinterpret_cast<uintptr_t>(p);
  return reinterpret_cast<uint8_t*>((v + kAlign - 1) & ~static_cast<uintptr_t>(kAlign - 1));
}

// Per-thread buffer for packed A tiles, grown on demand and kept for the thread's life.
uint8_t* LhsScratch(size_t bytes) {
  thread_local std::vector<uint8_t> scratch;
  if (scratch.size() < bytes + kAlign) scratch.resize(bytes + kAlign);
  return AlignUp(scratch.data());
}

size_t Participants(size_t threads) {
  const size_t pool = ThreadPoolSize();
  return threads == 0 ? pool : std::min(threads, pool);
}

}  // namespace

GemmPanelLayout MakeGemmPanelLayout(size_t nr, size_t kr, size_t k, size_t extra_bytes) {
  GemmPanelLayout layout;
  layout.nr = nr;
  layout.extra_bytes = extra_bytes;
  layout.kr = kr;
  layout.k_padded = RoundUp(k, kr);
  layout.panel_bytes = RoundUp(layout.weights_offset() + layout.k_padded * nr, kAlign);
  return layout;
}

void PackGemmWeights(const GemmKernel& kernel, const int8_t* w, size_t n, size_t k, const int32_t* bias,
                     int32_t input_zero_point, const int32_t* multiplier, const int32_t* shift, const float* scale,
                     bool per_channel, PackedGemmWeights* packed) {
  packed->kernel = &kernel;
  packed->n = n;
  packed->k = k;
  packed->layout = MakeGemmPanelLayout(kernel.nr, kernel.kr, k, kernel.extra_bytes);
  const GemmPanelLayout& layout = packed->layout;
  const size_t panels = packed->panel_count();
  packed->storage.assign(panels * layout.panel_bytes + kAlign, 0);
  packed->panels = AlignUp(packed->storage.data());
  // Folded bias (spec 5.6): bias - z_in * sum W, and - 128 * sum W when the kernel reads A as x ^ 0x80 = x + 128.
  // Everything modulo 2^32, like the int32 accumulator it seeds.
  const uint32_t fold = static_cast<uint32_t>(input_zero_point) + (kernel.flips_activations ? 128u : 0u);
  for (size_t p = 0; p < panels; ++p) {
    uint8_t* panel = packed->panels + p * layout.panel_bytes;
    int32_t* bias_out = reinterpret_cast<int32_t*>(panel);
    int32_t* multiplier_out = bias_out + layout.nr;
    int32_t* shift_out = bias_out + 2 * layout.nr;
    float* scale_out = reinterpret_cast<float*>(bias_out + 3 * layout.nr);
    const size_t n0 = p * layout.nr;
    const size_t n_valid = std::min(layout.nr, n - n0);
    for (size_t j = 0; j < n_valid; ++j) {
      const int8_t* row = w + (n0 + j) * k;
      uint32_t sum = 0;
      for (size_t kk = 0; kk < k; ++kk) sum += static_cast<uint32_t>(static_cast<int32_t>(row[kk]));
      const uint32_t b = bias != nullptr ? static_cast<uint32_t>(bias[n0 + j]) : 0u;
      bias_out[j] = static_cast<int32_t>(b - fold * sum);
      const size_t ch = per_channel ? n0 + j : 0;
      multiplier_out[j] = multiplier != nullptr ? multiplier[ch] : 0;
      shift_out[j] = shift != nullptr ? shift[ch] : 0;
      scale_out[j] = scale != nullptr ? scale[ch] : 0.0f;
    }
    if (kernel.pack_extra != nullptr) kernel.pack_extra(panel, layout.nr, panel + layout.extra_offset());
    kernel.pack(w + n0 * k, n_valid, k, layout.k_padded, layout.nr,
                reinterpret_cast<int8_t*>(panel + layout.weights_offset()));
  }
}

void RunGemm(const PackedGemmWeights& packed, size_t m, const int8_t* a, size_t a_stride, int8_t* c, size_t c_stride,
             const GemmOutput& output, size_t threads) {
  const GemmKernel& kernel = *packed.kernel;
  const size_t n = packed.n, k = packed.k;
  const size_t panels = packed.panel_count();
  if (m == 0 || panels == 0) return;
  const GemmPanelLayout& layout = packed.layout;
  const size_t nr = layout.nr, kp = layout.k_padded;
  const size_t participants = Participants(threads);
  const size_t target_tasks = participants == 1 ? 1 : 4 * participants;

  if (m == 1) {
    // GEMV: every weight byte is used once, so split only the panels, in one contiguous chunk per thread: the
    // caller claims chunk 0 first and a worker the next, so repeated calls tend to find their chunk in their
    // own L2. One packed row per task.
    const size_t tasks = std::min(panels, participants);
    const size_t per_task = DivideRoundUp(panels, tasks);
    ParallelFor(DivideRoundUp(panels, per_task), participants, [&](size_t t) {
      const size_t p0 = t * per_task, p1 = std::min(panels, p0 + per_task);
      const int8_t* lhs = a;
      if (kernel.pack_lhs != nullptr) {
        void* buffer = LhsScratch(kp * kernel.lhs_element_bytes);
        kernel.pack_lhs(1, 1, k, kp, a, a_stride, buffer);
        lhs = static_cast<const int8_t*>(buffer);
      }
      for (size_t p = p0; p < p1; ++p) {
        kernel.gemv(1, std::min(nr, n - p * nr), k, lhs, a_stride, packed.panels + p * layout.panel_bytes,
                    c + p * nr, c_stride, output);
      }
    });
    return;
  }

  // Tasks are (panel block, row-tile block) pairs, panel blocks outermost: one thread walking its tasks in order
  // keeps a block of panels in L2 while every row tile streams past it (the A tile stays in L1).
  const size_t mr = kernel.mr;
  const size_t tiles = DivideRoundUp(m, mr);
  size_t block_panels = std::max<size_t>(1, std::min(panels, kL2PanelBudget / layout.panel_bytes));
  size_t panel_blocks = DivideRoundUp(panels, block_panels);
  const size_t tile_blocks = std::min(tiles, DivideRoundUp(target_tasks, panel_blocks));
  if (panel_blocks * tile_blocks < target_tasks) {  // few rows: cut the panel blocks finer instead
    panel_blocks = std::min(panels, DivideRoundUp(target_tasks, tile_blocks));
    block_panels = DivideRoundUp(panels, panel_blocks);
    panel_blocks = DivideRoundUp(panels, block_panels);
  }
  const size_t tiles_per_block = DivideRoundUp(tiles, tile_blocks);
  const size_t row_blocks = DivideRoundUp(tiles, tiles_per_block);

  ParallelFor(panel_blocks * row_blocks, participants, [&](size_t t) {
    const size_t pb = t / row_blocks, rb = t % row_blocks;
    const size_t p0 = pb * block_panels, p1 = std::min(panels, p0 + block_panels);
    const size_t t0 = rb * tiles_per_block, t1 = std::min(tiles, t0 + tiles_per_block);
    const size_t row_bytes = kp * kernel.lhs_element_bytes;
    uint8_t* buffer = kernel.pack_lhs != nullptr ? LhsScratch(mr * row_bytes) : nullptr;
    for (size_t tile = t0; tile < t1; ++tile) {
      const size_t row0 = tile * mr;
      const size_t rows = std::min(mr, m - row0);
      const int8_t* lhs = a + row0 * a_stride;
      if (rows * kGemvRowsDivisor <= mr) {
        // A short last tile: the full-height kernel would compute mr rows for these few; the gemv streams the
        // panel once per row instead (each output is still computed once, by the same exact arithmetic).
        for (size_t i = 0; i < rows; ++i) {
          const int8_t* row = lhs + i * a_stride;
          if (buffer != nullptr) {
            kernel.pack_lhs(1, 1, k, kp, row, a_stride, buffer + i * row_bytes);
            row = reinterpret_cast<const int8_t*>(buffer + i * row_bytes);
          }
          for (size_t p = p0; p < p1; ++p) {
            kernel.gemv(1, std::min(nr, n - p * nr), k, row, a_stride, packed.panels + p * layout.panel_bytes,
                        c + (row0 + i) * c_stride + p * nr, c_stride, output);
          }
        }
        continue;
      }
      if (buffer != nullptr) {
        kernel.pack_lhs(rows, mr, k, kp, lhs, a_stride, buffer);
        lhs = reinterpret_cast<const int8_t*>(buffer);
      }
      for (size_t p = p0; p < p1; ++p) {
        kernel.gemm(rows, std::min(nr, n - p * nr), k, lhs, a_stride, packed.panels + p * layout.panel_bytes,
                    c + row0 * c_stride + p * nr, c_stride, output);
      }
    }
  });
}

}  // namespace qint8
