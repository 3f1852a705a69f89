// Bad input to the quantization math: a TypeError or RangeError naming the function, the argument and what
// was expected. One test per message.
import {
  chooseQuantParams, choosePerAxisQuantParams, dequantize, foldBatchNorm, HistogramObserver, MinMaxObserver,
  MovingAverageMinMaxObserver, multiplyByQuantizedMultiplier, quantize, quantizeMultiplier, requantize, setThreads,
} from '../../lib';
import type { QTensor } from '../../lib';

const x = { shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) };
const q: QTensor = { dtype: 'int8', shape: [2, 2], data: Int8Array.of(1, 2, 3, 4), scale: 0.5, zeroPoint: 0 };
const bad = (fn: () => unknown, type: typeof TypeError | typeof RangeError, message: string): void => {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(type);
  expect((thrown as Error).message).toBe(message);
};

describe('chooseQuantParams', () => {
  it('rejects NaN and infinite ranges', () => {
    bad(() => chooseQuantParams(NaN, 1), RangeError, 'chooseQuantParams: min must be a finite number, got NaN');
    bad(() => chooseQuantParams(0, Infinity), RangeError, 'chooseQuantParams: max must be a finite number, got Infinity');
  });
  it('rejects min > max', () => bad(() => chooseQuantParams(2, 1), RangeError, 'chooseQuantParams: min must be at most max (1), got 2'));
  it('rejects a non-number', () => bad(() => chooseQuantParams('0' as unknown as number, 1), TypeError, 'chooseQuantParams: min must be a number, got "0"'));
  it('rejects an unknown dtype', () => bad(() => chooseQuantParams(0, 1, { dtype: 'int4' as 'int8' }), RangeError, "chooseQuantParams: opts.dtype must be one of 'int8', 'uint8', got \"int4\""));
  it('rejects a non-boolean flag', () => bad(() => chooseQuantParams(0, 1, { symmetric: 1 as unknown as boolean }), TypeError, 'chooseQuantParams: opts.symmetric must be a boolean, got 1'));
});

describe('choosePerAxisQuantParams', () => {
  it('rejects an axis out of range', () => bad(() => choosePerAxisQuantParams(x, 2), RangeError, 'choosePerAxisQuantParams: axis must be an integer in [-2, 1], got 2'));
  it('rejects NaN data', () => bad(() => choosePerAxisQuantParams({ shape: [2], data: Float32Array.of(1, NaN) }, 0), RangeError,
    'choosePerAxisQuantParams: x.data must be finite (no NaN or infinity), got "NaN at index 1"'));
  it('rejects a length mismatch', () => bad(() => choosePerAxisQuantParams({ shape: [3], data: Float32Array.of(1, 2) }, 0), RangeError,
    'choosePerAxisQuantParams: x.data must be of length 3 for shape [3], got Float32Array(2)'));
});

describe('quantize', () => {
  it('rejects scale <= 0', () => {
    bad(() => quantize(x, { scale: 0, zeroPoint: 0 }), RangeError, 'quantize: params.scale must be a finite number > 0 (as float32), got 0');
    bad(() => quantize(x, { scale: -1, zeroPoint: 0 }), RangeError, 'quantize: params.scale must be a finite number > 0 (as float32), got -1');
    bad(() => quantize(x, { scale: 1e-50, zeroPoint: 0 }), RangeError, 'quantize: params.scale must be a finite number > 0 (as float32), got 1e-50');
  });
  it('rejects a zero point outside the dtype', () => bad(() => quantize(x, { scale: 1, zeroPoint: 200 }), RangeError,
    "quantize: params.zeroPoint must be an integer in [-128, 127] for int8, got 200"));
  it('rejects a non-Float32Array', () => bad(() => quantize({ shape: [4], data: [1, 2, 3, 4] as unknown as Float32Array }, { scale: 1, zeroPoint: 0 }), TypeError,
    'quantize: x.data must be a Float32Array, got [1,2,3,4]'));
  it('rejects a bad shape', () => bad(() => quantize({ shape: [2, -2], data: x.data }, { scale: 1, zeroPoint: 0 }), RangeError,
    'quantize: x.shape must be an array of non-negative integers, got [2,-2]'));
  it('rejects per-axis lengths that do not match the axis', () => bad(() => quantize(x, { scale: [1, 2, 3], zeroPoint: [0, 0, 0], axis: 1 }), RangeError,
    'quantize: params.scale must be of length shape[1] = 2 for shape [2,2], got [1,2,3]'));
  it('rejects scale and zero point lists of different lengths', () => bad(() => quantize(x, { scale: [1, 2], zeroPoint: [0], axis: 1 }), RangeError,
    'quantize: params.zeroPoint must be an array of the same length as scale (2), got [0]'));
  it('rejects per-axis parameters without an axis', () => bad(() => quantize(x, { scale: [1, 2], zeroPoint: [0, 0] }), RangeError,
    'quantize: params.axis must be given for per-axis parameters (2 scales), got undefined'));
  it('rejects an axis out of range', () => bad(() => quantize(x, { scale: [1, 2], zeroPoint: [0, 0], axis: 5 }), RangeError,
    'quantize: params.axis must be an integer in [-2, 1], got 5'));
  it('rejects an unknown rounding', () => bad(() => quantize(x, { scale: 1, zeroPoint: 0 }, { rounding: 'up' as 'away' }), RangeError,
    "quantize: opts.rounding must be one of 'away', 'even', got \"up\""));
  it('rejects a missing tensor', () => bad(() => quantize(null as unknown as typeof x, { scale: 1, zeroPoint: 0 }), TypeError,
    'quantize: x must be a tensor { shape, data: Float32Array }, got null'));
});

