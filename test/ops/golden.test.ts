// Every golden operator case (shared/golden/ops for tflite-ref, profiles/*/ops for the others) through the
// public API on every backend: every output equal to the golden one, byte for byte.
import type { Kernels } from '../../lib/kernels';
import { planConv } from '../../lib/ops/conv';
import { planFc } from '../../lib/ops/fully-connected';
import type { Requantization } from '../../lib/ops/common';
import type { Profile, QTensor } from '../../lib/types';
import { onBackend } from '../helpers/backends';
import { decodeInt8, describeGolden } from '../helpers/golden';
import {
  describeOpBackends, firstDifference, GOLDEN_OPS, GoldenCase, GoldenFilter, goldenFilter, GoldenOp, GoldenOpFile, goldenCall,
} from '../helpers/ops';

interface Derived {
  output_multiplier?: number[];
  output_shift?: number[];
  fp32_scale?: number[];
}

/** The requantization lib/ops derives for a golden conv / depthwise / FC case, with kernels k. */
function derive(op: GoldenOp, c: GoldenCase, profile: Profile, k: Kernels): Requantization {
  const input = { scale: Math.fround(c.input.scale), zeroPoint: c.input.zero_point };
  const output = { scale: c.output.scale, zeroPoint: c.output.zero_point };
  const filter = goldenFilter(c.filter as GoldenFilter);
  const names = { fn: 'test', filter: 'filter', weights: 'weights', bias: 'bias', output: 'output', option: 'opts.' };
  if (op === 'fully_connected') return planFc(names, k, 'int8', input, filter, null, output, { profile }).requant;
  return planConv(names, op === 'depthwise_conv2d', k, 'int8', input, filter, null, output, { profile }).requant;
}

const SETS: Array<{ profile: Profile; dir: string; ops: readonly GoldenOp[] }> = [
  { profile: 'tflite-ref', dir: 'ops', ops: GOLDEN_OPS },
  { profile: 'tflite-single', dir: 'profiles/tflite-single/ops', ops: ['conv2d', 'depthwise_conv2d', 'fully_connected'] },
  { profile: 'xnnpack-fp32', dir: 'profiles/xnnpack-fp32/ops', ops: ['conv2d', 'depthwise_conv2d', 'fully_connected'] },
];

for (const set of SETS) {
  for (const op of set.ops) {
    const file = `${set.dir}/${op}.json`;
    describeGolden(file, `golden ${set.profile} ${op}`, (data) => {
      const cases = (data as GoldenOpFile).cases;
      it('has cases', () => expect(cases.length).toBeGreaterThan(0));
      describeOpBackends(op, (_name, k) => {
        for (const c of cases) {
          it(c.name, () => {
            const result = onBackend(k, () => goldenCall(op, c, set.profile, false)) as QTensor;
            expect(result.shape).toEqual(c.output.shape);
            expect(result.scale).toBe(c.output.scale);
            expect(result.zeroPoint).toBe(c.output.zero_point);
            expect(firstDifference(result.data, decodeInt8(c.output.data_b64))).toBeNull();
          });
          const derived = (c as GoldenCase & { derived?: Derived }).derived;
          if (derived === undefined || !['conv2d', 'depthwise_conv2d', 'fully_connected'].includes(op)) continue;
          it(`${c.name}: multipliers as TFLite derived them`, () => {
            const r = derive(op, c, set.profile, k);
            const at = (a: ArrayLike<number>, i: number): number => a[r.perChannel ? i : 0];
            const channels = (derived.fp32_scale ?? derived.output_multiplier ?? []).length;
            const mine = Array.from({ length: channels }, (_, i) =>
              set.profile === 'xnnpack-fp32' ? [at(r.scale, i)] : [at(r.multiplier, i), at(r.shift, i)]);
            const theirs = Array.from({ length: channels }, (_, i) =>
              set.profile === 'xnnpack-fp32' ? [(derived.fp32_scale as number[])[i]]
                : [(derived.output_multiplier as number[])[i], (derived.output_shift as number[])[i]]);
            expect(mine).toEqual(theirs);
          });
        }
      });
    });
  }
}
