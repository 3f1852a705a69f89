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
  /** Threads a compute call of this environment may use (setThreads), and the pool's size. */
  threads: number;
  maxThreads: number;
}

/** A FULLY_CONNECTED whose int8 weights are packed once for the environment's GEMM kernel. */
export interface NativePreparedFullyConnected {
  /** input [batches, K] int8 -> out [batches, N] int8. */
  run(input: Int8Array, batches: number, out: Int8Array): void;
  runAsync(input: Int8Array, batches: number, out: Int8Array): Promise<void>;
  /** Frees the packed weights (in-flight async runs keep them until they finish); run throws afterwards. */
  dispose(): void;
  /** The GEMM kernel the weights were packed for, or null after dispose. */
  kernel(): string | null;
}

/** A CONV_2D whose int8 filter (zero point 0) is packed once, per group, for the environment's GEMM kernel. */
export interface NativePreparedConv2D {
  /**
   * input NHWC int8 -> out NHWC int8. geometry: laid out as ConvField, equal to the prepared one except the
   * per-run fields Batches, InputHeight, InputWidth, OutputHeight, OutputWidth, PadTop, PadLeft.
   */
  run(input: Int8Array, geometry: Int32Array, out: Int8Array): void;
  runAsync(input: Int8Array, geometry: Int32Array, out: Int8Array): Promise<void>;
  /** Frees the packed filter (in-flight async runs keep it until they finish); run throws afterwards. */
  dispose(): void;
  /** The GEMM kernel the filter was packed for, or null after dispose. */
  kernel(): string | null;
}

/** A DEPTHWISE_CONV_2D whose int8 filter [1, KH, KW, Cout] (zero point 0) is packed once for the environment's depthwise kernel. */
export interface NativePreparedDepthwiseConv2D {
  /**
   * input NHWC int8 -> out NHWC int8. geometry: laid out as ConvField, equal to the prepared one except the
   * per-run fields Batches, InputHeight, InputWidth, InputChannels, DepthMultiplier (InputChannels * DepthMultiplier
   * must be the prepared OutputChannels), OutputHeight, OutputWidth, PadTop, PadLeft.
   */
  run(input: Int8Array, geometry: Int32Array, out: Int8Array): void;
  runAsync(input: Int8Array, geometry: Int32Array, out: Int8Array): Promise<void>;
  /** Frees the packed filter (in-flight async runs keep it until they finish); run throws afterwards. */
  dispose(): void;
  /** The depthwise kernel the filter was packed for, or null after dispose. */
  kernel(): string | null;
}

export interface NativeBinding {
  info(): NativeInfo;
  /** Forces a usable family for this environment; returns its name. */
  setIsa(isa: string): string;
  /** Threads a compute call may use (clamped to the pool size); returns the count in effect. */
  setThreads(n: number): number;
  /** Bytes from the start of `buffer` to its first address that is a multiple of `alignment` (a power of two <= 4096). */
  alignmentPadding(buffer: ArrayBuffer, alignment: number): number;
  /**
   * Packs int8 weights [N, K] (zero point 0) for the GEMM: bias or null, requantization arrays as for
   * fullyConnected, geometry laid out as FcField (Batches ignored). int8 input and output only.
   */
  createFullyConnected(weights: Int8Array, bias: Int32Array | null, multiplier: Int32Array, shift: Int32Array,
    scale: Float32Array, geometry: Int32Array): NativePreparedFullyConnected;
  /**
   * Packs an int8 CONV_2D filter [Cout, KH, KW, Cin/groups] (zero point 0) for the GEMM: bias or null,
   * requantization arrays as for conv2d, geometry laid out as ConvField (its per-run fields are ignored; the
   * groups come from InputChannels / FilterChannels). int8 input and output only (InputOffset in [-127, 128]).
   */
  createConv2d(filter: Int8Array, bias: Int32Array | null, multiplier: Int32Array, shift: Int32Array,
    scale: Float32Array, geometry: Int32Array): NativePreparedConv2D;
  /**
   * Packs an int8 DEPTHWISE_CONV_2D filter [1, KH, KW, Cout] (zero point 0) for the depthwise kernel: bias or null,
   * requantization arrays as for depthwiseConv2d, geometry laid out as ConvField with FilterChannels 1 (its per-run
   * fields are ignored). int8 input and output only (InputOffset in [-127, 128], OutputOffset in [-128, 127]).
   */
  createDepthwiseConv2d(filter: Int8Array, bias: Int32Array | null, multiplier: Int32Array, shift: Int32Array,
    scale: Float32Array, geometry: Int32Array): NativePreparedDepthwiseConv2D;

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

  // --- Operators (reference kernels). geometry: Int32Array laid out as lib/ops/geometry.ts. ---------
  // Each writes every element of `out` or throws before writing anything. The …Async twins compute on a
  // worker thread with the same arguments, keep them alive until they settle, and resolve to undefined.

  /** CONV_2D: input NHWC, filter [Cout, KH, KW, Cin/groups], bias [Cout] or null, out NHWC. */
  conv2d(input: ByteArray, filter: ByteArray, bias: Int32Array | null, multiplier: Int32Array, shift: Int32Array,
    scale: Float32Array, geometry: Int32Array, out: ByteArray): void;
  conv2dAsync(input: ByteArray, filter: ByteArray, bias: Int32Array | null, multiplier: Int32Array, shift: Int32Array,
    scale: Float32Array, geometry: Int32Array, out: ByteArray): Promise<void>;
  /** DEPTHWISE_CONV_2D: filter [1, KH, KW, Cin*M]. */
  depthwiseConv2d(input: ByteArray, filter: ByteArray, bias: Int32Array | null, multiplier: Int32Array, shift: Int32Array,
    scale: Float32Array, geometry: Int32Array, out: ByteArray): void;
  depthwiseConv2dAsync(input: ByteArray, filter: ByteArray, bias: Int32Array | null, multiplier: Int32Array, shift: Int32Array,
    scale: Float32Array, geometry: Int32Array, out: ByteArray): Promise<void>;
  /** FULLY_CONNECTED: input [B, K], weights [N, K]; an Int32Array out receives the raw accumulators (bias included). */
  fullyConnected(input: ByteArray, weights: ByteArray, bias: Int32Array | null, multiplier: Int32Array, shift: Int32Array,
    scale: Float32Array, geometry: Int32Array, out: ByteArray | Int32Array): void;
  fullyConnectedAsync(input: ByteArray, weights: ByteArray, bias: Int32Array | null, multiplier: Int32Array, shift: Int32Array,
    scale: Float32Array, geometry: Int32Array, out: ByteArray | Int32Array): Promise<void>;
  maxPool2d(input: ByteArray, geometry: Int32Array, out: ByteArray): void;
  maxPool2dAsync(input: ByteArray, geometry: Int32Array, out: ByteArray): Promise<void>;
  averagePool2d(input: ByteArray, geometry: Int32Array, out: ByteArray): void;
  averagePool2dAsync(input: ByteArray, geometry: Int32Array, out: ByteArray): Promise<void>;
  /** ADD with broadcasting (strides over the output index space in the geometry). */
  add(a: ByteArray, b: ByteArray, geometry: Int32Array, out: ByteArray): void;
  addAsync(a: ByteArray, b: ByteArray, geometry: Int32Array, out: ByteArray): Promise<void>;
  /** SOFTMAX over the last axis; int8 in, int8 out (scale 1/256, zero point -128). */
  softmax(input: Int8Array, geometry: Int32Array, out: Int8Array): void;
  softmaxAsync(input: Int8Array, geometry: Int32Array, out: Int8Array): Promise<void>;
}
