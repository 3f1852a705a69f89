// Small .tflite models built in the test, run through loadTflite on every backend and compared with qint8's
// public operators (conv, depthwise, FC, pools, ADD, SOFTMAX, quantize/requantize/dequantize) and with naive
// references of the kernels the runtime adds (PAD, TRANSPOSE, MEAN, LOGISTIC, CONCATENATION).
import * as q from '../../lib/index';
import type { Kernels } from '../../lib/kernels';
import { withKernels } from '../../lib/kernels';
import type { TfliteInput, TfliteModel, TfliteOutput } from '../../lib/tflite';
import { expOnNegativeValues, logisticTable } from '../../lib/tflite/kernels';
import { expOnNegativeValuesQ5 } from '../../lib/js/gemmlowp';
import type { QTensor } from '../../lib/types';
import { BACKENDS } from '../helpers/backends';
import { firstDifference, Gen } from '../helpers/ops';
import { buildTflite, ModelDef, OP, options } from './builder';

const g = new Gen(7411);

/** Loads bytes with the backend's kernels active (the prepared layers are made for them). */
function load(k: Kernels, def: ModelDef, profile?: q.Profile): Promise<TfliteModel> {
  const bytes = buildTflite(def);
  return withKernels(k, () => q.loadTflite(bytes, profile === undefined ? undefined : { profile }));
}

function run(k: Kernels, m: TfliteModel, inputs: TfliteInput[]): TfliteOutput[] {
  return withKernels(k, () => m.run(inputs));
}

function same(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(firstDifference(actual, expected)).toBeNull();
}

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

interface Act {
  shape: number[];
  scale: number;
  zeroPoint: number;
}

function qt(a: Act, data: Int8Array): QTensor {
  return { dtype: 'int8', shape: a.shape, data, scale: a.scale, zeroPoint: a.zeroPoint };
}

function tensor(a: Act, name?: string): ModelDef['tensors'][number] {
  return { name, shape: a.shape, type: 'int8', scale: a.scale, zeroPoint: a.zeroPoint };
}

