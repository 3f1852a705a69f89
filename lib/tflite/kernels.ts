// TypeScript kernels for the TFLite operators qint8 has no public op for: PAD, TRANSPOSE, MEAN, LOGISTIC,
// CONCATENATION. Each reproduces TFLite Micro's reference kernel bit for bit; arguments are trusted (the
// loader checked every shape and parameter), and shapes are given padded to RANK dimensions.
import type { ByteArray } from '../../binding';
import { frexp, multiplyByQuantizedMultiplierDouble, multiplyByQuantizedMultiplierSingle, roundHalfAway, roundingDivideByPOT } from '../js/fixedpoint';
import { expOnIntervalBetweenNegativeOneQuarterAnd0Excl, oneOverOnePlusXForXIn01, saturatingShiftLeft } from '../js/gemmlowp';

// Math's functions as module constants: a global lookup per element is slow where code runs in a vm context (jest)
const { fround, trunc, abs } = Math;

/** Round half away from zero of a float (C roundf). */
function roundAway(v: number): number {
  const t = trunc(v);
  return abs(v - t) >= 0.5 ? (v > 0 ? t + 1 : t - 1) : t;
}

/** Shapes of the data-movement kernels are padded with leading 1s to this rank. */
export const RANK = 6;

/** A shape of rank <= RANK padded with leading 1s. */
export function pad6(shape: readonly number[], fill = 1): number[] {
  return [...new Array<number>(RANK - shape.length).fill(fill), ...shape];
}

/** Row-major element strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = stride;
    stride *= shape[d];
  }
  return s;
}

/** MultiplyByQuantizedMultiplier of a fixed-point profile: double rounding (tflite-ref) or single (tflite-single). */
export function mbqm(single: boolean): (x: number, m: number, shift: number) => number {
  return single ? multiplyByQuantizedMultiplierSingle : multiplyByQuantizedMultiplierDouble;
}

/** Copies `n` bytes; a loop for short runs, where a subarray would cost more than the copy. */
function copyRun(src: ByteArray, from: number, dst: ByteArray, to: number, n: number): void {
  if (n < 32) {
    for (let i = 0; i < n; i++) dst[to + i] = src[from + i];
  } else {
    dst.set(src.subarray(from, from + n), to);
  }
}

/**
 * A plan for PAD: the output is walked once, block by block. A block is everything inside the innermost padded
 * dimension `runDim` for one index of the dimensions before it: all pad value when that index lies in the padding,
 * else pad value, the input's contiguous run, pad value.
 */
export interface PadPlan {
  /** Output dims before runDim (padded to RANK), and where the input starts/ends along each. */
  outer: number[];
  lo: number[];
  hi: number[];
  /** Elements of one output block, of its leading padding, and of the input run it holds. */
  block: number;
  head: number;
  run: number;
  value: number;
  /** Elements of the output. */
  outputCount: number;
  /** Odometer scratch, reused by every run. */
  index: Int32Array;
}

export function planPad(inShape: readonly number[], before: readonly number[], after: readonly number[], value: number): PadPlan {
  const i6 = pad6(inShape);
  const b6 = pad6(before, 0);
  const a6 = pad6(after, 0);
  const o6 = i6.map((d, k) => d + b6[k] + a6[k]);
  // the innermost padded dimension: everything inside it is contiguous in both tensors
  let runDim = RANK - 1;
  while (runDim > 0 && b6[runDim] === 0 && a6[runDim] === 0) runDim--;
  let inner = 1;
  for (let d = runDim + 1; d < RANK; d++) inner *= i6[d];
  return {
    outer: o6.slice(0, runDim), lo: b6.slice(0, runDim), hi: b6.slice(0, runDim).map((b, k) => b + i6[k]),
    block: o6[runDim] * inner, head: b6[runDim] * inner, run: i6[runDim] * inner, value, outputCount: o6.reduce((a, b) => a * b, 1),
    index: new Int32Array(runDim),
  };
}

