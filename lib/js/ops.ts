// Pure-TypeScript operator kernels with the native signatures (binding.d.ts, "Operators"): the fallback
// backend and the readable reference for native/. TFLite's reference loops, int32 accumulation wrapping
// as in two's complement. Arguments are trusted: lib/ops/ validated every shape, length and range.
import type { ByteArray } from '../../binding';
import { AddField, ADD_RANK, ConvField, FcField, PoolField, SoftmaxField } from '../ops/geometry';
import { multiplyByFloatScale, multiplyByQuantizedMultiplierDouble, multiplyByQuantizedMultiplierSingle, roundingDivideByPOT, saturatingRoundingDoublingHighMul } from './fixedpoint';
import { expOnNegativeValuesQ5, getReciprocal } from './gemmlowp';

// Math's functions bound once: hot loops then avoid a global lookup per call (costly in vm contexts such as jest).
const { floor: mathFloor, imul: mathImul, max: mathMax, min: mathMin, trunc: mathTrunc } = Math;

/** Scales an int32 accumulator of output channel c by the profile's requantization (Profile field). */
type Requantizer = (acc: number, c: number) => number;

function requantizer(profile: number, perChannel: boolean, multiplier: Int32Array, shift: Int32Array, scale: Float32Array): Requantizer {
  const at = (c: number): number => (perChannel ? c : 0);
  if (profile === 2) return (acc, c) => multiplyByFloatScale(acc, scale[at(c)]);
  if (profile === 1) return (acc, c) => multiplyByQuantizedMultiplierSingle(acc, multiplier[at(c)], shift[at(c)]);
  return (acc, c) => multiplyByQuantizedMultiplierDouble(acc, multiplier[at(c)], shift[at(c)]);
}

/** Adds the output offset without int32 overflow and clamps to the activation range. */
function clampOutput(scaled: number, offset: number, lo: number, hi: number): number {
  const v = scaled + offset;
  return v < lo ? lo : v > hi ? hi : v;
}