describe.each(BACKENDS)('small models against the public operators [%s]', (_name, k) => {
  it('CONV_2D -> RESHAPE -> FULLY_CONNECTED -> SOFTMAX equals conv2d, fullyConnected and softmax; inspect shows each step', async () => {
    const x: Act = { shape: [1, 6, 6, 3], scale: 0.05, zeroPoint: -3 };
    const convOut: Act = { shape: [1, 3, 3, 4], scale: 0.04, zeroPoint: -20 };
    const flat: Act = { ...convOut, shape: [1, 36] };
    const fcOut: Act = { shape: [1, 5], scale: 0.1, zeroPoint: 2 };
    const sm: Act = { shape: [1, 5], scale: 1 / 256, zeroPoint: -128 };
    const filterScales = g.scales(4, 0.002, 0.02);
    const filter = g.int8(4 * 27, -127, 127);
    const convBias = g.int32(4, -3000, 3000);
    const weights = g.int8(5 * 36, -127, 127);
    const fcBias = g.int32(5, -2000, 2000);
    const def: ModelDef = {
      tensors: [
        tensor(x, 'x'),
        { shape: [4, 3, 3, 3], type: 'int8', data: filter, scale: filterScales, zeroPoint: [0, 0, 0, 0], quantizedDimension: 0 },
        { shape: [4], type: 'int32', data: convBias },
        tensor(convOut, 'conv'),
        { shape: [2], type: 'int32', data: Int32Array.of(1, -1) },
        tensor(flat, 'flat'),
        { shape: [5, 36], type: 'int8', data: weights, scale: 0.01, zeroPoint: 0 },
        { shape: [5], type: 'int32', data: fcBias },
        tensor(fcOut, 'fc'),
        tensor(sm, 'probs'),
      ],
      ops: [
        { op: OP.CONV_2D, version: 3, inputs: [0, 1, 2], outputs: [3], options: options.conv2d({ padding: 'SAME', stride: [2, 2], activation: 'RELU6' }) },
        { op: OP.RESHAPE, inputs: [3, 4], outputs: [5], options: options.reshape() },
        { op: OP.FULLY_CONNECTED, version: 4, inputs: [5, 6, 7], outputs: [8], options: options.fullyConnected() },
        { op: OP.SOFTMAX, inputs: [8], outputs: [9], options: options.softmax(1) },
      ],
      inputs: [0],
      outputs: [9],
    };
    const m = await load(k, def);
    expect(m.inputs).toEqual([{ name: 'x', index: 0, shape: [1, 6, 6, 3], dtype: 'int8', scale: Math.fround(0.05), zeroPoint: -3 }]);
    expect(m.outputs[0]).toMatchObject({ name: 'probs', index: 9, shape: [1, 5], dtype: 'int8', scale: 1 / 256, zeroPoint: -128 });
    const data = g.int8(numel(x.shape));
    const expected = withKernels(k, () => {
      const c = q.conv2d(qt(x, data), { dtype: 'int8', shape: [4, 3, 3, 3], data: filter, scale: filterScales, zeroPoint: [0, 0, 0, 0], axis: 0 },
        convBias, convOut, { strides: [2, 2], padding: 'SAME', activation: 'RELU6' });
      const f = q.fullyConnected({ ...c, shape: [1, 36] }, { dtype: 'int8', shape: [5, 36], data: weights, scale: 0.01, zeroPoint: 0 }, fcBias, fcOut);
      return { conv: c.data, fc: f.data, probs: q.softmax(f).data };
    });
    const [out] = run(k, m, [data]);
    expect(out).toBeInstanceOf(Int8Array);
    same(out, expected.probs);
    // a second run gives the same result (the arena is reused)
    same(run(k, m, [data])[0], expected.probs);
    const steps = withKernels(k, () => m.inspect([data]));
    expect(steps.map((s) => [s.name, s.op, s.opIndex, s.index])).toEqual([
      ['conv', 'CONV_2D', 0, 3], ['flat', 'RESHAPE', 1, 5], ['fc', 'FULLY_CONNECTED', 2, 8], ['probs', 'SOFTMAX', 3, 9],
    ]);
    same(steps[0].tensor.data, expected.conv);
    same(steps[1].tensor.data, expected.conv);
    expect(steps[1].tensor.shape).toEqual([1, 36]);
    same(steps[2].tensor.data, expected.fc);
    expect(steps[2].tensor).toMatchObject({ dtype: 'int8', scale: Math.fround(0.1), zeroPoint: 2 });
    // Float32Array inputs are quantized with the input's parameters (round half away from zero)
    const real = new Float32Array(numel(x.shape)).map((_, i) => (i % 17) * 0.11 - 0.9);
    const codes = withKernels(k, () => q.quantize({ shape: x.shape, data: real }, { scale: x.scale, zeroPoint: x.zeroPoint }).data);
    same(run(k, m, [real])[0], run(k, m, [codes as Int8Array])[0]);
    // runAsync gives the same bytes, and queued calls run one after another
    const pending = withKernels(k, () => [m.runAsync([data]), m.runAsync([codes as Int8Array])]);
    const [a, b] = await Promise.all(pending);
    same(a[0], expected.probs);
    same(b[0], run(k, m, [codes as Int8Array])[0]);
    m.dispose();
    expect(() => m.run([data])).toThrow('run: the model was disposed');
  });

  it('DEPTHWISE_CONV_2D (depth multiplier 2, dilation 2, VALID, RELU) and the tflite-single profile equal depthwiseConv2d', async () => {
    const x: Act = { shape: [2, 9, 8, 3], scale: 0.03, zeroPoint: 7 };
    const out: Act = { shape: [2, 5, 3, 6], scale: 0.05, zeroPoint: -11 };
    const filter = g.int8(3 * 3 * 6, -127, 127);
    const scales = g.scales(6, 0.003, 0.03);
    const bias = g.int32(6, -4000, 4000);
    const def: ModelDef = {
      tensors: [
        tensor(x),
        { shape: [1, 3, 3, 6], type: 'int8', data: filter, scale: scales, zeroPoint: new Array<number>(6).fill(0), quantizedDimension: 3 },
        // a 1-D bias with an out-of-range quantized_dimension, as in person_detect: tolerated (bias parameters are unused)
        { shape: [6], type: 'int32', data: bias, scale: scales.map((s) => s * 0.03), zeroPoint: new Array<number>(6).fill(0), quantizedDimension: 3 },
        tensor(out),
      ],
      ops: [{ op: OP.DEPTHWISE_CONV_2D, version: 3, inputs: [0, 1, 2], outputs: [3], options: options.depthwise({ padding: 'VALID', stride: [1, 2], dilation: [2, 1], activation: 'RELU', depthMultiplier: 2 }) }],
      inputs: [0],
      outputs: [3],
    };
    const data = g.int8(numel(x.shape));
    for (const profile of ['tflite-ref', 'tflite-single', 'xnnpack-fp32'] as const) {
      const m = await load(k, def, profile);
      expect(m.profile).toBe(profile);
      const expected = withKernels(k, () => q.depthwiseConv2d(qt(x, data),
        { dtype: 'int8', shape: [1, 3, 3, 6], data: filter, scale: scales, zeroPoint: new Array<number>(6).fill(0), axis: 3 }, bias, out,
        { strides: [1, 2], dilations: [2, 1], padding: 'VALID', activation: 'RELU', profile }));
      same(run(k, m, [data])[0], expected.data);
      m.dispose();
    }
  });

  it('FULLY_CONNECTED with a rank-3 input, per-channel weights, no bias, keep_num_dims', async () => {
    const x: Act = { shape: [2, 3, 10], scale: 0.02, zeroPoint: -5 };
    const out: Act = { shape: [2, 3, 4], scale: 0.07, zeroPoint: 3 };
    const weights = g.int8(40, -127, 127);
    const scales = g.scales(4, 0.001, 0.01);
    const def: ModelDef = {
      tensors: [tensor(x), { shape: [4, 10], type: 'int8', data: weights, scale: scales, zeroPoint: [0, 0, 0, 0] }, tensor(out)],
      ops: [{ op: OP.FULLY_CONNECTED, version: 5, inputs: [0, 1, -1], outputs: [2], options: options.fullyConnected({ keepNumDims: true, activation: 'RELU_N1_TO_1' }) }],
      inputs: [0],
      outputs: [2],
    };
    const m = await load(k, def);
    const data = g.int8(60);
    const expected = withKernels(k, () => q.fullyConnected(qt(x, data), { dtype: 'int8', shape: [4, 10], data: weights, scale: scales, zeroPoint: [0, 0, 0, 0], axis: 0 },
      null, out, { activation: 'RELU_N1_TO_1' }));
    same(run(k, m, [data])[0], expected.data);
  });

  it('MAX_POOL_2D and AVERAGE_POOL_2D equal maxPool2d and averagePool2d', async () => {
    const x: Act = { shape: [1, 7, 6, 5], scale: 0.04, zeroPoint: 9 };
    const out: Act = { shape: [1, 4, 3, 5], scale: 0.04, zeroPoint: 9 };
    const data = g.int8(numel(x.shape));
    for (const [op, fn] of [[OP.MAX_POOL_2D, q.maxPool2d], [OP.AVERAGE_POOL_2D, q.averagePool2d]] as const) {
      const def: ModelDef = {
        tensors: [tensor(x), tensor(out)],
        ops: [{ op, version: 2, inputs: [0], outputs: [1], options: options.pool([3, 2], { padding: 'SAME', stride: [2, 2], activation: 'RELU6' }) }],
        inputs: [0],
        outputs: [1],
      };
      const m = await load(k, def);
      const expected = withKernels(k, () => fn(qt(x, data), { filter: [3, 2], strides: [2, 2], padding: 'SAME', activation: 'RELU6' }));
      same(run(k, m, [data])[0], expected.data);
    }
  });

  it('ADD with broadcasting and a constant operand equals add', async () => {
    const a: Act = { shape: [2, 1, 4, 3], scale: 0.05, zeroPoint: -4 };
    const b: Act = { shape: [3, 1, 3], scale: 0.09, zeroPoint: 12 };
    const out: Act = { shape: [2, 3, 4, 3], scale: 0.11, zeroPoint: -2 };
    const bData = g.int8(9);
    const def: ModelDef = {
      tensors: [tensor(a), { ...tensor(b), data: bData }, tensor(out)],
      ops: [{ op: OP.ADD, version: 2, inputs: [0, 1], outputs: [2], options: options.add('RELU') }],
      inputs: [0],
      outputs: [2],
    };
    const m = await load(k, def);
    const data = g.int8(numel(a.shape));
    const expected = withKernels(k, () => q.add(qt(a, data), qt(b, bData), out, { activation: 'RELU' }));
    same(run(k, m, [data])[0], expected.data);
  });

  it('QUANTIZE (float -> int8, int8 -> int8, int8 -> uint8) and DEQUANTIZE equal quantize, requantize and dequantize', async () => {
    const f = { shape: [2, 17] };
    const a: Act = { shape: [2, 17], scale: 0.04, zeroPoint: -7 };
    const b: Act = { shape: [2, 17], scale: 0.013, zeroPoint: 20 };
    const def: ModelDef = {
      tensors: [
        { shape: f.shape, type: 'float32' }, tensor(a), tensor(b), { shape: f.shape, type: 'uint8', scale: 0.013, zeroPoint: 148 },
        { shape: f.shape, type: 'float32' },
      ],
      ops: [
        { op: OP.QUANTIZE, inputs: [0], outputs: [1] },
        { op: OP.QUANTIZE, version: 2, inputs: [1], outputs: [2] },
        { op: OP.QUANTIZE, version: 2, inputs: [2], outputs: [3] },
        { op: OP.DEQUANTIZE, version: 2, inputs: [3], outputs: [4] },
      ],
      inputs: [0],
      outputs: [2, 3, 4],
    };
    const m = await load(k, def);
    expect(m.inputs[0]).toMatchObject({ dtype: 'float32', scale: 1, zeroPoint: 0 });
    expect(m.outputs.map((o) => o.dtype)).toEqual(['int8', 'uint8', 'float32']);
    const real = new Float32Array(34).map((_, i) => (i - 17) * 0.173 + (i % 3) * 0.02);
    real[3] = 1000;
    real[4] = -0.5 * 0.04 - 7 * 0.04; // a tie
    const [o1, o2, o3] = run(k, m, [real]);
    const expected = withKernels(k, () => {
      const qa = q.quantize({ shape: f.shape, data: real }, { scale: a.scale, zeroPoint: a.zeroPoint });
      const qb = q.requantize(qa, { scale: b.scale, zeroPoint: b.zeroPoint });
      const qu = q.requantize(qb, { scale: 0.013, zeroPoint: 148 }, { dtype: 'uint8' });
      return { qb, qu, f: q.dequantize(qu).data };
    });
    same(o1, expected.qb.data);
    expect(o2).toBeInstanceOf(Uint8Array);
    same(o2, expected.qu.data);
    expect(o3).toBeInstanceOf(Float32Array);
    same(o3, expected.f);
    expect(() => m.run([new Int8Array(34)])).toThrow('run: inputs[0] must be a Float32Array (the input is FLOAT32), got Int8Array(34)');
  });
});

