// AVX2 im2col packer for the ymm VNNI kernels (AVX-VNNI): copies each run of an im2col row from the input into the
// packed uint8 block (x ^ 0x80) with whole vectors, the last one overlapping (runs under 8 bytes: byte by byte), so
// no byte outside a run is read. Compiled with -mavx2 only.
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
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  const __m128i flip128 = _mm_set1_epi8(static_cast<char>(0x80));
  if (n >= 32) {
    // Whole vectors, then one more ending at the run's end (overlapping the last: same bytes written twice).
    size_t j = 0;
    for (; j + 32 < n; j += 32) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + j));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + j), _mm256_xor_si256(v, flip));
    }
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + n - 32));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + n - 32), _mm256_xor_si256(v, flip));
  } else if (n >= 16) {
    const __m128i head = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
    const __m128i tail = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + n - 16));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o), _mm_xor_si128(head, flip128));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + n - 16), _mm_xor_si128(tail, flip128));
  } else if (n >= 8) {
    const __m128i head = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src));
    const __m128i tail = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src + n - 8));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(o), _mm_xor_si128(head, flip128));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(o + n - 8), _mm_xor_si128(tail, flip128));
  } else {
    for (size_t j = 0; j < n; ++j) o[j] = static_cast<uint8_t>(src[j] ^ 0x80);
  }
}

}  // namespace

QINT8_IM2COL_PACK(qs8_im2col_packa_xor80_avx2) {
  PackIm2colBlock<uint8_t>(m, mr_block, k, k_padded, runs, row_first, dst, FlipCopyRun);
}

void qs8_flip_copy_xor80_avx2(const int8_t* src, size_t n, uint8_t* dst) { FlipCopyRun(src, n, dst); }

}  // namespace qint8
