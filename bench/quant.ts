// Benchmark cases for the quantization math: quantize / dequantize / requantize of 1M elements,
// per tensor and per axis, on the native kernels and the pure-TypeScript ones.
import { dequantize, quantize, requantize } from '../lib';
import { jsKernels, Kernels, nativeKernels, withKernels } from '../lib/kernels';
import type { BenchCase } from './harness';

const N = 1 << 20;

export function quantCases(): BenchCase[] {
  const data = new Float32Array(N);
  for (let i = 0; i < N; i++) data[i] = Math.sin(i * 0.001) * 3;
  const x = { shape: [N], data };
  const xAxis = { shape: [N / 64, 64], data };
  const perTensor = { scale: 3 / 127, zeroPoint: -1 };
  const perAxis = { scale: Array.from({ length: 64 }, (_, c) => 0.02 + c * 1e-3), zeroPoint: new Array<number>(64).fill(0), axis: 1 };
  const q = quantize(x, perTensor);
  const target = { scale: 0.05, zeroPoint: 3 };
  const contenders: Array<[string, Kernels]> = [];
  if (nativeKernels) contenders.push(['qint8 native', nativeKernels]);
  contenders.push(['qint8 js', jsKernels]);
  const cases: BenchCase[] = [];
  for (const [contender, k] of contenders) {
    const on = (fn: () => unknown) => () => withKernels(k, fn);
    cases.push(
      { name: 'quantize 1M f32 per-tensor', contender, work: N, rateUnit: 'Gelem/s', run: on(() => quantize(x, perTensor)) },
      { name: 'quantize 1M f32 per-axis (64)', contender, work: N, rateUnit: 'Gelem/s', run: on(() => quantize(xAxis, perAxis)) },
      { name: 'dequantize 1M int8', contender, work: N, rateUnit: 'Gelem/s', run: on(() => dequantize(q)) },
      { name: 'requantize 1M int8', contender, work: N, rateUnit: 'Gelem/s', run: on(() => requantize(q, target)) },
    );
  }
  return cases;
}