/** PAD / PADV2 (reference pad.h): every output element outside the input gets `value` (the zero point for PAD). */
export function pad(p: PadPlan, input: ByteArray, out: ByteArray): void {
  const d = p.outer.length;
  const idx = p.index;
  idx.fill(0);
  let blocks = 1;
  for (let k = 0; k < d; k++) blocks *= p.outer[k];
  const { block, head, run, value } = p;
  const tail = block - head - run;
  let from = 0;
  let to = 0;
  for (let r = 0; r < blocks; r++, to += block) {
    let inside = true;
    for (let k = 0; k < d; k++) {
      if (idx[k] < p.lo[k] || idx[k] >= p.hi[k]) {
        inside = false;
        break;
      }
    }
    if (!inside) {
      out.fill(value, to, to + block);
    } else {
      if (head > 0) out.fill(value, to, to + head);
      copyRun(input, from, out, to + head, run);
      if (tail > 0) out.fill(value, to + head + run, to + block);
      from += run;
    }
    for (let k = d - 1; k >= 0; k--) {
      if (++idx[k] < p.outer[k]) break;
      idx[k] = 0;
    }
  }
}

/**
 * A plan for TRANSPOSE: the loops (outermost first, padded to RANK) with their extents and the element strides of
 * the input and the output along each. Dimensions of extent 1 are dropped and dimensions that stay adjacent and in
 * order are merged; when the innermost output dimension is also innermost in the input, each innermost run is one
 * block copy (`run` elements), else the innermost loop is the dimension read contiguously.
 */
export interface TransposePlan {
  extents: number[];
  inStrides: number[];
  outStrides: number[];
  /** Elements copied as one block by the innermost loop: > 1 when it is contiguous in both tensors, else 1. */
  run: number;
  /**
   * The NCHW -> NHWC shape of move, when it applies: a small dimension (2 to 4, e.g. RGB channels) contiguous in the
   * output, every other dimension in input order: planes of `count` elements interleaved `planes` at a time.
   */
  interleave: { outer: number; planes: number; count: number } | null;
}

interface TransposeLoop {
  extent: number;
  inStride: number;
  outStride: number;
}

export function planTranspose(inShape: readonly number[], perm: readonly number[]): TransposePlan {
  const inS = stridesOf(inShape);
  const outShape = perm.map((p) => inShape[p]);
  const outS = stridesOf(outShape);
  // output order, without extent-1 dimensions; an output dimension continuing the previous one in the input merges
  const loops: TransposeLoop[] = [];
  for (let d = 0; d < perm.length; d++) {
    const l = { extent: inShape[perm[d]], inStride: inS[perm[d]], outStride: outS[d] };
    if (l.extent === 1) continue;
    const last = loops[loops.length - 1];
    if (last !== undefined && last.inStride === l.inStride * l.extent) {
      loops[loops.length - 1] = { extent: last.extent * l.extent, inStride: l.inStride, outStride: l.outStride };
    } else {
      loops.push(l);
    }
  }
  let run = 1;
  const inner = loops[loops.length - 1];
  if (inner !== undefined && inner.inStride === 1) {
    // contiguous in both tensors (the last output loop has output stride 1): one block copy per innermost run
    run = inner.extent;
    loops[loops.length - 1] = { extent: 1, inStride: 0, outStride: 0 };
  } else if (loops.length > 1) {
    // read contiguously in the innermost loop
    let best = 0;
    for (let i = 1; i < loops.length; i++) if (loops[i].inStride < loops[best].inStride) best = i;
    loops.push(...loops.splice(best, 1));
  }
  const pad = RANK - loops.length;
  return {
    interleave: planInterleave(inShape, perm),
    extents: [...new Array<number>(pad).fill(1), ...loops.map((l) => l.extent)],
    inStrides: [...new Array<number>(pad).fill(0), ...loops.map((l) => l.inStride)],
    outStrides: [...new Array<number>(pad).fill(0), ...loops.map((l) => l.outStride)],
    run,
  };
}

