// AVX-512 window packer for the VNNI kernels' im2col blocks (conv.h Im2colWindowPackFn): per segment and filter
// row, each 16-byte lane of the window broadcast (from memory, or from one masked load with z_in outside the input
// row), then byte shuffles within lanes into the block, kept in registers and stored as whole vectors. AVX-512 BW
// only (no VBMI).
//
// Preconditions (conv.h): tables from MakeIm2colWindowTables (1 <= vectors <= 6, 1 <= lanes <= 4); segments
// disjoint within [0, MR); dst 64-byte aligned with room for tables.vectors * 64 bytes. Writes the uint8 block
// (x ^ 0x80) of qs8_packa_xor80_avx512vnni: the rows' flipped taps, zeros elsewhere (rows in no segment, columns
// >= K, the last vector's tail).
#include <immintrin.h>

#include <cstdint>

#include "conv-kernels.h"

namespace qint8 {
namespace {

// Bits [lo, hi) of a 64-bit mask, empty when lo >= hi; 0 <= lo, hi <= 64.
__mmask64 BitRange(int64_t lo, int64_t hi) {
  if (lo >= hi) return 0;
  const uint64_t below_hi = hi >= 64 ? ~uint64_t{0} : (uint64_t{1} << hi) - 1;
  const uint64_t below_lo = (uint64_t{1} << lo) - 1;  // lo < hi <= 64
  return below_hi & ~below_lo;
}

int64_t Clamp64(int64_t x) { return x < 0 ? 0 : x > 64 ? 64 : x; }

// 16-byte lane `lane` of v in all four lanes (vshufi32x4; the all-ones mask form only keeps GCC 12 from warning
// about the unmasked intrinsic's undefined pass-through operand).
__m512i BroadcastLane(__m512i v, size_t lane) {
  switch (lane) {
    case 0: return _mm512_mask_shuffle_i32x4(v, 0xFFFF, v, v, 0x00);
    case 1: return _mm512_mask_shuffle_i32x4(v, 0xFFFF, v, v, 0x55);
    case 2: return _mm512_mask_shuffle_i32x4(v, 0xFFFF, v, v, 0xAA);
    default: return _mm512_mask_shuffle_i32x4(v, 0xFFFF, v, v, 0xFF);
  }
}

// Merges the block bytes that take 16-byte lane `lane` of a window (`source`: that lane in all four lanes) into
// block[0..kVectors), as masks (rows[v] too unless kWholeTile) select them.
template <size_t kVectors, bool kWholeTile>
inline void MergeLane(__m512i source, const uint64_t* masks, const __m512i* index, const __mmask64* rows,
                      __m512i* block) {
  for (size_t v = 0; v < kVectors; ++v) {
    const __mmask64 take = kWholeTile ? masks[v] : masks[v] & rows[v];
    if (take == 0) continue;  // the same few (lane, vector) pairs every tile: a well-predicted branch
    block[v] = _mm512_mask_shuffle_epi8(block[v], take, source, index[v]);
  }
}

// kVectors = tables.vectors. kWholeTile: one segment of rows [0, MR), so no block byte needs masking by row.
// The block starts as 0x80 bytes and takes the input bytes as they are; one XOR with 0x80 at the end flips them and
// turns the bytes no window wrote into zeros.
template <size_t kVectors, bool kWholeTile>
void PackWindowBlock(const Im2colWindowTables& tables, size_t segments, const Im2colWindowSegment* segment,
                     uint8_t* dst) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const __m512i zero_point = _mm512_set1_epi8(tables.input_zero_point);
  const size_t lanes = tables.lanes, filter_rows = tables.filter_rows, k_padded = tables.k_padded;
  const int64_t lane_bytes = static_cast<int64_t>(16 * lanes);
  __m512i index[kVectors], block[kVectors];
  for (size_t v = 0; v < kVectors; ++v) {
    index[v] = _mm512_loadu_si512(tables.shuffle[v]);
    block[v] = flip;
  }
  for (size_t s = 0; s < segments; ++s) {
    const Im2colWindowSegment& seg = segment[s];
    __mmask64 rows[kVectors];
    if (!kWholeTile) {
      for (size_t v = 0; v < kVectors; ++v) {
        const int64_t base = static_cast<int64_t>(64 * v);
        rows[v] = BitRange(Clamp64(static_cast<int64_t>(seg.first_row * k_padded) - base),
                           Clamp64(static_cast<int64_t>(seg.end_row * k_padded) - base));
      }
    }
    // The window bytes inside the input row: [0, line_bytes) counted from the row start. When all `lanes` lanes
    // are inside, each lane is broadcast straight from memory.
    const int64_t offset = seg.window_offset;
    const bool lanes_inside = offset >= 0 && offset + lane_bytes <= tables.line_bytes;
    const __mmask64 inside = BitRange(Clamp64(-offset), Clamp64(tables.line_bytes - offset));
    for (size_t ky = 0; ky < filter_rows; ++ky) {
      const int8_t* line = seg.lines[ky];
      if (line != nullptr && lanes_inside) {
        const int8_t* window = line + offset;
        for (size_t lane = 0; lane < Im2colWindowTables::kMaxLanes && lane < lanes; ++lane) {
          const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(window + 16 * lane));
          const __m512i source = _mm512_mask_broadcast_i32x4(flip, 0xFFFF, bytes);  // all-ones mask: as BroadcastLane
          MergeLane<kVectors, kWholeTile>(source, tables.masks[ky][lane], index, rows, block);
        }
        continue;
      }
      __m512i window = zero_point;
      if (line != nullptr && inside != 0) {
        // The address may lie before the row (offset < 0): no byte there is loaded (masked, fault-suppressing).
        const uintptr_t at = reinterpret_cast<uintptr_t>(line) + static_cast<uintptr_t>(offset);
        window = _mm512_mask_loadu_epi8(zero_point, inside, reinterpret_cast<const void*>(at));
      }
      for (size_t lane = 0; lane < Im2colWindowTables::kMaxLanes && lane < lanes; ++lane) {
        MergeLane<kVectors, kWholeTile>(BroadcastLane(window, lane), tables.masks[ky][lane], index, rows, block);
      }
    }
  }
  for (size_t v = 0; v < kVectors; ++v) _mm512_store_si512(dst + 64 * v, _mm512_xor_si512(block[v], flip));
}

template <size_t kVectors>
void PackWindowBlockFor(const Im2colWindowTables& tables, size_t segments, const Im2colWindowSegment* segment,
                        uint8_t* dst) {
  if (segments == 1 && segment[0].first_row == 0 && segment[0].end_row == tables.mr) {
    PackWindowBlock<kVectors, true>(tables, segments, segment, dst);
  } else {
    PackWindowBlock<kVectors, false>(tables, segments, segment, dst);
  }
}

}  // namespace

QINT8_IM2COL_WINDOW_PACK(qs8_im2col_window_packa_xor80_avx512vnni) {
  uint8_t* block = static_cast<uint8_t*>(dst);
  switch (tables.vectors) {
    case 1: return PackWindowBlockFor<1>(tables, segments, segment, block);
    case 2: return PackWindowBlockFor<2>(tables, segments, segment, block);
    case 3: return PackWindowBlockFor<3>(tables, segments, segment, block);
    case 4: return PackWindowBlockFor<4>(tables, segments, segment, block);
    case 5: return PackWindowBlockFor<5>(tables, segments, segment, block);
    default: return PackWindowBlockFor<6>(tables, segments, segment, block);
  }
}

}  // namespace qint8
