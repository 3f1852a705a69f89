// float ops on dequantized int8 tensors approximate the integer results: a conv2d computed here from the
// integer definition (spec 5.2, tflite-ref requantization), and every TFLite golden op case when the shared
// golden data is present. The tolerances are declared once, in TOLERANCE_LSB below.
import { float, quantizationError } from '../../lib/float';
import { dequantize, quantize } from '../../lib/quant/quantize';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../../lib/quant/multiplier';
import { activationRange } from '../../lib/ops/padding';
import type { Activation, FTensor, Padding, QTensor } from '../../lib/types';
import { decodeInt32, decodeInt8, describeGolden } from '../helpers/golden';
import { rng } from './helpers';

/**
 * Largest |integer code - code of the quantized float result| accepted, in output LSBs. 1 everywhere: the float
 * result rounded to the output grid can land on the other side of a rounding boundary from TFLite's fixed-point
 * requantization (double rounding, Q31 multipliers, ADD's 2^20 pre-scaling, gemmlowp exp in SOFTMAX).
 */
const TOLERANCE_LSB = { conv: 1, depthwise: 1, fullyConnected: 1, maxPool: 0, averagePool: 1, add: 1, softmax: 1 } as const;

/** Codes of a float result on an int8 output grid (TFLite QUANTIZE rounding), then the fused activation clamp. */
function codes(y: FTensor, scale: number, zeroPoint: number, activation: Activation): Int8Array {
  const q = quantize(y, { scale, zeroPoint }).data as Int8Array;
  const [lo, hi] = activationRange(activation, scale, zeroPoint, -128, 127);
  return q.map((v) => Math.min(hi, Math.max(lo, v)));
}

function maxCodeDiff(a: Int8Array, b: Int8Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('float.conv2d on dequantized int8 approximates the integer conv (computed here)', () => {
  const cases: Array<{ padding: Padding; activation: Activation; strides: [number, number]; dilations: [number, number] }> = [
    { padding: 'SAME', activation: 'NONE', strides: [2, 1], dilations: [1, 2] },
    { padding: 'VALID', activation: 'RELU6', strides: [1, 2], dilations: [1, 1] },
    { padding: 'SAME', activation: 'RELU', strides: [1, 1], dilations: [2, 1] },
  ];
  it.each(cases)('%j', ({ padding, activation, strides, dilations }) => {
    const next = rng(2024);
    const int8 = (n: number, lo: number, hi: number): Int8Array => Int8Array.from({ length: n }, () => lo + Math.floor(next() * (hi - lo + 1)));
    const [N, H, W, C, cout, kh, kw, groups] = [2, 6, 7, 4, 6, 3, 3, 2];
    const cf = C / groups;
    const sIn = Math.fround(0.05);
    const zIn = -3;
    const sW = Float32Array.from({ length: cout }, (_, c) => 0.002 * (c + 1));
    const sOut = Math.fround(0.25);
    const zOut = 7;
    const xq: QTensor = { dtype: 'int8', shape: [N, H, W, C], data: int8(N * H * W * C, -128, 127), scale: sIn, zeroPoint: zIn };
    const wq: QTensor = { dtype: 'int8', shape: [cout, kh, kw, cf], data: int8(cout * kh * kw * cf, -127, 127), scale: sW, zeroPoint: new Int32Array(cout), axis: 0 };
    const bias = Int32Array.from({ length: cout }, () => Math.floor(next() * 4001) - 2000);

    // The integer conv, spec 5.2.
    const eh = (kh - 1) * dilations[0] + 1;
    const ew = (kw - 1) * dilations[1] + 1;
    const OH = padding === 'SAME' ? Math.ceil(H / strides[0]) : Math.trunc((H - eh + strides[0]) / strides[0]);
    const OW = padding === 'SAME' ? Math.ceil(W / strides[1]) : Math.trunc((W - ew + strides[1]) / strides[1]);
    const padT = Math.floor(Math.max(0, (OH - 1) * strides[0] + eh - H) / 2);
    const padL = Math.floor(Math.max(0, (OW - 1) * strides[1] + ew - W) / 2);
    const mult = Array.from(sW, (s) => quantizeMultiplier((sIn * s) / sOut));
    const [actLo, actHi] = activationRange(activation, sOut, zOut, -128, 127);
    const expected = new Int8Array(N * OH * OW * cout);
    let p = 0;
    let saturated = 0;
    for (let n = 0; n < N; n++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let oc = 0; oc < cout; oc++) {
      const g = Math.floor(oc / (cout / groups));
      let acc = 0;
      for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
        const iy = oy * strides[0] - padT + ky * dilations[0];
        const ix = ox * strides[1] - padL + kx * dilations[1];
        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
        for (let ic = 0; ic < cf; ic++) {
          acc += wq.data[((oc * kh + ky) * kw + kx) * cf + ic] * (xq.data[((n * H + iy) * W + ix) * C + g * cf + ic] - zIn);
        }
      }
      acc += bias[oc];
      const raw = multiplyByQuantizedMultiplier(acc, mult[oc].multiplier, mult[oc].shift, 'tflite-ref') + zOut;
      if (raw < -128 || raw > 127) saturated++;
      expected[p++] = Math.min(actHi, Math.max(actLo, raw));
    }
    expect(saturated).toBe(0); // the comparison below is then about rounding only

    // The float path: dequantized input and weights, bias scaled by s_in * s_w[c].
    const bf = Float32Array.from(bias, (b, c) => b * sIn * sW[c]);
    const y = float.conv2d(dequantize(xq), dequantize(wq), bf, { padding, activation, strides, dilations });
    expect(y.shape).toEqual([N, OH, OW, cout]);
    expect(maxCodeDiff(codes(y, sOut, zOut, activation), expected)).toBeLessThanOrEqual(TOLERANCE_LSB.conv);
    const err = quantizationError(y, { dtype: 'int8', shape: y.shape, data: expected, scale: sOut, zeroPoint: zOut });
    expect(err.maxAbsError).toBeLessThanOrEqual(0.51 * sOut); // rounding to the output grid, plus double rounding's excess
    expect(err.sqnr).toBeGreaterThan(30);
  });
});

