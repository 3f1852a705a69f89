// Every worked example of the quantization-semantics spec (sections 2, 3, 4, 5.4, 7), on every backend.
import {
  chooseQuantParams, choosePerAxisQuantParams, dequantize, multiplyByQuantizedMultiplier, quantize, quantizeMultiplier, requantize,
} from '../../lib';
import { BACKENDS, onBackend } from '../helpers/backends';

const f32 = Math.fround;

for (const [name, kernels] of BACKENDS) {
  const on = <T>(fn: () => T): T => onBackend(kernels, fn);

  describe(`spec examples (${name})`, () => {
    it('2.1: activation ranges from calibration', () => {
      on(() => {
        expect(chooseQuantParams(-0.3, 1.7)).toEqual({ scale: f32(2 / 255), zeroPoint: -90 });
        expect(chooseQuantParams(-1.0, 2.0)).toEqual({ scale: f32(3 / 255), zeroPoint: -43 });
        expect(chooseQuantParams(0.5, 2.0)).toEqual({ scale: f32(2 / 255), zeroPoint: -128 });
        expect(chooseQuantParams(0, 6.0)).toEqual({ scale: f32(6 / 255), zeroPoint: -128 });
        const zero = chooseQuantParams(0, 0);
        expect(zero.scale).toBe(f32(2e-6 / 255));
        expect(Object.is(zero.zeroPoint, 0)).toBe(true);
        expect(chooseQuantParams(-2, -1)).toEqual({ scale: f32(2 / 255), zeroPoint: 127 }); // max raised to 0
        expect(chooseQuantParams(-0.3, 1.7, { dtype: 'uint8' })).toEqual({ scale: f32(2 / 255), zeroPoint: 38 });
      });
    });

    it('2.2: symmetric narrow range for weights, all-zero slices widened', () => {
      on(() => {
        expect(chooseQuantParams(-0.5, 1.27, { symmetric: true })).toEqual({ scale: f32(1.27 / 127), zeroPoint: 0 });
        expect(chooseQuantParams(0, 0, { symmetric: true })).toEqual({ scale: f32(5e-7 / 127), zeroPoint: 0 });
        const w = { shape: [2, 3], data: Float32Array.of(0.5, -1.27, 0.1, 0, 0, 0) };
        const p = choosePerAxisQuantParams(w, 0);
        expect(Array.from(p.scale)).toEqual([f32(1.27 / 127), f32(5e-7 / 127)]);
        expect(Array.from(p.zeroPoint)).toEqual([0, 0]);
        const q = quantize(w, p);
        expect(Array.from(q.data)).toEqual([50, -127, 10, 0, 0, 0]);
      });
    });

    it('3: QuantizeMultiplier table', () => {
      on(() => {
        expect(quantizeMultiplier(0.002)).toEqual({ multiplier: 1099511628, shift: -8 });
        const d = (f32(0.02) * f32(0.005)) / f32(0.05);
        expect(quantizeMultiplier(d)).toEqual({ multiplier: 1099511562, shift: -8 });
        expect(quantizeMultiplier(1 - 2 ** -40)).toEqual({ multiplier: 2 ** 30, shift: 1 });
        expect(quantizeMultiplier(3.0)).toEqual({ multiplier: 1610612736, shift: 2 });
        expect(quantizeMultiplier(2 ** -33)).toEqual({ multiplier: 0, shift: 0 });
        expect(quantizeMultiplier(2 ** -32)).toEqual({ multiplier: 2 ** 30, shift: -31 });
        expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
        expect(quantizeMultiplier(1e10, 'tflite-single')).toEqual({ multiplier: 2147483647, shift: 30 });
        expect(quantizeMultiplier(1e10)).toEqual({ multiplier: 1250000000, shift: 34 });
        expect(quantizeMultiplier(5e-324)).toEqual({ multiplier: 0, shift: 0 }); // subnormal
        expect(quantizeMultiplier(0.1, 'xnnpack-fp32')).toEqual({ multiplier: f32(0.1), shift: 0 });
      });
    });

    it('5.4: the fully-connected worked example gives 15', () => {
      on(() => {
        const { multiplier, shift } = quantizeMultiplier((f32(0.02) * f32(0.005)) / f32(0.05));
        expect(multiplyByQuantizedMultiplier(5140, multiplier, shift) + 5).toBe(15);
      });
    });

    it('7: QUANTIZE rounds half away from zero by default, half to even on request', () => {
      on(() => {
        const x = { shape: [4], data: Float32Array.of(0.25, -0.25, 0.75, -0.75) };
        expect(Array.from(quantize(x, { scale: 0.5, zeroPoint: 0 }).data)).toEqual([1, -1, 2, -2]);
        expect(Array.from(quantize(x, { scale: 0.5, zeroPoint: 0 }, { rounding: 'even' }).data)).toEqual([0, 0, 2, -2]);
      });
    });

    it('7: NaN becomes the zero point and is counted; +-Inf and huge values saturate', () => {
      on(() => {
        const x = { shape: [5], data: Float32Array.of(NaN, Infinity, -Infinity, 3e38, -3e38) };
        const q = quantize(x, { scale: 0.1, zeroPoint: -7 });
        expect(Array.from(q.data)).toEqual([-7, 127, -128, 127, -128]);
        expect(q.nanCount).toBe(1);
        const u = quantize(x, { scale: 0.1, zeroPoint: 9 }, { dtype: 'uint8' });
        expect(u.data).toBeInstanceOf(Uint8Array);
        expect(Array.from(u.data)).toEqual([9, 255, 0, 255, 0]);
      });
    });

    it('7: DEQUANTIZE is f32(scale * (q - z)), exact to one rounding', () => {
      on(() => {
        const q = { dtype: 'int8' as const, shape: [256], data: Int8Array.from({ length: 256 }, (_, i) => i - 128), scale: 0.1, zeroPoint: 3 };
        const f = dequantize(q);
        for (let i = 0; i < 256; i++) expect(f.data[i]).toBe(f32(f32(0.1) * (i - 128 - 3)));
      });
    });

    it('7: requantize int8 -> uint8 with equal scales is q XOR 0x80', () => {
      on(() => {
        const q = { dtype: 'int8' as const, shape: [256], data: Int8Array.from({ length: 256 }, (_, i) => i - 128), scale: 0.05, zeroPoint: -3 };
        const u = requantize(q, { scale: 0.05, zeroPoint: 125 }, { dtype: 'uint8' });
        expect(u.dtype).toBe('uint8');
        expect(Array.from(u.data)).toEqual(Array.from(q.data, (v) => (v & 0xff) ^ 0x80));
      });
    });

    it('7: requantize follows MBQM of the scale ratio, per axis too', () => {
      on(() => {
        const q = { dtype: 'int8' as const, shape: [2, 2], data: Int8Array.of(10, -10, 100, -100), scale: [0.1, 0.2], zeroPoint: [0, 1], axis: 1 };
        const r = requantize(q, { scale: 0.4, zeroPoint: 2 });
        // column 0: (q - 0) * 0.25 + 2; column 1: (q - 1) * 0.5 + 2, rounded as MBQM (double rounding)
        const m0 = quantizeMultiplier(f32(0.1) / f32(0.4));
        const m1 = quantizeMultiplier(f32(0.2) / f32(0.4));
        const expected = [
          multiplyByQuantizedMultiplier(10, m0.multiplier, m0.shift) + 2, multiplyByQuantizedMultiplier(-11, m1.multiplier, m1.shift) + 2,
          multiplyByQuantizedMultiplier(100, m0.multiplier, m0.shift) + 2, multiplyByQuantizedMultiplier(-101, m1.multiplier, m1.shift) + 2,
        ];
        expect(Array.from(r.data)).toEqual(expected);
        expect(r).toMatchObject({ scale: f32(0.4), zeroPoint: 2 });
      });
    });
  });
}
