// quantizationError: how far a quantized (or any float) result is from a float reference — max and mean
// absolute error and the signal-to-quantization-noise ratio in dB. Computed in float64.
import type { FTensor, QTensor } from '../types';
import { checkFTensor, checkQTensor, makeQTensor } from '../quant/params';
import { dequantize } from '../quant/quantize';
import { isObject, rangeError, shapeText } from '../validate';

export interface QuantizationError {
  /** max |reference - value|; 0 for empty tensors. */
  maxAbsError: number;
  /** mean |reference - value|; 0 for empty tensors. */
  meanAbsError: number;
  /** 10·log10(Σ reference² / Σ (reference - value)²) in dB; Infinity when exact, -Infinity for an all-zero reference that is not matched. */
  sqnr: number;
}

/**
 * Compares `quantized` with `reference` element by element. A QTensor (any dtype, per-tensor or per-axis) is
 * dequantized first (f = f32(scale * (q - zeroPoint))); an FTensor is used as it is. Shapes must be equal.
 * Non-finite values propagate (IEEE arithmetic).
 * @throws TypeError / RangeError for a bad tensor or unequal shapes.
 */
export function quantizationError(reference: FTensor, quantized: QTensor | FTensor): QuantizationError {
  const fn = 'quantizationError';
  const ref = checkFTensor(fn, 'reference', reference);
  const isFloat = isObject(quantized) && quantized.data instanceof Float32Array;
  // Everything below uses the checked copies: the caller's object is not read again.
  let shape: readonly number[];
  let q: QTensor | null = null;
  let floatValues: Float32Array | null = null;
  if (isFloat) {
    const f = checkFTensor(fn, 'quantized', quantized);
    shape = f.shape;
    floatValues = f.data;
  } else {
    const t = checkQTensor(fn, 'quantized', quantized);
    shape = t.shape;
    q = makeQTensor(t.dtype, t.shape, t.data, t.params);
  }
  if (shape.length !== ref.shape.length || shape.some((d, i) => d !== ref.shape[i])) {
    throw rangeError(fn, 'quantized.shape', `equal to reference.shape ${shapeText(ref.shape)}`, shape);
  }
  const values = floatValues ?? dequantize(q as QTensor).data;

  const r = ref.data;
  let maxAbs = 0;
  let sumAbs = 0;
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < r.length; i++) {
    const d = r[i] - values[i];
    const a = Math.abs(d);
    if (a > maxAbs || a !== a) maxAbs = a;
    sumAbs += a;
    signal += r[i] * r[i];
    noise += d * d;
  }
  return {
    maxAbsError: maxAbs,
    meanAbsError: r.length === 0 ? 0 : sumAbs / r.length,
    sqnr: noise === 0 ? Infinity : 10 * Math.log10(signal / noise),
  };
}