/** [outer, planes, count] when perm moves one dimension of extent 2..4 to the end and keeps the others in order. */
function planInterleave(inShape: readonly number[], perm: readonly number[]): TransposePlan['interleave'] {
  const rank = perm.length;
  const moved = perm[rank - 1];
  const rest = perm.slice(0, rank - 1);
  if (rest.some((p, i) => p !== (i < moved ? i : i + 1))) return null;
  const planes = inShape[moved];
  if (planes < 2 || planes > 4) return null;
  let outer = 1;
  for (let d = 0; d < moved; d++) outer *= inShape[d];
  let count = 1;
  for (let d = moved + 1; d < rank; d++) count *= inShape[d];
  return { outer, planes, count };
}

/** Int32Array words hold their bytes in memory order low byte first (the word-wise interleave relies on it). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * out[k][i][c] = in[k][c][i] for c < planes (2..4), a word at a time: four elements of each plane (one int32 read
 * per plane) give `planes` int32 output words, the bytes moved with shifts and masks. Needs 4-byte aligned arrays
 * and a count that is a multiple of 4; returns false (nothing written) otherwise.
 */
function interleaveWords(p: NonNullable<TransposePlan['interleave']>, input: ByteArray, out: ByteArray): boolean {
  const { outer, planes, count } = p;
  if (!LITTLE_ENDIAN || count % 4 !== 0 || input.byteOffset % 4 !== 0 || out.byteOffset % 4 !== 0) return false;
  // one function per plane count, each making its own int32 views: the loops then compile tightest
  if (planes === 3) interleave3Words(input, out, outer, count >> 2);
  else if (planes === 4) interleave4Words(input, out, outer, count >> 2);
  else interleave2Words(input, out, outer, count >> 2);
  return true;
}

/** Int32 words of a byte array's bytes (its byteOffset a multiple of 4). */
function wordsOf(bytes: ByteArray, words: number): Int32Array {
  return new Int32Array(bytes.buffer, bytes.byteOffset, words);
}

/** `outer` times three planes of `words` words (bytes r, g, b) into 3 * words words r g b r g b ... */
function interleave3Words(input: ByteArray, out: ByteArray, outer: number, words: number): void {
  for (let k = 0; k < outer; k++) {
    // views of this block, indexed from 0 (the loop compiles tighter than with offsets)
    const src = new Int32Array(input.buffer, input.byteOffset + 12 * k * words, 3 * words);
    const dst = new Int32Array(out.buffer, out.byteOffset + 12 * k * words, 3 * words);
    const green = words;
    const blue = 2 * words;
    let i = 0;
    let d = 0;
    // two words of each plane per step, all loads first
    for (; i + 2 <= words; i += 2, d += 6) {
      const r0 = src[i];
      const r1 = src[i + 1];
      const g0 = src[i + green];
      const g1 = src[i + green + 1];
      const b0 = src[i + blue];
      const b1 = src[i + blue + 1];
      interleave3(r0, g0, b0, dst, d);
      interleave3(r1, g1, b1, dst, d + 3);
    }
    if (i < words) interleave3(src[i], src[i + green], src[i + blue], dst, d);
  }
}

/** Words r, g, b of four elements each into dst[d..d+2]: r0 g0 b0 r1 | g1 b1 r2 g2 | b2 r3 g3 b3 (low byte first). */
function interleave3(r: number, g: number, b: number, dst: Int32Array, d: number): void {
  // r0 g0 r2 g2 and r1 g1 r3 g3
  const even = (r & 0x00ff00ff) | ((g & 0x00ff00ff) << 8);
  const odd = ((r >>> 8) & 0x00ff00ff) | (g & 0xff00ff00);
  const oddHigh = odd >>> 8;
  dst[d] = (even & 0xffff) | ((b & 0xff) << 16) | (odd << 24);
  dst[d + 1] = (oddHigh & 0xff) | (b & 0xff00) | (even & 0xffff0000);
  dst[d + 2] = ((b >>> 16) & 0xff) | (oddHigh & 0xffff00) | (b & 0xff000000);
}

