// ONNX models of the benchmark's peer (onnxruntime-node): QLinearMatMul with a constant int8 weight matrix and
// com.microsoft QLinearConv in NHWC (channels_last=1), per-tensor activation scales, built from the same
// weights (in TFLite's layouts) that qint8 runs, so both compute the same layer.
import { encodeModel, TensorSpec, ValueInfoSpec } from './encode';

/** Activation codes: uint8 is onnxruntime's fast x86 path (u8 × s8), int8 is TFLite's type (s8 × s8). */
export type ActivationDType = 'uint8' | 'int8';

export interface ScaleZeroPoint {
  scale: number;
  zeroPoint: number;
}

export interface OnnxModel {
  bytes: Uint8Array;
  input: ValueInfoSpec;
  output: ValueInfoSpec;
}

/** Opsets: ONNX 13 (QLinearMatMul, QLinearConv) and onnxruntime's contrib domain (NHWC QLinearConv). */
const OPSETS = [
  { domain: '', version: 13 },
  { domain: 'com.microsoft', version: 1 },
];

function zeroPointTensor(name: string, dtype: ActivationDType, zeroPoint: number): TensorSpec {
  return dtype === 'int8'
    ? { name, dtype, dims: [], data: Int8Array.of(zeroPoint) }
    : { name, dtype, dims: [], data: Uint8Array.of(zeroPoint) };
}

function scalar(name: string, value: number): TensorSpec {
  return { name, dtype: 'float32', dims: [], data: Float32Array.of(value) };
}

export interface QLinearMatMulSpec {
  M: number;
  K: number;
  N: number;
  activations: ActivationDType;
  /** int8 weights in TFLite FULLY_CONNECTED layout [N, K] (symmetric, zero point 0); transposed to ONNX's B [K, N]. */
  weights: Int8Array;
  weightScale: number;
  /** Quantization of A, in the activation dtype's codes. */
  input: ScaleZeroPoint;
  /** Quantization of Y, whose dtype is the activations'. */
  output: ScaleZeroPoint;
}

/** Y[M, N] = QLinearMatMul(A[M, K], B[K, N] constant), per-tensor scales. */
export function qlinearMatMulModel(p: QLinearMatMulSpec): OnnxModel {
  const { M, K, N } = p;
  if (p.weights.length !== N * K) throw new RangeError(`qlinearMatMulModel: weights of length ${N * K} ([N, K]), got ${p.weights.length}`);
  const b = new Int8Array(K * N);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) b[k * N + n] = p.weights[n * K + k];
  const input: ValueInfoSpec = { name: 'A', dtype: p.activations, dims: [M, K] };
  const output: ValueInfoSpec = { name: 'Y', dtype: p.activations, dims: [M, N] };
  const bytes = encodeModel({
    graphName: `qlinear_matmul_${M}x${K}x${N}_${p.activations}`,
    nodes: [{ opType: 'QLinearMatMul', inputs: ['A', 'a_scale', 'a_zero_point', 'B', 'b_scale', 'b_zero_point', 'y_scale', 'y_zero_point'], outputs: ['Y'] }],
    initializers: [
      scalar('a_scale', p.input.scale),
      zeroPointTensor('a_zero_point', p.activations, p.input.zeroPoint),
      { name: 'B', dtype: 'int8', dims: [K, N], data: b },
      scalar('b_scale', p.weightScale),
      { name: 'b_zero_point', dtype: 'int8', dims: [], data: Int8Array.of(0) },
      scalar('y_scale', p.output.scale),
      zeroPointTensor('y_zero_point', p.activations, p.output.zeroPoint),
    ],
    inputs: [input],
    outputs: [output],
    opsets: OPSETS,
  });
  return { bytes, input, output };
}

/** A benchmark convolution: batch 1, NHWC, square kernel, SAME padding (TFLite's rule), no dilation. */
export interface ConvShape {
  label: string;
  H: number;
  W: number;
  C: number;
  Cout: number;
  k: number;
  stride: number;
  /** Depthwise (groups = C, multiplier Cout / C) or a dense convolution. */
  depthwise: boolean;
}

export const CONV_SHAPES: readonly ConvShape[] = [
  { label: 'conv 3×3 56×56×64→64', H: 56, W: 56, C: 64, Cout: 64, k: 3, stride: 1, depthwise: false },
  { label: 'conv 1×1 28×28×128→256', H: 28, W: 28, C: 128, Cout: 256, k: 1, stride: 1, depthwise: false },
  { label: 'conv 3×3 s2 112×112×32→64', H: 112, W: 112, C: 32, Cout: 64, k: 3, stride: 2, depthwise: false },
  { label: 'depthwise 3×3 112×112×32', H: 112, W: 112, C: 32, Cout: 32, k: 3, stride: 1, depthwise: true },
  { label: 'depthwise 3×3 s2 56×56×128', H: 56, W: 56, C: 128, Cout: 128, k: 3, stride: 2, depthwise: true },
];

