// The golden operator cases under every kernel family this CPU runs (forced per environment with setIsa),
// stateless and prepared (the prepared conv / depthwise / FC pack their weights for the SIMD kernels).
import * as q from '../../lib/index';
import { loaded } from '../../lib/binding';
import type { Profile, QTensor } from '../../lib/types';
import { nativeKernels, onBackend } from '../helpers/backends';
import { decodeInt32, decodeInt8, readGolden } from '../helpers/golden';
import { firstDifference, GoldenCase, GoldenFilter, goldenFilter, GoldenOp, GoldenOpFile, goldenCall, goldenTensor } from '../helpers/ops';

const native = loaded.native;
const usable = native ? native.info().usableIsas : [];
const SETS: Array<{ profile: Profile; dir: string }> = [
  { profile: 'tflite-ref', dir: 'ops' },
  { profile: 'tflite-single', dir: 'profiles/tflite-single/ops' },
  { profile: 'xnnpack-fp32', dir: 'profiles/xnnpack-fp32/ops' },
];
const WEIGHTED: GoldenOp[] = ['conv2d', 'depthwise_conv2d', 'fully_connected'];

/** The golden case through the prepared operator of its op. */
function prepared(op: GoldenOp, c: GoldenCase, profile: Profile): QTensor {
  const x = goldenTensor(c.input);
  const input = { scale: x.scale, zeroPoint: x.zeroPoint };
  const output = { scale: c.output.scale, zeroPoint: c.output.zero_point };
  const bias = c.bias ? decodeInt32(c.bias.data_b64) : null;
  const p = c.params;
  const filter = goldenFilter(c.filter as GoldenFilter);
  const activation = p.activation as q.Activation;
  if (op === 'fully_connected') {
    return q.createFullyConnected({ weights: filter, bias, input, output, activation, profile }).run(x);
  }
  const conv = {
    filter, bias, input, output, activation, profile, padding: p.padding as q.Padding,
    strides: [p.stride_h, p.stride_w] as [number, number], dilations: [p.dilation_h, p.dilation_w] as [number, number],
  };
  return op === 'conv2d' ? q.createConv2d(conv).run(x) : q.createDepthwiseConv2d({ ...conv, depthMultiplier: p.depth_multiplier as number }).run(x);
}

const loadedSets = SETS.map((s) => ({ ...s, files: WEIGHTED.map((op) => [op, readGolden<GoldenOpFile>(`${s.dir}/${op}.json`)] as const) }));
const anyGolden = loadedSets.some((s) => s.files.some(([, f]) => f !== null));

(native && nativeKernels && anyGolden ? describe : describe.skip)(`golden conv / depthwise / FC under every ISA${anyGolden ? '' : ' (skipped: no ../shared/golden)'}`, () => {
  afterAll(() => native!.setIsa(usable[usable.length - 1]));
  for (const isa of usable) {
    it(`${isa}: every case, stateless and prepared, 1 and 2 threads`, () => {
      native!.setIsa(isa);
      let checked = 0;
      for (const set of loadedSets) {
        for (const [op, file] of set.files) {
          if (file === null) continue;
          for (const c of file.cases) {
            const expected = decodeInt8(c.output.data_b64);
            for (const threads of [1, 2]) {
              q.setThreads(threads);
              const stateless = onBackend(nativeKernels!, () => goldenCall(op, c, set.profile, false)) as QTensor;
              expect([set.profile, op, c.name, firstDifference(stateless.data, expected)]).toEqual([set.profile, op, c.name, null]);
              const viaPrepared = onBackend(nativeKernels!, () => prepared(op, c, set.profile));
              expect([set.profile, op, c.name, 'prepared', firstDifference(viaPrepared.data, expected)]).toEqual([set.profile, op, c.name, 'prepared', null]);
              checked++;
            }
          }
        }
      }
      expect(checked).toBeGreaterThan(0);
      q.setThreads(64);
    });
  }
});