/** Four planes into words r g b a, one per element (a 4x4 byte transpose per step). */
function interleave4Words(input: ByteArray, out: ByteArray, outer: number, words: number): void {
  const src = wordsOf(input, outer * 4 * words);
  const dst = wordsOf(out, outer * 4 * words);
  for (let k = 0, at = 0; k < outer; k++, at += 4 * words) {
    for (let i = at, d = at, end = at + words; i < end; i++, d += 4) {
      const r = src[i];
      const g = src[i + words];
      const b = src[i + 2 * words];
      const a = src[i + 3 * words];
      dst[d] = (r & 0xff) | ((g & 0xff) << 8) | ((b & 0xff) << 16) | (a << 24);
      dst[d + 1] = ((r >>> 8) & 0xff) | (g & 0xff00) | ((b & 0xff00) << 8) | ((a & 0xff00) << 16);
      dst[d + 2] = ((r >>> 16) & 0xff) | ((g >>> 8) & 0xff00) | (b & 0xff0000) | ((a & 0xff0000) << 8);
      dst[d + 3] = (r >>> 24) | ((g >>> 16) & 0xff00) | ((b >>> 8) & 0xff0000) | (a & 0xff000000);
    }
  }
}

/** Two planes into words r g r g, two elements each. */
function interleave2Words(input: ByteArray, out: ByteArray, outer: number, words: number): void {
  const src = wordsOf(input, outer * 2 * words);
  const dst = wordsOf(out, outer * 2 * words);
  for (let k = 0, at = 0; k < outer; k++, at += 2 * words) {
    for (let i = at, d = at, end = at + words; i < end; i++, d += 2) {
      const r = src[i];
      const g = src[i + words];
      dst[d] = (r & 0xff) | ((g & 0xff) << 8) | ((r & 0xff00) << 8) | ((g & 0xff00) << 16);
      dst[d + 1] = ((r >>> 16) & 0xff) | ((g >>> 8) & 0xff00) | ((r >>> 8) & 0xff0000) | (g & 0xff000000);
    }
  }
}

/** out[k][i][c] = in[k][c][i] for c < planes (2..4), byte by byte: one pass over the output, unrolled over the planes. */
function interleave(p: NonNullable<TransposePlan['interleave']>, input: ByteArray, out: ByteArray): void {
  const { outer, planes, count } = p;
  for (let k = 0; k < outer; k++) {
    const base = k * planes * count;
    let o = base;
    if (planes === 3) {
      for (let i = base, end = base + count; i < end; i++, o += 3) {
        out[o] = input[i];
        out[o + 1] = input[i + count];
        out[o + 2] = input[i + 2 * count];
      }
    } else if (planes === 4) {
      for (let i = base, end = base + count; i < end; i++, o += 4) {
        out[o] = input[i];
        out[o + 1] = input[i + count];
        out[o + 2] = input[i + 2 * count];
        out[o + 3] = input[i + 3 * count];
      }
    } else {
      for (let i = base, end = base + count; i < end; i++, o += 2) {
        out[o] = input[i];
        out[o + 1] = input[i + count];
      }
    }
  }
}

/** TRANSPOSE (reference transpose.h): every element moved from its input offset to its output offset. */
export function transpose(p: TransposePlan, input: ByteArray, out: ByteArray): void {
  if (p.interleave !== null) {
    if (!interleaveWords(p.interleave, input, out)) interleave(p.interleave, input, out);
    return;
  }
  const [d0, d1, d2, d3, d4, d5] = p.extents;
  const [i0, i1, i2, i3, i4, i5] = p.inStrides;
  const [o0, o1, o2, o3, o4, o5] = p.outStrides;
  const run = p.run;
  // offsets advance by the strides at each level (no index products in the loops)
  for (let a = 0, ia = 0, oa = 0; a < d0; a++, ia += i0, oa += o0) {
    for (let b = 0, ib = ia, ob = oa; b < d1; b++, ib += i1, ob += o1) {
      for (let c = 0, ic = ib, oc = ob; c < d2; c++, ic += i2, oc += o2) {
        for (let e = 0, ie = ic, oe = oc; e < d3; e++, ie += i3, oe += o3) {
          for (let f = 0, i = ie, o = oe; f < d4; f++, i += i4, o += o4) {
            if (run > 1) {
              copyRun(input, i, out, o, run);
            } else {
              for (let g = 0, ig = i, og = o; g < d5; g++, ig += i5, og += o5) out[og] = input[ig];
            }
          }
        }
      }
    }
  }
}

