// PAD folded into the CONV_2D / DEPTHWISE_CONV_2D that reads it: the same bytes as PAD then the convolution (public
// operators on a loop-padded tensor), the padded tensor left out of the arena, inspect() unchanged; and the PADs that
// must not fold (other value, channel or batch padding, a second reader, a model output) still run. Every backend.
import * as q from '../../lib/index';
import type { Kernels } from '../../lib/kernels';
import { withKernels } from '../../lib/kernels';
import type { TfliteModel } from '../../lib/tflite';
import type { QTensor } from '../../lib/types';
import { BACKENDS } from '../helpers/backends';
import { firstDifference, Gen } from '../helpers/ops';
import { buildTflite, ModelDef, OP, options } from './builder';

const g = new Gen(4242);
const SCALE = 0.05;
const ZERO_POINT = -9;

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const aligned = (bytes: number): number => Math.ceil(bytes / 64) * 64;

/** PAD of any dimension of a rank-4 tensor by `value`: a plain loop. */
function padLoop(data: Int8Array, shape: number[], before: number[], after: number[], value: number): Int8Array {
  const outShape = shape.map((d, i) => d + before[i] + after[i]);
  const out = new Int8Array(numel(outShape)).fill(value);
  for (let a = 0; a < shape[0]; a++) {
    for (let b = 0; b < shape[1]; b++) {
      for (let c = 0; c < shape[2]; c++) {
        for (let d = 0; d < shape[3]; d++) {
          const o = (((a + before[0]) * outShape[1] + b + before[1]) * outShape[2] + c + before[2]) * outShape[3] + d + before[3];
          out[o] = data[((a * shape[1] + b) * shape[2] + c) * shape[3] + d];
        }
      }
    }
  }
  return out;
}

interface Case {
  title: string;
  depthwise: boolean;
  shape: number[];
  before: number[];
  after: number[];
  padding: 'SAME' | 'VALID';
  stride?: [number, number];
  dilation?: [number, number];
  /** PADV2 with this constant (PAD, the zero point, when absent). */
  constant?: number;
  /** The padded tensor is also a model output / is also read by a MAX_POOL_2D. */
  alsoOutput?: boolean;
  alsoRead?: boolean;
  folds: boolean;
}

const CASES: Case[] = [
  { title: 'PAD [1,1]x[1,1] then a VALID depthwise (mobilenet)', depthwise: true, shape: [1, 8, 8, 16], before: [0, 1, 1, 0], after: [0, 1, 1, 0], padding: 'VALID', folds: true },
  { title: 'PAD [1,1]x[1,1] then a stride-2 VALID conv', depthwise: false, shape: [1, 9, 10, 3], before: [0, 1, 1, 0], after: [0, 1, 1, 0], padding: 'VALID', stride: [2, 2], folds: true },
  { title: 'asymmetric PAD then a SAME dilated stride-2 conv', depthwise: false, shape: [2, 7, 6, 4], before: [0, 2, 0, 0], after: [0, 1, 3, 0], padding: 'SAME', stride: [2, 1], dilation: [1, 2], folds: true },
  { title: 'PAD wider than the filter then a SAME depthwise', depthwise: true, shape: [1, 3, 4, 8], before: [0, 5, 0, 0], after: [0, 0, 4, 0], padding: 'SAME', stride: [1, 2], folds: true },
  { title: 'PADV2 by the zero point', depthwise: true, shape: [1, 6, 5, 8], before: [0, 1, 2, 0], after: [0, 2, 1, 0], padding: 'VALID', constant: ZERO_POINT, folds: true },
  { title: 'PADV2 by another value (not folded)', depthwise: true, shape: [1, 6, 5, 8], before: [0, 1, 1, 0], after: [0, 1, 1, 0], padding: 'VALID', constant: 42, folds: false },
  { title: 'PAD of the channels (not folded)', depthwise: false, shape: [1, 5, 5, 3], before: [0, 1, 1, 1], after: [0, 1, 1, 0], padding: 'VALID', folds: false },
  { title: 'PAD of the batch (not folded)', depthwise: false, shape: [1, 5, 5, 3], before: [1, 1, 1, 0], after: [0, 1, 1, 0], padding: 'VALID', folds: false },
  { title: 'a PAD that is also a model output (not folded)', depthwise: true, shape: [1, 6, 6, 8], before: [0, 1, 1, 0], after: [0, 1, 1, 0], padding: 'VALID', alsoOutput: true, folds: false },
  { title: 'a PAD read by two operators (not folded)', depthwise: true, shape: [1, 6, 6, 8], before: [0, 1, 1, 0], after: [0, 1, 1, 0], padding: 'VALID', alsoRead: true, folds: false },
];

interface Built {
  def: ModelDef;
  filter: QTensor;
  bias: Int32Array;
  output: { scale: number; zeroPoint: number };
  paddedShape: number[];
  outShape: number[];
}

