// The raw surface of the native addon (build/Release/qint8.node or prebuilds/), exactly as the C++
// glue exports it. Unvalidated: lib/ checks every argument before calling. The only native contract.

/** Numerics profile ids: 0 tflite-ref, 1 tflite-single, 2 xnnpack-fp32. */
export type NativeProfile = 0 | 1 | 2;
/** Rounding ids for quantize: 0 half away from zero, 1 half to even. */
export type NativeRounding = 0 | 1;
export type ByteArray = Int8Array | Uint8Array;

export interface NativeInfo {
  /** The kernel family this environment runs. */
  isa: string;
  /** Families the CPU supports. */
  cpuIsas: string[];
  /** Families this binary was compiled with. */
  compiledIsas: string[];
  /** Both supported and compiled, best last. */
  usableIsas: string[];
  napiVersion: number;
}

export interface NativeBinding {
  info(): NativeInfo;
  /** Forces a usable family for this environment; returns its name. */
  setIsa(isa: string): string;

  /** TFLite QuantizeMultiplier: [multiplier, shift]. */
  quantizeMultiplier(real: number, profile: NativeProfile): [number, number];
  /** Fixed-point profiles only (0, 1); shift in [-31, 30]. */
  multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number, profile: NativeProfile): number;
  /** round_half_even(f32(f32(x) * f32(scale))), saturated to int32. */
  multiplyByFloatScale(x: number, scale: number): number;
  /** The int64 overload: |x| < 2^47, multiplier >= 0, shift in [-31, 7]. */
  multiplyByQuantizedMultiplierInt64(x: bigint, multiplier: number, shift: number): number;

  /** Quantizes [outer, axis, inner] floats into out; returns the number of NaN inputs. */
  quantize(x: Float32Array, scale: Float32Array, zeroPoint: Int32Array, outer: number, axis: number, inner: number,
    qmin: number, qmax: number, rounding: NativeRounding, out: ByteArray): number;
  dequantize(q: ByteArray, scale: Float32Array, zeroPoint: Int32Array, outer: number, axis: number, inner: number,
    out: Float32Array): void;
  /** Per channel: multiplier/shift (fixed-point profiles) or scale (xnnpack-fp32), zero points on each side. */
  requantize(q: ByteArray, multiplier: Int32Array, shift: Int32Array, scale: Float32Array, zeroPointIn: Int32Array,
    zeroPointOut: Int32Array, outer: number, axis: number, inner: number, profile: NativeProfile, qmin: number,
    qmax: number, out: ByteArray): void;
}
