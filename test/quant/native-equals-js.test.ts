// The native quantize / dequantize / requantize loops equal the TypeScript ones bit for bit over random
// tensors, per tensor and per axis, both dtypes, both roundings, every profile.
import fc from 'fast-check';
import { dequantize, quantize, requantize } from '../../lib';
import type { QDType, Profile } from '../../lib';
import { jsKernels, nativeKernels, onBackend } from '../helpers/backends';

const shapeAndAxis = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
  fc.tuple(fc.constant(shape), fc.integer({ min: -1, max: shape.length - 1 })));
const floatValue = fc.oneof(fc.float({ noDefaultInfinity: false }), fc.float({ min: -200, max: 200, noNaN: true }),
  fc.integer({ min: -400, max: 400 }).map((i) => i / 4)); // many exact ties

(nativeKernels ? describe : describe.skip)('native equals TypeScript', () => {
  const native = nativeKernels!;
  it('quantize, dequantize, requantize', () => {
    fc.assert(fc.property(shapeAndAxis, fc.constantFrom<QDType>('int8', 'uint8'), fc.constantFrom<'away' | 'even'>('away', 'even'),
      fc.constantFrom<Profile>('tflite-ref', 'tflite-single', 'xnnpack-fp32'), fc.integer(), ([shape, axis], dtype, rounding, profile, seed) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const data = new Float32Array(fc.sample(floatValue, { numRuns: n, seed }));
        const channels = axis < 0 ? 1 : shape[axis];
        const lo = dtype === 'int8' ? -128 : 0;
        const scale = Array.from({ length: channels }, (_, c) => 0.05 + ((seed >>> c) & 7) * 0.125);
        const zeroPoint = Array.from({ length: channels }, (_, c) => lo + ((seed >>> (c + 3)) & 255));
        const params = axis < 0 ? { scale: scale[0], zeroPoint: zeroPoint[0] } : { scale, zeroPoint, axis };
        const x = { shape, data };
        const both = <T>(fn: () => T): [T, T] => [onBackend(native, fn), onBackend(jsKernels, fn)];
        const [qn, qj] = both(() => quantize(x, params, { dtype, rounding }));
        expect(qn).toEqual(qj);
        const [dn, dj] = both(() => dequantize(qn));
        expect(dn).toEqual(dj);
        const target = { scale: 0.3, zeroPoint: dtype === 'int8' ? 133 : 5 }; // the other dtype's range
        const [rn, rj] = both(() => requantize(qn, target, { dtype: dtype === 'int8' ? 'uint8' : 'int8', profile }));
        expect(rn).toEqual(rj);
      }), { numRuns: 300 });
  });
});