/** x -> PAD / PADV2 -> conv (-> and the padded tensor through a 1x1 MAX_POOL_2D when alsoRead). */
function build(c: Case): Built {
  const paddedShape = c.shape.map((d, i) => d + c.before[i] + c.after[i]);
  const [n, h, w, channels] = paddedShape;
  const [kh, kw] = [3, 3];
  const stride = c.stride ?? [1, 1];
  const dilation = c.dilation ?? [1, 1];
  const cout = c.depthwise ? channels : 5;
  const filterShape = c.depthwise ? [1, kh, kw, cout] : [cout, kh, kw, channels];
  const size = (input: number, k: number, s: number, d: number): number =>
    (c.padding === 'SAME' ? Math.ceil(input / s) : Math.floor((input - (k - 1) * d - 1) / s) + 1);
  const outShape = [n, size(h, kh, stride[0], dilation[0]), size(w, kw, stride[1], dilation[1]), cout];
  const scales = g.scales(cout, 0.005, 0.02);
  const filter: QTensor = { dtype: 'int8', shape: filterShape, data: g.int8(numel(filterShape), -127, 127), scale: scales,
    zeroPoint: new Array<number>(cout).fill(0), axis: c.depthwise ? 3 : 0 };
  const bias = g.int32(cout, -3000, 3000);
  const output = { scale: 0.04, zeroPoint: 3 };
  const act = { type: 'int8' as const, scale: SCALE, zeroPoint: ZERO_POINT };
  const def: ModelDef = {
    tensors: [
      { name: 'x', shape: c.shape, ...act },
      { shape: [4, 2], type: 'int32', data: Int32Array.from(c.before.flatMap((b, i) => [b, c.after[i]])) },
      { name: 'padded', shape: paddedShape, ...act },
      { shape: filterShape, type: 'int8', data: filter.data as Int8Array, scale: scales, zeroPoint: filter.zeroPoint as number[], quantizedDimension: c.depthwise ? 3 : 0 },
      { shape: [cout], type: 'int32', data: bias },
      { name: 'conv', shape: outShape, type: 'int8', ...output },
      { shape: [], type: 'int8', data: Int8Array.of(c.constant ?? ZERO_POINT), scale: SCALE, zeroPoint: ZERO_POINT },
      { name: 'pooled', shape: paddedShape, ...act },
    ],
    ops: [
      c.constant === undefined ? { op: OP.PAD, version: 2, inputs: [0, 1], outputs: [2] } : { op: OP.PADV2, version: 2, inputs: [0, 1, 6], outputs: [2] },
      c.depthwise
        ? { op: OP.DEPTHWISE_CONV_2D, version: 3, inputs: [2, 3, 4], outputs: [5], options: options.depthwise({ padding: c.padding, stride, dilation, depthMultiplier: 1 }) }
        : { op: OP.CONV_2D, version: 3, inputs: [2, 3, 4], outputs: [5], options: options.conv2d({ padding: c.padding, stride, dilation }) },
      ...(c.alsoRead ? [{ op: OP.MAX_POOL_2D, version: 2, inputs: [2], outputs: [7], options: options.pool([1, 1], { padding: 'VALID' }) }] : []),
    ],
    inputs: [0],
    outputs: [5, ...(c.alsoOutput ? [2] : []), ...(c.alsoRead ? [7] : [])],
  };
  return { def, filter, bias, output, paddedShape, outShape };
}

function load(k: Kernels, def: ModelDef): Promise<TfliteModel> {
  const bytes = buildTflite(def);
  return withKernels(k, () => q.loadTflite(bytes));
}

describe.each(BACKENDS)('PAD folded into the next convolution [%s]', (_name, k) => {
  it.each(CASES.map((c) => [c.title, c] as const))('%s', async (_title, c) => {
    const b = build(c);
    const m = await load(k, b.def);
    const x = g.int8(numel(c.shape));
    const padded = padLoop(x, c.shape, c.before, c.after, c.constant ?? ZERO_POINT);
    const expected = withKernels(k, () => {
      const input: QTensor = { dtype: 'int8', shape: b.paddedShape, data: padded, scale: SCALE, zeroPoint: ZERO_POINT };
      const opts = { padding: c.padding, strides: c.stride, dilations: c.dilation };
      return c.depthwise ? q.depthwiseConv2d(input, b.filter, b.bias, b.output, opts) : q.conv2d(input, b.filter, b.bias, b.output, opts);
    });
    expect(expected.shape).toEqual(b.outShape);
    const outputs = withKernels(k, () => m.run([x]));
    expect(firstDifference(outputs[0], expected.data)).toBeNull();
    if (c.alsoOutput) expect(firstDifference(outputs[1], padded)).toBeNull();
    const asyncOutputs = await withKernels(k, () => m.runAsync([x]));
    expect(firstDifference(asyncOutputs[0], expected.data)).toBeNull();
    // inspect reports the padded tensor whether or not it was stored
    const steps = withKernels(k, () => m.inspect([x]));
    expect(steps.slice(0, 2).map((s) => [s.name, s.op, s.opIndex, s.index, s.tensor.shape])).toEqual([
      ['padded', c.constant === undefined ? 'PAD' : 'PADV2', 0, 2, b.paddedShape], ['conv', c.depthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D', 1, 5, b.outShape],
    ]);
    expect(steps[0].tensor).toMatchObject({ dtype: 'int8', scale: Math.fround(SCALE), zeroPoint: ZERO_POINT });
    expect(firstDifference(steps[0].tensor.data, padded)).toBeNull();
    expect(firstDifference(steps[1].tensor.data, expected.data)).toBeNull();
    // a folded PAD's output takes no arena: only the input and the convolution's output are stored
    const unpaddedAndOutput = aligned(numel(c.shape)) + aligned(numel(b.outShape));
    if (c.folds) expect(m.arenaBytes).toBe(unpaddedAndOutput);
    else expect(m.arenaBytes).toBeGreaterThan(unpaddedAndOutput);
    m.dispose();
  });
});