/**
 * A plan for int8 MEAN over some axes, as TFLite Micro runs it (reduce_common.cc EvalIntegerMean ->
 * reference reduce.h QuantizedMeanOrSum, for equal and different parameters alike): the int32 sum per output,
 * minus z_in * count, through MultiplyByQuantizedMultiplier with the multiplier of s_in / s_out folded with
 * 1 / count ((M << n) / count, n = floor(log2 count) capped at 32 and at 31 + shift; shift - n), plus z_out,
 * clamped.
 */
export interface MeanPlan {
  inShape: number[];
  /** Per input dim (padded): the output element stride, 0 along reduced dims. */
  outStrides: number[];
  outCount: number;
  count: number;
  inputZeroPoint: number;
  outputZeroPoint: number;
  multiplier: number;
  shift: number;
  single: boolean;
  /** The int32 sums, preallocated. */
  sums: Int32Array;
  /** When the reduced axes are consecutive: the input as [outer, rows, inner], summed over rows (else null). */
  block: { outer: number; rows: number; inner: number } | null;
  /**
   * When the sums take few values (count * 255 + 1 <= MEAN_TABLE_MAX): the output of every possible sum, indexed by
   * sum + 128 * count, computed once with the arithmetic below (else null).
   */
  table: Int8Array | null;
}

/** The largest table of MEAN outputs by sum (entries): sums of up to 257 elements. */
const MEAN_TABLE_MAX = 65536;

export function planMean(inShape: readonly number[], axes: readonly number[], inputZeroPoint: number, outputZeroPoint: number,
  multiplier: number, shift: number, single: boolean): MeanPlan {
  const lead = RANK - inShape.length;
  const i6 = pad6(inShape);
  const reduced = new Array<boolean>(RANK).fill(false);
  for (const a of axes) reduced[a + lead] = true;
  const outStrides = new Array<number>(RANK).fill(0);
  let stride = 1;
  let count = 1;
  for (let d = RANK - 1; d >= 0; d--) {
    if (reduced[d]) {
      count *= i6[d];
    } else {
      outStrides[d] = stride;
      stride *= i6[d];
    }
  }
  let m = multiplier;
  let s = shift;
  if (count > 0) {
    // fold 1/count into the multiplier: (M << n) / count with n = floor(log2(count)), n <= 32, n <= 31 + shift
    let n = 31 - Math.clz32(count);
    n = Math.min(n, 32, 31 + shift);
    m = Number((BigInt(multiplier) << BigInt(n)) / BigInt(count));
    s = shift - n;
  }
  const sorted = [...axes].sort((a, b) => a - b);
  const consecutive = sorted.every((a, i) => a === sorted[0] + i);
  let block: MeanPlan['block'] = null;
  if (consecutive && sorted.length > 0) {
    const first = sorted[0] + lead;
    const last = sorted[sorted.length - 1] + lead;
    const prod = (from: number, to: number): number => i6.slice(from, to).reduce((a, b) => a * b, 1);
    block = { outer: prod(0, first), rows: prod(first, last + 1), inner: prod(last + 1, RANK) };
  }
  const plan: MeanPlan = {
    inShape: i6, outStrides, outCount: stride, count, inputZeroPoint, outputZeroPoint, multiplier: m, shift: s, single,
    sums: new Int32Array(stride), block, table: null,
  };
  const values = count * 255 + 1;
  if (count > 0 && values <= MEAN_TABLE_MAX) {
    // every sum in [-128 * count, 127 * count], through the arithmetic of finishMean
    const sums = Int32Array.from({ length: values }, (_, i) => i - 128 * count);
    const table = new Int8Array(values);
    requantizeSums(plan, sums, values, table);
    plan.table = table;
  }
  return plan;
}