/** Naive PAD: out[i] = in[i - before] inside, else the value. */
function naivePad(data: Int8Array, shape: number[], before: number[], after: number[], value: number): Int8Array {
  const outShape = shape.map((d, i) => d + before[i] + after[i]);
  const out = new Int8Array(numel(outShape));
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let rem = o;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = rem % outShape[d];
      rem = Math.floor(rem / outShape[d]);
    }
    let inside = true;
    let i = 0;
    for (let d = 0; d < shape.length; d++) {
      const c = idx[d] - before[d];
      if (c < 0 || c >= shape[d]) inside = false;
      i = i * shape[d] + c;
    }
    out[o] = inside ? data[i] : value;
  }
  return out;
}

function naiveTranspose(data: Int8Array, shape: number[], perm: number[]): Int8Array {
  const outShape = perm.map((p) => shape[p]);
  const out = new Int8Array(data.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let rem = o;
    const oi = new Array<number>(shape.length);
    for (let d = shape.length - 1; d >= 0; d--) {
      oi[d] = rem % outShape[d];
      rem = Math.floor(rem / outShape[d]);
    }
    perm.forEach((p, d) => (idx[p] = oi[d]));
    let i = 0;
    for (let d = 0; d < shape.length; d++) i = i * shape[d] + idx[d];
    out[o] = data[i];
  }
  return out;
}

