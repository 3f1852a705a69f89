// AVX-512 im2col packer for the VNNI kernels: copies each run of an im2col row from the input into the packed
// uint8 block (x ^ 0x80) with whole vectors, the last one overlapping (short runs: masked, fault-suppressing), so
// no byte outside a run is read. Compiled with the avx512vnni family's flags (uses AVX-512 BW only).
//
// Preconditions (conv.h Im2colPackFn): 1 <= m <= mr_block; the runs of row i sum to k bytes; dst 64-byte aligned,
// mr_block * k_padded bytes. Writes rows of k_padded uint8: the flipped row, then zeros; rows >= m all zero.
#include <immintrin.h>

#include "conv-kernels.h"
#include "im2col-pack-rows.h"

namespace qint8 {
namespace {

// n bytes from src to o as x ^ 0x80, reading and writing no byte outside them.
inline void FlipCopyRun(const int8_t* src, size_t n, uint8_t* o) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const __m256i flip256 = _mm256_set1_epi8(static_cast<char>(0x80));
  if (n >= 64) {
    // Whole vectors, then one more ending at the run's end (overlapping the last: same bytes written twice).
    size_t j = 0;
    for (; j + 64 < n; j += 64) _mm512_storeu_si512(o + j, _mm512_xor_si512(_mm512_loadu_si512(src + j), flip));
    _mm512_storeu_si512(o + n - 64, _mm512_xor_si512(_mm512_loadu_si512(src + n - 64), flip));
  } else if (n >= 32) {
    const __m256i head = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src));
    const __m256i tail = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + n - 32));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), _mm256_xor_si256(head, flip256));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + n - 32), _mm256_xor_si256(tail, flip256));
  } else if (n != 0) {
    // A short run: a masked (fault-suppressing) load and store of exactly n bytes.
    const __mmask64 valid = (__mmask64{1} << n) - 1;
    _mm512_mask_storeu_epi8(o, valid, _mm512_xor_si512(_mm512_maskz_loadu_epi8(valid, src), flip));
  }
}

}  // namespace

QINT8_IM2COL_PACK(qs8_im2col_packa_xor80_avx512vnni) {
  PackIm2colBlock<uint8_t>(m, mr_block, k, k_padded, runs, row_first, dst, FlipCopyRun);
}

void qs8_flip_copy_xor80_avx512vnni(const int8_t* src, size_t n, uint8_t* dst) { FlipCopyRun(src, n, dst); }

}  // namespace qint8