// ---- TFLite golden cases (../shared/golden/ops), when present ----

interface GoldenTensor { dtype: 'int8'; shape: number[]; scale?: number; zero_point?: number; scales?: number[]; zero_points?: number[]; quantized_dimension?: number; data_b64: string }
interface GoldenCase {
  name: string;
  input: GoldenTensor;
  input2?: GoldenTensor;
  filter?: GoldenTensor;
  bias?: { data_b64: string } | null;
  params: Record<string, number | string>;
  output: GoldenTensor;
}
interface GoldenFile { cases: GoldenCase[] }

function qtensor(t: GoldenTensor): QTensor {
  const data = decodeInt8(t.data_b64);
  if (t.scales !== undefined) {
    const perTensor = t.scales.length === 1;
    return { dtype: 'int8', shape: t.shape, data, scale: perTensor ? t.scales[0] : t.scales, zeroPoint: perTensor ? t.zero_points![0] : t.zero_points!, ...(perTensor ? {} : { axis: t.quantized_dimension }) };
  }
  return { dtype: 'int8', shape: t.shape, data, scale: t.scale!, zeroPoint: t.zero_point! };
}

/** The float bias of a conv/FC case: q_b[c] * s_in * s_w[c]. */
function floatBias(c: GoldenCase): Float32Array | null {
  if (!c.bias) return null;
  const b = decodeInt32(c.bias.data_b64);
  const sw = c.filter!.scales!;
  return Float32Array.from(b, (v, i) => v * c.input.scale! * sw[sw.length === 1 ? 0 : i]);
}

type Op = keyof typeof TOLERANCE_LSB;
function runFloat(op: Op, c: GoldenCase): FTensor {
  const x = dequantize(qtensor(c.input));
  const p = c.params;
  const activation = p.activation as Activation;
  const window = { strides: [p.stride_h, p.stride_w] as [number, number], padding: p.padding as Padding, activation };
  switch (op) {
    case 'conv':
      return float.conv2d(x, dequantize(qtensor(c.filter!)), floatBias(c), { ...window, dilations: [p.dilation_h as number, p.dilation_w as number] });
    case 'depthwise':
      return float.depthwiseConv2d(x, dequantize(qtensor(c.filter!)), floatBias(c),
        { ...window, dilations: [p.dilation_h as number, p.dilation_w as number], depthMultiplier: p.depth_multiplier as number });
    case 'fullyConnected':
      return float.fullyConnected(x, dequantize(qtensor(c.filter!)), floatBias(c), { activation });
    case 'maxPool':
      return float.maxPool2d(x, { ...window, filter: [p.filter_h as number, p.filter_w as number] });
    case 'averagePool':
      return float.averagePool2d(x, { ...window, filter: [p.filter_h as number, p.filter_w as number] });
    case 'add':
      return float.add(x, dequantize(qtensor(c.input2!)), { activation });
    case 'softmax':
      return float.softmax(x, { beta: p.beta as number });
  }
}

const GOLDEN: Array<[string, Op]> = [
  ['ops/conv2d.json', 'conv'], ['ops/depthwise_conv2d.json', 'depthwise'], ['ops/fully_connected.json', 'fullyConnected'],
  ['ops/max_pool2d.json', 'maxPool'], ['ops/average_pool2d.json', 'averagePool'], ['ops/add.json', 'add'], ['ops/softmax.json', 'softmax'],
];
for (const [file, op] of GOLDEN) {
  describeGolden(file, `float ops vs TFLite int8 golden: ${file}`, (data) => {
    const { cases } = data as GoldenFile;
    it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const y = runFloat(op, c);
      expect(y.shape).toEqual(c.output.shape);
      const got = codes(y, c.output.scale!, c.output.zero_point!, (c.params.activation ?? 'NONE') as Activation);
      expect(maxCodeDiff(got, decodeInt8(c.output.data_b64))).toBeLessThanOrEqual(TOLERANCE_LSB[op]);
    });
  });
}
