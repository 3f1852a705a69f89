// Pure-TypeScript quantize / dequantize / requantize kernels with the native signatures (binding.d.ts):
// the fallback backend, and the bit-exact twin of native/src/quant/quantize-scalar.cc.
import type { ByteArray, NativeProfile, NativeRounding } from '../../binding';
import { multiplyByFloatScale, multiplyByQuantizedMultiplierDouble, multiplyByQuantizedMultiplierSingle, roundHalfAway, roundHalfEven } from './fixedpoint';

// Math's functions bound once: hot loops then avoid a global lookup per call (costly in vm contexts such as jest).
const { fround: mathFround } = Math;

export function quantize(x: Float32Array, scale: Float32Array, zeroPoint: Int32Array, outer: number, axis: number, inner: number,
  qmin: number, qmax: number, rounding: NativeRounding, out: ByteArray): number {
  const round = rounding === 1 ? roundHalfEven : roundHalfAway;
  let nans = 0;
  for (let o = 0; o < outer; o++) {
    for (let a = 0; a < axis; a++) {
      const s = scale[a];
      const z = zeroPoint[a];
      const lo = qmin - z;
      const hi = qmax - z;
      const base = (o * axis + a) * inner;
      for (let i = 0; i < inner; i++) {
        let v = mathFround(x[base + i] / s); // float32 division (double rounding is harmless for ÷)
        if (v !== v) {
          nans++;
          v = 0;
        }
        v = v < lo ? lo : v > hi ? hi : v;
        out[base + i] = round(v) + z;
      }
    }
  }
  return nans;
}

export function dequantize(q: ByteArray, scale: Float32Array, zeroPoint: Int32Array, outer: number, axis: number, inner: number,
  out: Float32Array): void {
  for (let o = 0; o < outer; o++) {
    for (let a = 0; a < axis; a++) {
      const s = scale[a];
      const z = zeroPoint[a];
      const base = (o * axis + a) * inner;
      for (let i = 0; i < inner; i++) out[base + i] = s * (q[base + i] - z); // stored as float32: one rounding
    }
  }
}

export function requantize(q: ByteArray, multiplier: Int32Array, shift: Int32Array, scale: Float32Array, zeroPointIn: Int32Array,
  zeroPointOut: Int32Array, outer: number, axis: number, inner: number, profile: NativeProfile, qmin: number, qmax: number,
  out: ByteArray): void {
  for (let o = 0; o < outer; o++) {
    for (let a = 0; a < axis; a++) {
      const m = multiplier[a];
      const sh = shift[a];
      const s = scale[a];
      const zi = zeroPointIn[a];
      const zo = zeroPointOut[a];
      const base = (o * axis + a) * inner;
      for (let i = 0; i < inner; i++) {
        const x = q[base + i] - zi;
        const scaled = profile === 2 ? multiplyByFloatScale(x, s)
          : profile === 1 ? multiplyByQuantizedMultiplierSingle(x, m, sh) : multiplyByQuantizedMultiplierDouble(x, m, sh);
        const v = scaled + zo;
        out[base + i] = v < qmin ? qmin : v > qmax ? qmax : v;
      }
    }
  }
}
