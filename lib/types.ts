// Public types of qint8: tensors, quantization parameters, profiles (api.md "Tensors and parameters").

export type QDType = 'int8' | 'uint8';
/** Which TFLite integer arithmetic the results reproduce; see the README's "Profiles". */
export type Profile = 'tflite-ref' | 'tflite-single' | 'xnnpack-fp32';
export type Activation = 'NONE' | 'RELU' | 'RELU6' | 'RELU_N1_TO_1';
export type Padding = 'SAME' | 'VALID';
/**
 * Explicit padding of a convolution, `[[top, bottom], [left, right]]` (integers >= 0): the input is read as if that
 * many rows / columns of its zero point surrounded it, then the window slides as with 'VALID' (TFLite's PAD
 * followed by a 'VALID' CONV_2D or DEPTHWISE_CONV_2D).
 */
export type ExplicitPadding = readonly [readonly [number, number], readonly [number, number]];
/** The padding a convolution takes: 'SAME', 'VALID' or explicit. */
export type ConvPadding = Padding | ExplicitPadding;
export type Rounding = 'away' | 'even';

export interface QuantParams {
  /** One value: per-tensor. Several: per-axis along `axis`. Used as float32 (Math.fround). */
  scale: number | ArrayLike<number>;
  /** Same length as scale. */
  zeroPoint: number | ArrayLike<number>;
  /** The quantized dimension, when per-axis. */
  axis?: number;
}

export interface QTensor extends QuantParams {
  dtype: QDType;
  shape: readonly number[];
  /** Row-major (C order); activations are NHWC. */
  data: Int8Array | Uint8Array;
}

export interface FTensor {
  shape: readonly number[];
  data: Float32Array;
}

export const PROFILES: readonly Profile[] = ['tflite-ref', 'tflite-single', 'xnnpack-fp32'];
export const DTYPES: readonly QDType[] = ['int8', 'uint8'];

/** The integer range of a dtype. */
export function dtypeRange(dtype: QDType): { qmin: number; qmax: number } {
  return dtype === 'int8' ? { qmin: -128, qmax: 127 } : { qmin: 0, qmax: 255 };
}
