// ../shared/golden/quant: TFLite's QuantizeMultiplier and MultiplyByQuantizedMultiplier results, bit-exact
// through the public API on every backend, for the tflite-ref and tflite-single profiles.
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../../lib';
import type { Profile } from '../../lib';
import { BACKENDS, onBackend } from '../helpers/backends';
import { describeGolden } from '../helpers/golden';

interface QmCase { name: string; x: number; multiplier: number; shift: number }
interface MbCase { name: string; x: number | string; multiplier: number; shift: number; expected: number }
interface GoldenFile<T> { cases: T[] }

const sets: Array<[string, Profile]> = [['quant', 'tflite-ref'], ['profiles/tflite-single/quant', 'tflite-single']];

for (const [dir, profile] of sets) {
  for (const [backend, kernels] of BACKENDS) {
    describeGolden(`${dir}/quantize_multiplier.json`, `${profile} QuantizeMultiplier golden (${backend})`, (data) => {
      const { cases } = data as GoldenFile<QmCase>;
      it(`matches all ${cases.length} cases`, () => {
        const got = onBackend(kernels, () => cases.map((c) => quantizeMultiplier(c.x, profile)));
        expect(got).toEqual(cases.map((c) => ({ multiplier: c.multiplier, shift: c.shift })));
      });
    });
    describeGolden(`${dir}/multiply_by_quantized_multiplier.json`, `${profile} MultiplyByQuantizedMultiplier golden (${backend})`, (data) => {
      const { cases } = data as GoldenFile<MbCase>;
      it(`matches all ${cases.length} cases`, () => {
        const got = onBackend(kernels, () => cases.map((c) => multiplyByQuantizedMultiplier(Number(c.x), c.multiplier, c.shift, profile)));
        expect(got).toEqual(cases.map((c) => c.expected));
      });
    });
    describeGolden(`${dir}/multiply_by_quantized_multiplier_int64.json`, `${profile} int64 MultiplyByQuantizedMultiplier golden (${backend})`, (data) => {
      const { cases } = data as GoldenFile<MbCase>;
      it(`matches all ${cases.length} cases`, () => {
        const got = onBackend(kernels, () => cases.map((c) => multiplyByQuantizedMultiplier(BigInt(c.x), c.multiplier, c.shift, profile)));
        expect(got).toEqual(cases.map((c) => c.expected));
      });
    });
  }
}