/** Rows summed at a time in 16-bit lanes: 256 * 255 (byte + 128 at most) stays below 2^16. */
const LANE_ROWS = 256;

/** Adds the four column sums of a word column (lanes of bytes 0, 2 in `even`, 1, 3 in `odd`, each + 128 per row). */
function addLanes(sums: Int32Array, at: number, even: number, odd: number, offset: number): void {
  sums[at] += (even & 0xffff) - offset;
  sums[at + 1] += (odd & 0xffff) - offset;
  sums[at + 2] += (even >>> 16) - offset;
  sums[at + 3] += (odd >>> 16) - offset;
}

/**
 * Sums of [outer, rows, inner] over rows, a word (four columns) at a time: each int8 byte is offset to byte + 128
 * (xor 0x80), bytes 0, 2 and 1, 3 of a word are added in two words of 16-bit lanes (up to LANE_ROWS rows), and the
 * offset 128 * rows is taken back out. Two word columns per pass, their rows read with a stride. Needs inner a
 * multiple of 4 and a 4-byte aligned input; returns false (nothing written) otherwise.
 */
function sumRowsWords(b: NonNullable<MeanPlan['block']>, input: Int8Array, sums: Int32Array): boolean {
  const { outer, rows, inner } = b;
  if (!LITTLE_ENDIAN || inner % 4 !== 0 || input.byteOffset % 4 !== 0) return false;
  const q = inner >> 2;
  const words = new Int32Array(input.buffer, input.byteOffset, (outer * rows * inner) >> 2);
  sums.fill(0);
  for (let k = 0; k < outer; k++) {
    for (let first = 0; first < rows; first += LANE_ROWS) {
      const count = Math.min(LANE_ROWS, rows - first);
      const offset = 128 * count;
      const base = (k * rows + first) * q;
      const end = base + count * q;
      let j = 0;
      for (; j + 2 <= q; j += 2) {
        let even0 = 0;
        let odd0 = 0;
        let even1 = 0;
        let odd1 = 0;
        for (let i = base + j; i < end; i += q) {
          const w0 = words[i] ^ 0x80808080;
          const w1 = words[i + 1] ^ 0x80808080;
          even0 += w0 & 0x00ff00ff;
          odd0 += (w0 >>> 8) & 0x00ff00ff;
          even1 += w1 & 0x00ff00ff;
          odd1 += (w1 >>> 8) & 0x00ff00ff;
        }
        addLanes(sums, k * inner + 4 * j, even0, odd0, offset);
        addLanes(sums, k * inner + 4 * j + 4, even1, odd1, offset);
      }
      if (j < q) {
        let even = 0;
        let odd = 0;
        for (let i = base + j; i < end; i += q) {
          const w = words[i] ^ 0x80808080;
          even += w & 0x00ff00ff;
          odd += (w >>> 8) & 0x00ff00ff;
        }
        addLanes(sums, k * inner + 4 * j, even, odd, offset);
      }
    }
  }
  return true;
}

/** Sums of [outer, rows, inner] over rows, element by element: four rows per pass into the int32 sums, read in order. */
function sumRows(b: NonNullable<MeanPlan['block']>, input: Int8Array, sums: Int32Array): void {
  const { outer, rows, inner } = b;
  sums.fill(0);
  for (let k = 0; k < outer; k++) {
    const to = k * inner;
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      const from = (k * rows + r) * inner - to;
      for (let c = to, end = to + inner; c < end; c++) {
        sums[c] += input[from + c] + input[from + inner + c] + input[from + 2 * inner + c] + input[from + 3 * inner + c];
      }
    }
    for (; r < rows; r++) {
      const from = (k * rows + r) * inner - to;
      for (let c = to, end = to + inner; c < end; c++) sums[c] += input[from + c];
    }
  }
}