/** The …Async twin of a kernel: computes after the current turn of the event loop. */
function deferred(compute: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    setImmediate(() => {
      try {
        compute();
        resolve();
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** CONV_2D (spec 5.2): grouped, dilated, NHWC; the skipped out-of-image taps equal padding with the zero point. */
export function conv2d(input: ByteArray, filter: ByteArray, bias: Int32Array | null, multiplier: Int32Array, shift: Int32Array,
  scale: Float32Array, geometry: Int32Array, out: ByteArray): void {
  const g = geometry;
  const batches = g[ConvField.Batches], inH = g[ConvField.InputHeight], inW = g[ConvField.InputWidth], inC = g[ConvField.InputChannels];
  const outH = g[ConvField.OutputHeight], outW = g[ConvField.OutputWidth], outC = g[ConvField.OutputChannels];
  const kH = g[ConvField.FilterHeight], kW = g[ConvField.FilterWidth], filterC = g[ConvField.FilterChannels];
  const strideH = g[ConvField.StrideHeight], strideW = g[ConvField.StrideWidth];
  const dilationH = g[ConvField.DilationHeight], dilationW = g[ConvField.DilationWidth];
  const padTop = g[ConvField.PadTop], padLeft = g[ConvField.PadLeft];
  const inputOffset = g[ConvField.InputOffset], filterOffset = g[ConvField.FilterOffset], outputOffset = g[ConvField.OutputOffset];
  const actMin = g[ConvField.ActivationMin], actMax = g[ConvField.ActivationMax];
  const requant = requantizer(g[ConvField.Profile], g[ConvField.PerChannel] !== 0, multiplier, shift, scale);
  const groups = inC / filterC;
  const filtersPerGroup = outC / groups;
  let o = 0;
  for (let n = 0; n < batches; n++) {
    for (let oy = 0; oy < outH; oy++) {
      const originY = oy * strideH - padTop;
      for (let ox = 0; ox < outW; ox++) {
        const originX = ox * strideW - padLeft;
        for (let oc = 0; oc < outC; oc++) {
          const channelBase = mathFloor(oc / filtersPerGroup) * filterC;
          let acc = 0;
          for (let ky = 0; ky < kH; ky++) {
            const iy = originY + dilationH * ky;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kW; kx++) {
              const ix = originX + dilationW * kx;
              if (ix < 0 || ix >= inW) continue;
              const inBase = ((n * inH + iy) * inW + ix) * inC + channelBase;
              const filterBase = ((oc * kH + ky) * kW + kx) * filterC;
              for (let ic = 0; ic < filterC; ic++) {
                acc = (acc + mathImul(filter[filterBase + ic] + filterOffset, input[inBase + ic] + inputOffset)) | 0;
              }
            }
          }
          if (bias !== null) acc = (acc + bias[oc]) | 0;
          out[o++] = clampOutput(requant(acc, oc), outputOffset, actMin, actMax);
        }
      }
    }
  }
}

/** DEPTHWISE_CONV_2D (spec 5.3): output channel oc reads input channel floor(oc / DepthMultiplier). */
export function depthwiseConv2d(input: ByteArray, filter: ByteArray, bias: Int32Array | null, multiplier: Int32Array, shift: Int32Array,
  scale: Float32Array, geometry: Int32Array, out: ByteArray): void {
  const g = geometry;
  const batches = g[ConvField.Batches], inH = g[ConvField.InputHeight], inW = g[ConvField.InputWidth], inC = g[ConvField.InputChannels];
  const outH = g[ConvField.OutputHeight], outW = g[ConvField.OutputWidth], outC = g[ConvField.OutputChannels];
  const kH = g[ConvField.FilterHeight], kW = g[ConvField.FilterWidth];
  const strideH = g[ConvField.StrideHeight], strideW = g[ConvField.StrideWidth];
  const dilationH = g[ConvField.DilationHeight], dilationW = g[ConvField.DilationWidth];
  const padTop = g[ConvField.PadTop], padLeft = g[ConvField.PadLeft];
  const inputOffset = g[ConvField.InputOffset], filterOffset = g[ConvField.FilterOffset], outputOffset = g[ConvField.OutputOffset];
  const actMin = g[ConvField.ActivationMin], actMax = g[ConvField.ActivationMax];
  const depthMultiplier = g[ConvField.DepthMultiplier];
  const requant = requantizer(g[ConvField.Profile], g[ConvField.PerChannel] !== 0, multiplier, shift, scale);
  let o = 0;
  for (let n = 0; n < batches; n++) {
    for (let oy = 0; oy < outH; oy++) {
      const originY = oy * strideH - padTop;
      for (let ox = 0; ox < outW; ox++) {
        const originX = ox * strideW - padLeft;
        for (let oc = 0; oc < outC; oc++) {
          const ic = mathFloor(oc / depthMultiplier);
          let acc = 0;
          for (let ky = 0; ky < kH; ky++) {
            const iy = originY + dilationH * ky;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kW; kx++) {
              const ix = originX + dilationW * kx;
              if (ix < 0 || ix >= inW) continue;
              const x = input[((n * inH + iy) * inW + ix) * inC + ic];
              const w = filter[(ky * kW + kx) * outC + oc];
              acc = (acc + mathImul(w + filterOffset, x + inputOffset)) | 0;
            }
          }
          if (bias !== null) acc = (acc + bias[oc]) | 0;
          out[o++] = clampOutput(requant(acc, oc), outputOffset, actMin, actMax);
        }
      }
    }
  }
}

/** FULLY_CONNECTED (spec 5.4): [Batches, Depth] x [Units, Depth]^T; an Int32Array out gets the raw accumulators. */
export function fullyConnected(input: ByteArray, weights: ByteArray, bias: Int32Array | null, multiplier: Int32Array, shift: Int32Array,
  scale: Float32Array, geometry: Int32Array, out: ByteArray | Int32Array): void {
  const g = geometry;
  const batches = g[FcField.Batches], depth = g[FcField.Depth], units = g[FcField.Units];
  const inputOffset = g[FcField.InputOffset], filterOffset = g[FcField.FilterOffset], outputOffset = g[FcField.OutputOffset];
  const actMin = g[FcField.ActivationMin], actMax = g[FcField.ActivationMax];
  const raw = out instanceof Int32Array;
  const requant = requantizer(g[FcField.Profile], g[FcField.PerChannel] !== 0, multiplier, shift, scale);
  for (let b = 0; b < batches; b++) {
    const inBase = b * depth;
    for (let u = 0; u < units; u++) {
      const wBase = u * depth;
      let acc = 0;
      for (let d = 0; d < depth; d++) {
        acc = (acc + mathImul(weights[wBase + d] + filterOffset, input[inBase + d] + inputOffset)) | 0;
      }
      if (bias !== null) acc = (acc + bias[u]) | 0;
      out[b * units + u] = raw ? acc : clampOutput(requant(acc, u), outputOffset, actMin, actMax);
    }
  }
}

/** The window of output position (oy, ox) clipped to the image: [yStart, yEnd) x [xStart, xEnd) in input coordinates. */
interface PoolLayout {
  batches: number; inH: number; inW: number; channels: number; outH: number; outW: number;
  kH: number; kW: number; strideH: number; strideW: number; padTop: number; padLeft: number; actMin: number; actMax: number;
}

function poolLayout(g: Int32Array): PoolLayout {
  return {
    batches: g[PoolField.Batches], inH: g[PoolField.InputHeight], inW: g[PoolField.InputWidth], channels: g[PoolField.Channels],
    outH: g[PoolField.OutputHeight], outW: g[PoolField.OutputWidth], kH: g[PoolField.FilterHeight], kW: g[PoolField.FilterWidth],
    strideH: g[PoolField.StrideHeight], strideW: g[PoolField.StrideWidth], padTop: g[PoolField.PadTop], padLeft: g[PoolField.PadLeft],
    actMin: g[PoolField.ActivationMin], actMax: g[PoolField.ActivationMax],
  };
}

/** Calls reduce(window) for every output element in NHWC order and stores its clamped result. */
function pool(p: PoolLayout, out: ByteArray,
  reduce: (yStart: number, yEnd: number, xStart: number, xEnd: number, base: number) => number): void {
  let o = 0;
  for (let n = 0; n < p.batches; n++) {
    for (let oy = 0; oy < p.outH; oy++) {
      const originY = oy * p.strideH - p.padTop;
      const yStart = mathMax(0, originY);
      const yEnd = mathMin(p.inH, originY + p.kH);
      for (let ox = 0; ox < p.outW; ox++) {
        const originX = ox * p.strideW - p.padLeft;
        const xStart = mathMax(0, originX);
        const xEnd = mathMin(p.inW, originX + p.kW);
        for (let c = 0; c < p.channels; c++) {
          const v = reduce(yStart, yEnd, xStart, xEnd, n * p.inH * p.inW * p.channels + c);
          out[o++] = v < p.actMin ? p.actMin : v > p.actMax ? p.actMax : v;
        }
      }
    }
  }
}

/** MAX_POOL_2D: the largest in-bounds tap (TFLite reference pooling.h). */
export function maxPool2d(input: ByteArray, geometry: Int32Array, out: ByteArray): void {
  const p = poolLayout(geometry);
  pool(p, out, (yStart, yEnd, xStart, xEnd, base) => {
    let max = -Infinity;
    for (let y = yStart; y < yEnd; y++) {
      for (let x = xStart; x < xEnd; x++) {
        const v = input[base + (y * p.inW + x) * p.channels];
        if (v > max) max = v;
      }
    }
    return max;
  });
}

/**
 * AVERAGE_POOL_2D: the sum of the in-bounds taps divided by their count, rounded half away from zero
 * ((acc ± count/2) / count with C's truncating division). Zero points cancel: input and output share them.
 */
export function averagePool2d(input: ByteArray, geometry: Int32Array, out: ByteArray): void {
  const p = poolLayout(geometry);
  pool(p, out, (yStart, yEnd, xStart, xEnd, base) => {
    let acc = 0;
    let count = 0;
    for (let y = yStart; y < yEnd; y++) {
      for (let x = xStart; x < xEnd; x++) {
        acc += input[base + (y * p.inW + x) * p.channels];
        count++;
      }
    }
    const half = mathTrunc(count / 2);
    return mathTrunc(acc > 0 ? (acc + half) / count : (acc - half) / count);
  });
}

/**
 * ADD (TFLite int8 arithmetic, reference integer_ops/add.h): both inputs shifted left by LeftShift, each
 * scaled to the common 2*max(s1, s2) base, summed, then scaled to the output. Broadcasts by strides.
 */
export function add(a: ByteArray, b: ByteArray, geometry: Int32Array, out: ByteArray): void {
  const g = geometry;
  const offsetA = g[AddField.InputOffsetA], offsetB = g[AddField.InputOffsetB], outputOffset = g[AddField.OutputOffset];
  const leftShift = g[AddField.LeftShift];
  const multiplierA = g[AddField.MultiplierA], shiftA = g[AddField.ShiftA];
  const multiplierB = g[AddField.MultiplierB], shiftB = g[AddField.ShiftB];
  const outputMultiplier = g[AddField.OutputMultiplier], outputShift = g[AddField.OutputShift];
  const actMin = g[AddField.ActivationMin], actMax = g[AddField.ActivationMax];
  const dims = g.subarray(AddField.OutputShape, AddField.OutputShape + ADD_RANK);
  const stridesA = g.subarray(AddField.StridesA, AddField.StridesA + ADD_RANK);
  const stridesB = g.subarray(AddField.StridesB, AddField.StridesB + ADD_RANK);
  let total = 1;
  for (let d = 0; d < ADD_RANK; d++) total *= dims[d];
  const index = new Array<number>(ADD_RANK).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < total; o++) {
    const shiftedA = (a[ia] + offsetA) << leftShift;
    const shiftedB = (b[ib] + offsetB) << leftShift;
    const scaledA = multiplyByQuantizedMultiplierDouble(shiftedA, multiplierA, shiftA);
    const scaledB = multiplyByQuantizedMultiplierDouble(shiftedB, multiplierB, shiftB);
    const rawSum = (scaledA + scaledB) | 0;
    out[o] = clampOutput(multiplyByQuantizedMultiplierDouble(rawSum, outputMultiplier, outputShift), outputOffset, actMin, actMax);
    // advance the multi-index (last dimension fastest) and both input positions
    for (let d = ADD_RANK - 1; d >= 0; d--) {
      ia += stridesA[d];
      ib += stridesB[d];
      if (++index[d] < dims[d]) break;
      ia -= stridesA[d] * dims[d];
      ib -= stridesB[d] * dims[d];
      index[d] = 0;
    }
  }
}

/**
 * SOFTMAX over the last axis, int8 -> int8 with scale 1/256 and zero point -128 (TFLite reference softmax.h):
 * differences to the row maximum rescaled to Q5.26, gemmlowp exp, a Q12.19 sum, its reciprocal, and a
 * rounding shift. Differences below DiffMin contribute nothing and give -128.
 */
export function softmax(input: Int8Array, geometry: Int32Array, out: Int8Array): void {
  const rows = geometry[SoftmaxField.Rows], depth = geometry[SoftmaxField.Depth];
  const inputMultiplier = geometry[SoftmaxField.InputMultiplier], inputLeftShift = geometry[SoftmaxField.InputLeftShift];
  const diffMin = geometry[SoftmaxField.DiffMin];
  const accumulationIntegerBits = 12;
  // MultiplyByQuantizedMultiplierGreaterThanOne, then exp in Q0
  const expOfDiff = (diff: number): number =>
    expOnNegativeValuesQ5(saturatingRoundingDoublingHighMul(diff << inputLeftShift, inputMultiplier));
  for (let r = 0; r < rows; r++) {
    const base = r * depth;
    let max = -128;
    for (let c = 0; c < depth; c++) if (input[base + c] > max) max = input[base + c];
    let sumOfExps = 0; // Q12.19: each Q0 exp is rescaled by a rounding shift of 12
    for (let c = 0; c < depth; c++) {
      const diff = input[base + c] - max;
      // both terms are >= 0: the saturating add (where TFLite's int32 sum would overflow) is a min
      if (diff >= diffMin) sumOfExps = mathMin(sumOfExps + roundingDivideByPOT(expOfDiff(diff), accumulationIntegerBits), 2147483647);
    }
    const { reciprocal, bitsOverUnit } = getReciprocal(sumOfExps, accumulationIntegerBits);
    const exponent = bitsOverUnit + 31 - 8;
    for (let c = 0; c < depth; c++) {
      const diff = input[base + c] - max;
      if (diff < diffMin) {
        out[base + c] = -128;
        continue;
      }
      const product = saturatingRoundingDoublingHighMul(reciprocal, expOfDiff(diff)); // >= 0
      // TFLite requires exponent <= 31; a larger one (rows summing to >= 2^8) rounds every value to 0
      const unsaturated = exponent > 31 ? 0 : roundingDivideByPOT(product, exponent);
      const shifted = unsaturated - 128;
      out[base + c] = shifted > 127 ? 127 : shifted;
    }
  }
}

export const conv2dAsync = (...args: Parameters<typeof conv2d>): Promise<void> => deferred(() => conv2d(...args));
export const depthwiseConv2dAsync = (...args: Parameters<typeof depthwiseConv2d>): Promise<void> => deferred(() => depthwiseConv2d(...args));
export const fullyConnectedAsync = (...args: Parameters<typeof fullyConnected>): Promise<void> => deferred(() => fullyConnected(...args));
export const maxPool2dAsync = (...args: Parameters<typeof maxPool2d>): Promise<void> => deferred(() => maxPool2d(...args));
export const averagePool2dAsync = (...args: Parameters<typeof averagePool2d>): Promise<void> => deferred(() => averagePool2d(...args));
export const addAsync = (...args: Parameters<typeof add>): Promise<void> => deferred(() => add(...args));
export const softmaxAsync = (...args: Parameters<typeof softmax>): Promise<void> => deferred(() => softmax(...args));
