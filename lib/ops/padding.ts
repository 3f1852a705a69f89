// TFLite's output sizes and padding (padding.h) and the fused-activation clamp
// (CalculateActivationRangeQuantized); spec 5.1 and 5.5. Shared by the integer and float operators.
import type { Activation, Padding } from '../types';
import { roundHalfAway } from '../js/fixedpoint';

/** Effective filter extent with dilation. */
export function effectiveFilterSize(filter: number, dilation: number): number {
  return (filter - 1) * dilation + 1;
}

/**
 * Output size along one dimension. SAME: ceil(in / stride). VALID: trunc((in - eff + stride) / stride),
 * which is negative (an error for the caller to report) when the input is smaller than the filter.
 */
export function outputSize(padding: Padding, input: number, filter: number, stride: number, dilation: number): number {
  const eff = effectiveFilterSize(filter, dilation);
  if (padding === 'SAME') return Math.floor((input + stride - 1) / stride);
  return Math.trunc((input - eff + stride) / stride);
}

/** Padding before (top or left): floor(total / 2); the odd extra goes after. */
export function paddingBefore(input: number, output: number, filter: number, stride: number, dilation: number): number {
  const total = Math.max(0, (output - 1) * stride + effectiveFilterSize(filter, dilation) - input);
  return Math.floor(total / 2);
}

/** [min, max] of the fused activation on the quantized output (qmin/qmax: the dtype's range). */
export function activationRange(activation: Activation, scale: number, zeroPoint: number, qmin: number, qmax: number): [number, number] {
  const s = Math.fround(scale);
  const q = (f: number): number => zeroPoint + roundHalfAway(Math.fround(f / s));
  switch (activation) {
    case 'RELU':
      return [Math.max(qmin, zeroPoint), qmax];
    case 'RELU6':
      return [Math.max(qmin, zeroPoint), Math.min(qmax, q(6))];
    case 'RELU_N1_TO_1':
      return [Math.max(qmin, q(-1)), Math.min(qmax, q(1))];
    default:
      return [qmin, qmax];
  }
}

/** The float clamp of a fused activation. */
export function floatActivationRange(activation: Activation): [number, number] {
  switch (activation) {
    case 'RELU':
      return [0, Infinity];
    case 'RELU6':
      return [0, 6];
    case 'RELU_N1_TO_1':
      return [-1, 1];
    default:
      return [-Infinity, Infinity];
  }
}