describe.each(BACKENDS)('the kernels the runtime adds [%s]', (_name, k) => {
  it('PAD pads with the zero point, PADV2 with its constant, on any of up to 6 dimensions', async () => {
    const cases: Array<{ shape: number[]; before: number[]; after: number[] }> = [
      { shape: [1, 5, 4, 3], before: [0, 1, 1, 0], after: [0, 1, 2, 0] },
      { shape: [2, 3, 4], before: [1, 0, 2], after: [0, 3, 1] },
      { shape: [7], before: [3], after: [0] },
      { shape: [1, 2, 3, 2, 2, 5], before: [0, 1, 0, 2, 0, 1], after: [1, 0, 0, 0, 1, 1] },
    ];
    for (const c of cases) {
      const x: Act = { shape: c.shape, scale: 0.1, zeroPoint: -9 };
      const outShape = c.shape.map((d, i) => d + c.before[i] + c.after[i]);
      const paddings = Int32Array.from(c.shape.flatMap((_, i) => [c.before[i], c.after[i]]));
      for (const v2 of [false, true]) {
        const def: ModelDef = {
          tensors: [tensor(x), { shape: [c.shape.length, 2], type: 'int32', data: paddings }, tensor({ ...x, shape: outShape }),
            { shape: [], type: 'int8', data: Int8Array.of(42), scale: 0.1, zeroPoint: -9 }],
          ops: [{ op: v2 ? OP.PADV2 : OP.PAD, version: 2, inputs: v2 ? [0, 1, 3] : [0, 1], outputs: [2] }],
          inputs: [0],
          outputs: [2],
        };
        const m = await load(k, def);
        const data = g.int8(numel(c.shape));
        same(run(k, m, [data])[0], naivePad(data, c.shape, c.before, c.after, v2 ? 42 : -9));
      }
    }
  });

  it('TRANSPOSE moves every element (NCHW -> NHWC, rank 2 to 6)', async () => {
    const cases: Array<{ shape: number[]; perm: number[] }> = [
      { shape: [1, 3, 5, 7], perm: [0, 2, 3, 1] }, { shape: [4, 6], perm: [1, 0] }, { shape: [2, 3, 4], perm: [2, 0, 1] },
      { shape: [2, 1, 3, 2, 4, 3], perm: [5, 3, 1, 0, 4, 2] }, { shape: [2, 4, 3, 5], perm: [0, 2, 3, 1] }, { shape: [2, 2, 6], perm: [0, 2, 1] },
      { shape: [3, 9], perm: [1, 0] },
    ];
    for (const c of cases) {
      const x: Act = { shape: c.shape, scale: 0.2, zeroPoint: 1 };
      const def: ModelDef = {
        tensors: [tensor(x), { shape: [c.perm.length], type: 'int32', data: Int32Array.from(c.perm) }, tensor({ ...x, shape: c.perm.map((p) => c.shape[p]) })],
        ops: [{ op: OP.TRANSPOSE, version: 2, inputs: [0, 1], outputs: [2], options: options.transpose() }],
        inputs: [0],
        outputs: [2],
      };
      const m = await load(k, def);
      const data = g.int8(numel(c.shape));
      same(run(k, m, [data])[0], naiveTranspose(data, c.shape, c.perm));
    }
  });

  it('MEAN: the sum minus z_in * count through the count-folded multiplier (TFLite Micro QuantizedMeanOrSum)', async () => {
    const cases: Array<{ shape: number[]; axes: number[]; keep: boolean; inP: [number, number]; outP: [number, number] }> = [
      { shape: [1, 7, 7, 16], axes: [1, 2], keep: true, inP: [0.07, -9], outP: [0.07, -9] },
      { shape: [2, 5, 3, 4], axes: [-3, 2], keep: false, inP: [0.05, 3], outP: [0.02, -6] },
      { shape: [3, 10], axes: [1], keep: false, inP: [0.1, 0], outP: [0.3, 5] },
      { shape: [2, 3, 4], axes: [0, 2, 0], keep: true, inP: [0.02, 100], outP: [0.01, -100] },
    ];
    for (const c of cases) {
      const rank = c.shape.length;
      const axes = [...new Set(c.axes.map((a) => (a < 0 ? a + rank : a)))];
      const outShape = c.keep ? c.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : c.shape.filter((_, i) => !axes.includes(i));
      const def: ModelDef = {
        tensors: [
          { shape: c.shape, type: 'int8', scale: c.inP[0], zeroPoint: c.inP[1] }, { shape: [c.axes.length], type: 'int32', data: Int32Array.from(c.axes) },
          { shape: outShape, type: 'int8', scale: c.outP[0], zeroPoint: c.outP[1] },
        ],
        ops: [{ op: OP.MEAN, version: 2, inputs: [0, 1], outputs: [2], options: options.reducer(c.keep) }],
        inputs: [0],
        outputs: [2],
      };
      const m = await load(k, def);
      const data = g.int8(numel(c.shape));
      const got = run(k, m, [data])[0];
      // the reference, written out with the public multiplier helpers
      const count = axes.reduce((p, a) => p * c.shape[a], 1);
      const { multiplier, shift } = q.quantizeMultiplier(Math.fround(c.inP[0]) / Math.fround(c.outP[0]));
      const n = Math.min(Math.floor(Math.log2(count)), 32, 31 + shift);
      const folded = Number((BigInt(multiplier) << BigInt(n)) / BigInt(count));
      const outStrides: number[] = [];
      let stride = 1;
      for (let d = rank - 1; d >= 0; d--) {
        outStrides[d] = axes.includes(d) ? 0 : stride;
        if (!axes.includes(d)) stride *= c.shape[d];
      }
      const sums = new Array<number>(stride).fill(0);
      for (let i = 0; i < data.length; i++) {
        let rem = i;
        let o = 0;
        for (let d = rank - 1; d >= 0; d--) {
          o += (rem % c.shape[d]) * outStrides[d];
          rem = Math.floor(rem / c.shape[d]);
        }
        sums[o] += data[i];
      }
      const expected = sums.map((s) => Math.max(-128, Math.min(127, q.multiplyByQuantizedMultiplier(s - c.inP[1] * count, folded, shift - n) + c.outP[1])));
      same(got, expected);
      // and it is the mean, to within one step of the output
      sums.forEach((s, i) => expect(Math.abs(got[i] - Math.max(-128, Math.min(127,
        Math.round(((s / count - c.inP[1]) * c.inP[0]) / c.outP[0] + c.outP[1]))))).toBeLessThanOrEqual(1));
    }
  });

  it('LOGISTIC: gemmlowp fixed-point logistic through a per-code table, within one step of the real sigmoid', async () => {
    for (const [scale, zeroPoint] of [[0.1, 0], [1, 0], [0.05, -20], [0.0234, 100], [0.4, -128]] as const) {
      const x: Act = { shape: [2, 128], scale, zeroPoint };
      const def: ModelDef = {
        tensors: [tensor(x), tensor({ shape: [2, 128], scale: 1 / 256, zeroPoint: -128 })],
        ops: [{ op: OP.LOGISTIC, version: 2, inputs: [0], outputs: [1] }],
        inputs: [0],
        outputs: [1],
      };
      const m = await load(k, def);
      const data = Int8Array.from({ length: 256 }, (_, i) => i - 128);
      const got = run(k, m, [data])[0];
      for (let i = 0; i < 256; i++) {
        const real = 1 / (1 + Math.exp(-(data[i] - zeroPoint) * Math.fround(scale)));
        const ideal = Math.max(-128, Math.min(127, Math.round(real * 256) - 128));
        expect(Math.abs(got[i] - ideal)).toBeLessThanOrEqual(1);
        if (i > 0) expect(got[i]).toBeGreaterThanOrEqual(got[i - 1]);
      }
      same(got, logisticTable(zeroPoint, Math.fround(scale), false));
    }
  });

  it('CONCATENATION copies inputs of equal parameters and rescales the others (float32 ConcatenationWithScaling)', async () => {
    const out: Act = { shape: [2, 3, 9], scale: 0.05, zeroPoint: 4 };
    const a: Act = { shape: [2, 3, 2], scale: 0.05, zeroPoint: 4 };
    const b: Act = { shape: [2, 3, 4], scale: 0.13, zeroPoint: -30 };
    const c: Act = { shape: [2, 3, 3], scale: 0.021, zeroPoint: 7 };
    const cData = g.int8(18);
    const def: ModelDef = {
      tensors: [tensor(a), tensor(b), { ...tensor(c), data: cData }, tensor(out)],
      ops: [{ op: OP.CONCATENATION, version: 2, inputs: [0, 1, 2], outputs: [3], options: options.concatenation(-1) }],
      inputs: [0, 1],
      outputs: [3],
    };
    const m = await load(k, def);
    const aData = g.int8(12);
    const bData = g.int8(24);
    const got = run(k, m, [aData, bData])[0];
    const rescale = (v: number, p: Act): number => {
      const scale = Math.fround(Math.fround(p.scale) * Math.fround(1 / Math.fround(out.scale)));
      const bias = Math.fround(-p.zeroPoint * scale);
      const r = Math.fround(Math.fround(v * scale) + bias);
      const rounded = Math.sign(r) * Math.floor(Math.abs(r) + 0.5);
      return Math.max(-128, Math.min(127, rounded + out.zeroPoint));
    };
    const expected: number[] = [];
    for (let row = 0; row < 6; row++) {
      for (let i = 0; i < 2; i++) expected.push(aData[row * 2 + i]);
      for (let i = 0; i < 4; i++) expected.push(rescale(bData[row * 4 + i], b));
      for (let i = 0; i < 3; i++) expected.push(rescale(cData[row * 3 + i], c));
    }
    same(got, expected);
  });
});

describe('gemmlowp helpers of the added kernels', () => {
  it('exp_on_negative_values for 5 integer bits equals the SOFTMAX kernel\'s', () => {
    const r = new Gen(99);
    const bad: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const a = i < 64 ? -i * (1 << 20) : -r.int(0, 2 ** 31 - 1);
      if (expOnNegativeValues(a, 5) !== expOnNegativeValuesQ5(a)) bad.push(a);
    }
    expect(bad).toEqual([]);
  });
});