export function mean(p: MeanPlan, input: Int8Array, out: Int8Array): void {
  const sums = p.sums;
  if (p.block !== null) {
    if (!sumRowsWords(p.block, input, sums)) sumRows(p.block, input, sums);
  } else {
    sumAll(p, input, sums);
  }
  finishMean(p, sums, out);
}

/** Sums over any set of axes: every input element added to its output's sum. */
function sumAll(p: MeanPlan, input: Int8Array, sums: Int32Array): void {
  sums.fill(0);
  const [d0, d1, d2, d3, d4, d5] = p.inShape;
  const [s0, s1, s2, s3, s4, s5] = p.outStrides;
  let i = 0;
  for (let a = 0; a < d0; a++) {
    for (let b = 0; b < d1; b++) {
      for (let c = 0; c < d2; c++) {
        for (let e = 0; e < d3; e++) {
          for (let f = 0; f < d4; f++) {
            let o = a * s0 + b * s1 + c * s2 + e * s3 + f * s4;
            for (let g = 0; g < d5; g++, o += s5) sums[o] += input[i++];
          }
        }
      }
    }
  }
}

function finishMean(p: MeanPlan, sums: Int32Array, out: Int8Array): void {
  if (p.count === 0) {
    out.fill(0);
    return;
  }
  const table = p.table;
  if (table === null) {
    requantizeSums(p, sums, p.outCount, out);
    return;
  }
  const origin = 128 * p.count;
  for (let k = 0, n = p.outCount; k < n; k++) out[k] = table[sums[k] + origin];
}

/** out[k] = clamp(MultiplyByQuantizedMultiplier(sums[k] - z_in * count) + z_out) for k < n. */
function requantizeSums(p: MeanPlan, sums: Int32Array, n: number, out: Int8Array): void {
  const offset = Math.imul(p.inputZeroPoint, p.count);
  const { multiplier, shift, outputZeroPoint } = p;
  // one loop per profile: a direct call the compiler can inline
  if (p.single) {
    for (let k = 0; k < n; k++) {
      const v = multiplyByQuantizedMultiplierSingle((sums[k] - offset) | 0, multiplier, shift) + outputZeroPoint;
      out[k] = v < -128 ? -128 : v > 127 ? 127 : v;
    }
  } else {
    for (let k = 0; k < n; k++) {
      const v = multiplyByQuantizedMultiplierDouble((sums[k] - offset) | 0, multiplier, shift) + outputZeroPoint;
      out[k] = v < -128 ? -128 : v > 127 ? 127 : v;
    }
  }
}

/** gemmlowp exp_on_negative_values for a FixedPoint<int32, integerBits> a <= 0 (integerBits <= 5); result Q0. */
export function expOnNegativeValues(a: number, integerBits: number): number {
  const fractionalBits = 31 - integerBits;
  const oneQuarter = 1 << (fractionalBits - 2);
  const aModQuarterMinusOneQuarter = ((a & (oneQuarter - 1)) - oneQuarter) | 0;
  let result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(saturatingShiftLeft(aModQuarterMinusOneQuarter, integerBits));
  const remainder = (aModQuarterMinusOneQuarter - a) | 0;
  const factors: ReadonlyArray<[number, number]> = [[-2, 1672461947], [-1, 1302514674], [0, 790015084], [1, 290630308], [2, 39332535], [3, 720401], [4, 242]];
  for (const [exponent, factor] of factors) {
    if (integerBits > exponent && (remainder & (1 << (fractionalBits + exponent))) !== 0) {
      result = saturatingRoundingDoublingHighMulPositive(result, factor);
    }
  }
  return a === 0 ? 2147483647 : result;
}

/** SRDHM for the products in exp/logistic (never INT32_MIN * INT32_MIN). */
function saturatingRoundingDoublingHighMulPositive(a: number, b: number): number {
  const ah = a >> 16;
  const al = a & 0xffff;
  const bh = b >> 16;
  const bl = b & 0xffff;
  const low = (ah * bl + al * bh) * 65536 + al * bl + 1073741824;
  return (2 * ah * bh + Math.floor(low / 2147483648)) | 0;
}

