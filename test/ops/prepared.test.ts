// Prepared operators: run equals the stateless operator (QTensor or raw-code input, own or caller-owned output),
// runAsync equals run, multipliers are derived once at creation, weights are copied, dispose is final.
import * as q from '../../lib/index';
import { jsKernels, Kernels, withKernels } from '../../lib/kernels';
import type { QTensor } from '../../lib/types';
import { onBackend } from '../helpers/backends';
import { describeOpBackends, expectRejects, expectThrows, firstDifference, Gen } from '../helpers/ops';

const g = new Gen(2025);
const input: QTensor = { dtype: 'int8', shape: [2, 9, 7, 6], data: g.int8(2 * 9 * 7 * 6), scale: 0.04, zeroPoint: 5 };
const inputParams = { scale: 0.04, zeroPoint: 5 };
const convFilter: QTensor = {
  dtype: 'int8', shape: [4, 3, 3, 3], data: g.int8(4 * 27, -127, 127), scale: g.scales(4, 0.002, 0.02), zeroPoint: [0, 0, 0, 0], axis: 0,
};
const convBias = g.int32(4, -5000, 5000);
const output = { scale: 0.06, zeroPoint: -7 };
const convOpts = { strides: [2, 1] as [number, number], dilations: [1, 2] as [number, number], padding: 'SAME' as const, activation: 'RELU' as const };
const dwFilter: QTensor = { dtype: 'int8', shape: [1, 2, 3, 12], data: g.int8(72, -127, 127), scale: 0.01, zeroPoint: 0 };
const dwBias = g.int32(12, -5000, 5000);
const fcWeights: QTensor = {
  dtype: 'int8', shape: [5, 42], data: g.int8(210, -127, 127), scale: g.scales(5, 0.001, 0.01), zeroPoint: [0, 0, 0, 0, 0], axis: 0,
};
const fcBias = g.int32(5, -5000, 5000);
const fcInput: QTensor = { ...input, shape: [18, 42] };

function same(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(firstDifference(actual, expected)).toBeNull();
}

describeOpBackends('prepared operators equal the stateless ones', (_name, k) => {
  // Each test calls every kernel synchronously inside onBackend (a …Async call starts there too) and awaits after.
  it('createConv2d: run on a QTensor, on raw codes, into a caller-owned array, and runAsync', async () => {
    const { expected, pending } = onBackend(k, () => {
      const expected = q.conv2d(input, convFilter, convBias, output, { ...convOpts, profile: 'tflite-single' });
      const op = q.createConv2d({ filter: convFilter, bias: convBias, input: inputParams, output, ...convOpts, profile: 'tflite-single' });
      const fromTensor = op.run(input);
      same(fromTensor.data, expected.data);
      expect(fromTensor.shape).toEqual(expected.shape);
      expect([fromTensor.scale, fromTensor.zeroPoint, fromTensor.dtype]).toEqual([expected.scale, expected.zeroPoint, 'int8']);
      same(op.run(input.data as Int8Array, input.shape).data, expected.data);
      const out = new Int8Array(expected.data.length);
      const intoOut = op.run(input, undefined, out);
      expect(intoOut.data).toBe(out);
      same(out, expected.data);
      return { expected, pending: op.runAsync(input) };
    });
    same((await pending).data, expected.data);
  });

  it('createDepthwiseConv2d', async () => {
    const { expected, pending } = onBackend(k, () => {
      const opts = { padding: 'VALID' as const, depthMultiplier: 2, profile: 'xnnpack-fp32' as const, activation: 'RELU6' as const };
      const expected = q.depthwiseConv2d(input, dwFilter, dwBias, output, opts);
      const op = q.createDepthwiseConv2d({ filter: dwFilter, bias: dwBias, input: inputParams, output, ...opts });
      same(op.run(input).data, expected.data);
      return { expected, pending: op.runAsync(input.data as Int8Array, input.shape) };
    });
    same((await pending).data, expected.data);
  });

  it('createFullyConnected: raw codes without a shape are read as [length/K, K]', async () => {
    const { expected, pending } = onBackend(k, () => {
      const expected = q.fullyConnected(fcInput, fcWeights, fcBias, output, { activation: 'RELU_N1_TO_1' });
      const op = q.createFullyConnected({ weights: fcWeights, bias: fcBias, input: inputParams, output, activation: 'RELU_N1_TO_1' });
      const fromRaw = op.run(fcInput.data as Int8Array);
      same(fromRaw.data, expected.data);
      expect(fromRaw.shape).toEqual([18, 5]);
      same(op.run(input).data, expected.data); // any rank: [2,9,7,6] has 756 = 18 * 42 elements
      return { expected, pending: op.runAsync(fcInput) };
    });
    same((await pending).data, expected.data);
  });

  it('createFullyConnected with output null returns the raw accumulators', async () => {
    const { expected, pending } = onBackend(k, () => {
      const expected = q.fullyConnected(fcInput, fcWeights, fcBias, null);
      const op = q.createFullyConnected({ weights: fcWeights, bias: fcBias, input: inputParams, output: null });
      same(op.run(fcInput), expected);
      const out = new Int32Array(90);
      expect(op.run(fcInput, undefined, out)).toBe(out);
      same(out, expected);
      return { expected, pending: op.runAsync(fcInput) };
    });
    same(await pending, expected);
  });

  it('uint8 legacy weights', () => {
    onBackend(k, () => {
      const x: QTensor = { dtype: 'uint8', shape: [1, 6, 6, 2], data: g.uint8(72), scale: 0.02, zeroPoint: 128 };
      const filter: QTensor = { dtype: 'uint8', shape: [3, 2, 2, 2], data: g.uint8(24), scale: 0.005, zeroPoint: 120 };
      const out = { scale: 0.03, zeroPoint: 130 };
      const expected = q.conv2d(x, filter, null, out, { padding: 'SAME' });
      const op = q.createConv2d({ filter, bias: null, input: { scale: 0.02, zeroPoint: 128 }, output: out, padding: 'SAME' });
      const result = op.run(x.data as Uint8Array, x.shape);
      expect(result.data).toBeInstanceOf(Uint8Array);
      same(result.data, expected.data);
    });
  });
});