describe('dequantize / requantize', () => {
  it('rejects data of the wrong dtype', () => bad(() => dequantize({ ...q, data: new Uint8Array(4) }), TypeError,
    "dequantize: t.data must be an Int8Array for dtype 'int8', got Uint8Array(4)"));
  it('rejects a data length mismatch', () => bad(() => dequantize({ ...q, data: new Int8Array(3) }), RangeError,
    'dequantize: t.data must be of length 4 for shape [2,2], got Int8Array(3)'));
  it('rejects mismatched axes', () => bad(() => requantize({ ...q, scale: [1, 1], zeroPoint: [0, 0], axis: 0 }, { scale: [1, 1], zeroPoint: [0, 0], axis: 1 }), RangeError,
    "requantize: params.axis must be the input's axis 0 when both are per-axis, got 1"));
  it('rejects an unknown profile', () => bad(() => requantize(q, { scale: 1, zeroPoint: 0 }, { profile: 'tflite' as 'tflite-ref' }), RangeError,
    "requantize: opts.profile must be one of 'tflite-ref', 'tflite-single', 'xnnpack-fp32', got \"tflite\""));
});

describe('quantizeMultiplier / multiplyByQuantizedMultiplier', () => {
  it('rejects a non-finite multiplier', () => bad(() => quantizeMultiplier(Infinity), RangeError, 'quantizeMultiplier: real must be a finite number, got Infinity'));
  it('rejects x outside int32', () => bad(() => multiplyByQuantizedMultiplier(2 ** 31, 1 << 30, 0), RangeError,
    'multiplyByQuantizedMultiplier: x must be an integer in [-2147483648, 2147483647], got 2147483648'));
  it('rejects shifts outside [-31, 30]', () => bad(() => multiplyByQuantizedMultiplier(1, 1 << 30, 31), RangeError,
    'multiplyByQuantizedMultiplier: shift must be an integer in [-31, 30], got 31'));
  it('rejects a huge int64 x', () => bad(() => multiplyByQuantizedMultiplier(1n << 50n, 1 << 30, 0), RangeError,
    'multiplyByQuantizedMultiplier: x must be a bigint with |x| < 2^47, got 1125899906842624n'));
  it('rejects a shift with xnnpack-fp32', () => bad(() => multiplyByQuantizedMultiplier(1, 0.5, 1, 'xnnpack-fp32'), RangeError,
    'multiplyByQuantizedMultiplier: shift must be an integer in [0, 0], got 1'));
});

describe('observers and foldBatchNorm', () => {
  it('rejects quantParams before any data', () => bad(() => new MinMaxObserver().quantParams(), RangeError,
    'MinMaxObserver.quantParams: observer must be fed with observe() first, got "no data"'));
  it('rejects NaN in observed data', () => bad(() => new MinMaxObserver().observe(Float32Array.of(NaN)), RangeError,
    'MinMaxObserver.observe: x.data must be finite (no NaN or infinity), got "NaN at index 0"'));
  it('rejects a momentum outside (0, 1]', () => bad(() => new MovingAverageMinMaxObserver({ momentum: 2 }), RangeError,
    'MovingAverageMinMaxObserver: opts.momentum must be in (0, 1], got 2'));
  it('rejects an unknown histogram method', () => bad(() => new HistogramObserver({ method: 'kl' as 'mse' }), RangeError,
    "HistogramObserver: opts.method must be one of 'percentile', 'mse', got \"kl\""));
  it('rejects batch-norm vectors of the wrong length', () => bad(() => foldBatchNorm({
    weights: x, gamma: new Float32Array(3), beta: new Float32Array(2), mean: new Float32Array(2), variance: new Float32Array(2), epsilon: 1e-3, axis: 0,
  }), RangeError, 'foldBatchNorm: p.gamma must be of length 2 (weights.shape[0] of [2,2]), got Float32Array(3)'));
  it('rejects a negative variance + epsilon', () => bad(() => foldBatchNorm({
    weights: x, gamma: new Float32Array(2), beta: new Float32Array(2), mean: new Float32Array(2), variance: Float32Array.of(1, -1), epsilon: 0, axis: 0,
  }), RangeError, 'foldBatchNorm: p.variance[1] must be such that variance + epsilon > 0, got -1'));
  it('setThreads rejects 0', () => bad(() => setThreads(0), RangeError, 'setThreads: n must be an integer in [1, 1024], got 0'));
});