/** gemmlowp logistic for a FixedPoint<int32, 4> raw value; result Q0 (1/2 at 0). */
export function logisticQ4(a: number): number {
  if (a === 0) return 1 << 30;
  const abs = a > 0 ? a : (-a) | 0;
  const positive = oneOverOnePlusXForXIn01(expOnNegativeValues((-abs) | 0, 4));
  return a > 0 ? positive : (2147483647 - positive) | 0;
}

/**
 * The int8 LOGISTIC of every input code (TFLite Micro logistic_common.cc + reference integer_ops/logistic.h):
 * inputs beyond the radius saturate; others are rescaled to Q4.27 by MultiplyByQuantizedMultiplier, passed
 * through gemmlowp's fixed-point logistic, and rounded to 1/256 with zero point -128. Indexed by code + 128.
 */
export function logisticTable(inputZeroPoint: number, inputScale: number, single: boolean): Int8Array {
  const inputIntegerBits = 4;
  // frexp(s_in * 2^27): multiplier round(q * 2^31), left shift = exponent (q * 2^31 is exact for a float32 scale)
  const [q, leftShift] = frexp(inputScale * 2 ** (31 - inputIntegerBits));
  const multiplier = roundHalfAway(q * 2 ** 31);
  // CalculateInputRadius(4, leftShift, 31)
  const radius = Math.floor(((2 ** inputIntegerBits - 1) * 2 ** (31 - inputIntegerBits)) / 2 ** leftShift);
  const scale = mbqm(single);
  const table = new Int8Array(256);
  for (let code = -128; code <= 127; code++) {
    const input = code - inputZeroPoint;
    let v: number;
    if (input <= -radius) v = -128;
    else if (input >= radius) v = 127;
    else {
      const inQ4 = scale(input, multiplier, leftShift);
      const outQ0 = logisticQ4(inQ4);
      v = roundingDivideByPOT(outQ0, 31 - 8) - 128;
      v = v < -128 ? -128 : v > 127 ? 127 : v;
    }
    table[code + 128] = v;
  }
  return table;
}

/** Maps every int8 code through a 256-entry table indexed by code + 128. */
export function lookup(table: Int8Array, input: Int8Array, out: Int8Array): void {
  for (let i = 0; i < input.length; i++) out[i] = table[input[i] + 128];
}

/** One input of a CONCATENATION: copied as is, or rescaled (TFLite's ConcatenationWithScaling, float32). */
export interface ConcatPart {
  /** Elements of this input per outer index: its axis dim times the inner size. */
  size: number;
  /** null: same parameters as the output, a plain copy. */
  rescale: { scale: number; bias: number; outputZeroPoint: number; qmin: number; qmax: number } | null;
}

/**
 * The float32 rescaling of ConcatenationWithScaling: scale = f32(s_in * f32(1 / s_out)), bias = f32(-z_in * scale),
 * q' = round_away(f32(f32(q * scale) + bias)) + z_out, clamped.
 */
export function concatRescale(inputScale: number, inputZeroPoint: number, outputScale: number, outputZeroPoint: number,
  qmin: number, qmax: number): NonNullable<ConcatPart['rescale']> {
  const inverse = fround(1 / outputScale);
  const scale = fround(inputScale * inverse);
  const bias = fround(-inputZeroPoint * scale);
  return { scale, bias, outputZeroPoint, qmin, qmax };
}

export function concatenate(outer: number, parts: readonly ConcatPart[], inputs: readonly ByteArray[], out: ByteArray): void {
  let o = 0;
  for (let k = 0; k < outer; k++) {
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      const src = inputs[i];
      const from = k * part.size;
      const r = part.rescale;
      if (r === null) {
        copyRun(src, from, out, o, part.size);
      } else {
        for (let j = 0; j < part.size; j++) {
          const v = roundAway(fround(fround(src[from + j] * r.scale) + r.bias)) + r.outputZeroPoint;
          out[o + j] = v < r.qmin ? r.qmin : v > r.qmax ? r.qmax : v;
        }
      }
      o += part.size;
    }
  }
}
