// <immintrin.h> for the AVX-512 translation units. GCC 12's AVX-512 intrinsics build their "undefined" pass-through
// operand as `__m512i __Y = __Y;`, which -W(maybe-)uninitialized reports once inlined (GCC PR 105593, fixed in
// GCC 13): the warnings are silenced for this header only.
#ifndef QINT8_SRC_X86_INTRINSICS_H_
#define QINT8_SRC_X86_INTRINSICS_H_

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif  // QINT8_SRC_X86_INTRINSICS_H_