/** TFLite SAME padding along one axis (padding.h): out = ceil(in / stride); the odd pixel goes after. */
export function samePadding(size: number, k: number, stride: number): { out: number; before: number; after: number } {
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + k - size);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before };
}

export function convGroups(s: ConvShape): number {
  return s.depthwise ? s.C : 1;
}

/** Multiply-accumulates of one convolution (OPS = 2 × MACs). */
export function convMacs(s: ConvShape): number {
  const oh = samePadding(s.H, s.k, s.stride).out;
  const ow = samePadding(s.W, s.k, s.stride).out;
  return oh * ow * s.Cout * (s.C / convGroups(s)) * s.k * s.k;
}

/**
 * The ONNX filter OIHW [Cout, C/groups, k, k] of a TFLite filter: CONV_2D [Cout, k, k, Cin]
 * or DEPTHWISE_CONV_2D [1, k, k, Cout].
 */
export function tfliteFilterToOihw(s: ConvShape, filter: Int8Array): Int8Array {
  const cg = s.C / convGroups(s);
  const out = new Int8Array(s.Cout * cg * s.k * s.k);
  if (filter.length !== out.length) throw new RangeError(`tfliteFilterToOihw: filter of length ${out.length}, got ${filter.length}`);
  for (let o = 0; o < s.Cout; o++) {
    for (let y = 0; y < s.k; y++) {
      for (let x = 0; x < s.k; x++) {
        for (let i = 0; i < cg; i++) {
          const src = s.depthwise ? (y * s.k + x) * s.Cout + o : ((o * s.k + y) * s.k + x) * cg + i;
          out[((o * cg + i) * s.k + y) * s.k + x] = filter[src];
        }
      }
    }
  }
  return out;
}

export interface QLinearConvSpec {
  shape: ConvShape;
  activations: ActivationDType;
  /** int8 filter in ONNX layout OIHW [Cout, C/groups, k, k] (see tfliteFilterToOihw), zero points 0. */
  filter: Int8Array;
  /** Per-output-channel filter scales [Cout]. */
  filterScales: Float32Array;
  bias: Int32Array;
  input: ScaleZeroPoint;
  output: ScaleZeroPoint;
}

/** com.microsoft QLinearConv with channels_last = 1: X [1, H, W, C] → Y [1, OH, OW, Cout], TFLite SAME padding. */
export function qlinearConvNhwcModel(p: QLinearConvSpec): OnnxModel {
  const s = p.shape;
  const groups = convGroups(s);
  const cg = s.C / groups;
  const ph = samePadding(s.H, s.k, s.stride);
  const pw = samePadding(s.W, s.k, s.stride);
  const input: ValueInfoSpec = { name: 'X', dtype: p.activations, dims: [1, s.H, s.W, s.C] };
  const output: ValueInfoSpec = { name: 'Y', dtype: p.activations, dims: [1, ph.out, pw.out, s.Cout] };
  const bytes = encodeModel({
    graphName: `qlinear_conv_nhwc_${s.label.replace(/[^0-9A-Za-z]+/g, '_')}_${p.activations}`,
    nodes: [{
      opType: 'QLinearConv',
      domain: 'com.microsoft',
      inputs: ['X', 'x_scale', 'x_zero_point', 'W', 'w_scale', 'w_zero_point', 'y_scale', 'y_zero_point', 'B'],
      outputs: ['Y'],
      attributes: {
        kernel_shape: { ints: [s.k, s.k] },
        strides: { ints: [s.stride, s.stride] },
        pads: { ints: [ph.before, pw.before, ph.after, pw.after] },
        dilations: { ints: [1, 1] },
        group: { i: groups },
        channels_last: { i: 1 },
      },
    }],
    initializers: [
      scalar('x_scale', p.input.scale),
      zeroPointTensor('x_zero_point', p.activations, p.input.zeroPoint),
      { name: 'W', dtype: 'int8', dims: [s.Cout, cg, s.k, s.k], data: p.filter },
      { name: 'w_scale', dtype: 'float32', dims: [s.Cout], data: p.filterScales },
      { name: 'w_zero_point', dtype: 'int8', dims: [s.Cout], data: new Int8Array(s.Cout) },
      scalar('y_scale', p.output.scale),
      zeroPointTensor('y_zero_point', p.activations, p.output.zeroPoint),
      { name: 'B', dtype: 'int32', dims: [s.Cout], data: p.bias },
    ],
    inputs: [input],
    outputs: [output],
    opsets: OPSETS,
  });
  return { bytes, input, output };
}
