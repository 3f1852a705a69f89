// The …Async operators: equal to the synchronous ones on every backend, reject (never throw) on bad input,
// and use the kernels that were active when they were called.
import * as q from '../../lib/index';
import { jsKernels, Kernels, withKernels } from '../../lib/kernels';
import type { QTensor } from '../../lib/types';
import { onBackend } from '../helpers/backends';
import { describeOpBackends, expectRejects, firstDifference, OP_KERNELS, resultData, sampleCases } from '../helpers/ops';

describeOpBackends('async equals sync', (_name, k) => {
  for (const c of sampleCases()) {
    it(c.name, async () => {
      const sync = onBackend(k, c.sync);
      const pending = onBackend(k, c.async);
      const result = await pending;
      expect(firstDifference(resultData(result), resultData(sync))).toBeNull();
      if (!(result instanceof Int32Array) && !(sync instanceof Int32Array)) {
        expect(result.shape).toEqual(sync.shape);
        expect([result.dtype, result.scale, result.zeroPoint]).toEqual([sync.dtype, sync.scale, sync.zeroPoint]);
      }
    });
  }
});

describe('async operators reject on bad input instead of throwing', () => {
  const bad = { dtype: 'int8', shape: [1, 2], data: new Int8Array(3), scale: 1, zeroPoint: 0 } as QTensor;
  const calls: Array<[string, string, () => Promise<unknown>]> = [
    ['conv2dAsync', 'input', () => q.conv2dAsync(bad, bad, null, { scale: 1, zeroPoint: 0 })],
    ['depthwiseConv2dAsync', 'input', () => q.depthwiseConv2dAsync(bad, bad, null, { scale: 1, zeroPoint: 0 })],
    ['fullyConnectedAsync', 'input', () => q.fullyConnectedAsync(bad, bad, null, { scale: 1, zeroPoint: 0 })],
    ['maxPool2dAsync', 'input', () => q.maxPool2dAsync(bad, { filter: [1, 1] })],
    ['averagePool2dAsync', 'input', () => q.averagePool2dAsync(bad, { filter: [1, 1] })],
    ['addAsync', 'a', () => q.addAsync(bad, bad, { scale: 1, zeroPoint: 0 })],
    ['softmaxAsync', 'input', () => q.softmaxAsync(bad)],
  ];
  for (const [name, arg, call] of calls) {
    it(name, async () => {
      let pending: Promise<unknown> = Promise.resolve();
      expect(() => {
        pending = call();
      }).not.toThrow();
      await expectRejects(pending, RangeError, `${name}: ${arg}.data must be of length 2 for shape [1,2], got Int8Array(3)`);
    });
  }
});

describe('async operators capture the kernels active at call time', () => {
  for (const c of sampleCases(7)) {
    it(c.name, async () => {
      const spies: Record<string, jest.Mock> = {};
      const table: Record<string, unknown> = { ...jsKernels };
      for (const name of OP_KERNELS) {
        const original = (jsKernels as unknown as Record<string, (...args: unknown[]) => unknown>)[name];
        spies[name] = jest.fn((...args: unknown[]) => original(...args));
        table[name] = spies[name];
      }
      const pending = withKernels(table as unknown as Kernels, c.async);
      // the spy table is no longer active here; the call must still go to it
      await pending;
      const used = Object.entries(spies).filter(([, spy]) => spy.mock.calls.length > 0).map(([name]) => name);
      expect(used).toHaveLength(1);
      expect(used[0].endsWith('Async')).toBe(true);
    });
  }
});