describe('prepared operator life cycle', () => {
  it('derives the multipliers once, at creation', () => {
    const counted = { ...jsKernels, quantizeMultiplier: jest.fn(jsKernels.quantizeMultiplier) };
    withKernels(counted as Kernels, () => {
      const op = q.createConv2d({ filter: convFilter, bias: convBias, input: inputParams, output, ...convOpts });
      expect(counted.quantizeMultiplier).toHaveBeenCalledTimes(4);
      op.run(input);
      op.run(input);
      expect(counted.quantizeMultiplier).toHaveBeenCalledTimes(4);
    });
  });

  it('copies the weights: later changes to the caller arrays do not reach the operator', () => {
    const filter = { ...convFilter, data: (convFilter.data as Int8Array).slice() };
    const bias = convBias.slice();
    const op = q.createConv2d({ filter, bias, input: inputParams, output, ...convOpts });
    const before = op.run(input).data.slice();
    filter.data.fill(1);
    bias.fill(0);
    same(op.run(input).data, before);
  });

  it('a disposed operator throws (run) and rejects (runAsync)', async () => {
    const op = q.createFullyConnected({ weights: fcWeights, bias: null, input: inputParams, output });
    op.dispose();
    expectThrows(() => op.run(fcInput), Error, 'fullyConnected.run: the prepared operator was disposed');
    await expectRejects(op.runAsync(fcInput), Error, 'fullyConnected.runAsync: the prepared operator was disposed');
  });

  it('a failed run leaves the caller-owned output untouched', () => {
    const op = q.createConv2d({ filter: convFilter, bias: convBias, input: inputParams, output, ...convOpts });
    const out = new Int8Array(2 * 5 * 7 * 4).fill(9);
    expectThrows(() => op.run({ ...input, scale: 0.05 }, undefined, out), RangeError,
      `conv2d.run: x.scale must be ${Math.fround(0.04)} (the prepared input scale), got ${Math.fround(0.05)}`);
    expect(out.every((v) => v === 9)).toBe(true);
  });

  it('reads each field of the weights tensor once (a getter that changes its answer cannot slip past the checks)', () => {
    const counted = (t: QTensor): { tensor: QTensor; reads: () => number } => {
      let reads = 0;
      const copy = { ...t };
      Object.defineProperty(copy, 'scale', { get() { reads++; return t.scale; }, enumerable: true, configurable: true });
      return { tensor: copy, reads: () => reads };
    };
    const conv = counted(convFilter);
    q.createConv2d({ filter: conv.tensor, bias: convBias, input: inputParams, output, ...convOpts }).dispose();
    expect(conv.reads()).toBe(1);
    const fc = counted(fcWeights);
    q.createFullyConnected({ weights: fc.tensor, bias: null, input: inputParams, output }).dispose();
    expect(fc.reads()).toBe(1);
  });
});
