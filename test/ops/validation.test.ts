// One test per validation message of the operators: the exact error class and text, thrown before any output
// exists. Also the edge inputs that are valid (empty tensors).
import * as q from '../../lib/index';
import type { QTensor } from '../../lib/types';
import { expectThrows } from '../helpers/ops';

type Case = [title: string, call: () => unknown, errorClass: TypeErrorConstructor | RangeErrorConstructor, message: string];

function tensor(shape: number[], extra: Partial<QTensor> = {}): QTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const dtype = extra.dtype ?? 'int8';
  return { dtype, shape, data: dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n), scale: 0.1, zeroPoint: 0, ...extra };
}

const x = tensor([1, 4, 4, 2]);
const filter = tensor([3, 2, 2, 2], { scale: 0.01 });
const out = { scale: 0.2, zeroPoint: 0 };
const f32 = (v: number): string => String(Math.fround(v));
const bad = (v: unknown): never => v as never; // deliberately wrong argument types

const conv: Case[] = [
  ['input not an object', () => q.conv2d(bad(null), filter, null, out), TypeError,
    'conv2d: input must be a quantized tensor { dtype, shape, data, scale, zeroPoint }, got null'],
  ['input rank', () => q.conv2d(tensor([4, 4, 2]), filter, null, out), RangeError, 'conv2d: input.shape must be of rank 4 (NHWC), got [4,4,2]'],
  ['input per-axis', () => q.conv2d(tensor([1, 4, 4, 2], { scale: [0.1, 0.2], zeroPoint: [0, 0], axis: 3 }), filter, null, out), RangeError,
    'conv2d: input.scale must be a single number (activations are quantized per tensor), got Float32Array(2)'],
  ['filter rank', () => q.conv2d(x, tensor([3, 2, 2]), null, out), RangeError,
    'conv2d: filter.shape must be of rank 4 ([Cout, KH, KW, Cin/groups]), got [3,2,2]'],
  ['filter empty dimension', () => q.conv2d(x, tensor([0, 2, 2, 2]), null, out), RangeError,
    'conv2d: filter.shape must be [Cout, KH, KW, Cin/groups] with every dimension >= 1, got [0,2,2,2]'],
  ['filter dtype', () => q.conv2d(x, tensor([3, 2, 2, 2], { dtype: 'uint8' }), null, out), RangeError,
    'conv2d: filter.dtype must be \'int8\' like the input, got "uint8"'],
  ['int8 filter zero point', () => q.conv2d(x, tensor([3, 2, 2, 2], { zeroPoint: 3 }), null, out), RangeError,
    'conv2d: filter.zeroPoint must be 0 for int8 weights (symmetric), got 3'],
  ['int8 per-channel filter zero point', () => q.conv2d(x, tensor([3, 2, 2, 2], { scale: [0.1, 0.1, 0.1], zeroPoint: [0, 2, 0], axis: 0 }), null, out),
    RangeError, 'conv2d: filter.zeroPoint[1] must be 0 for int8 weights (symmetric), got 2'],
  ['filter axis', () => q.conv2d(x, tensor([3, 2, 2, 2], { scale: [0.1, 0.1], zeroPoint: [0, 0], axis: 3 }), null, out), RangeError,
    'conv2d: filter.axis must be 0 (the output channels) for per-channel weights, got 3'],
  ['uint8 filter per-channel', () => q.conv2d(tensor([1, 4, 4, 2], { dtype: 'uint8', zeroPoint: 128 }),
    tensor([3, 2, 2, 2], { dtype: 'uint8', scale: [0.1, 0.1, 0.1], zeroPoint: [1, 2, 3], axis: 0 }), null, { scale: 0.2, zeroPoint: 128 }),
  RangeError, 'conv2d: filter.scale must be a single number for uint8 weights (per-tensor), got Float32Array(3)'],
  ['bias type', () => q.conv2d(x, filter, bad(new Float32Array(3)), out), TypeError, 'conv2d: bias must be an Int32Array or null, got Float32Array(3)'],
  ['bias length', () => q.conv2d(x, filter, new Int32Array(2), out), RangeError,
    'conv2d: bias must be of length 3 (one value per output channel), got Int32Array(2)'],
  ['output missing', () => q.conv2d(x, filter, null, bad(undefined)), TypeError,
    'conv2d: output must be quantization parameters { scale, zeroPoint }, got undefined'],
  ['output per-axis', () => q.conv2d(x, filter, null, bad({ scale: [0.1, 0.2], zeroPoint: [0, 0], axis: 0 })), RangeError,
    'conv2d: output.scale must be a single number (per-tensor), got [0.1,0.2]'],
  ['output zero point', () => q.conv2d(x, filter, null, { scale: 0.1, zeroPoint: 200 }), RangeError,
    'conv2d: output.zeroPoint must be an integer in [-128, 127] for int8, got 200'],
  ['opts type', () => q.conv2d(x, filter, null, out, bad('SAME')), TypeError, 'conv2d: opts must be an options object, got "SAME"'],
  ['strides type', () => q.conv2d(x, filter, null, out, { strides: bad(2) }), TypeError,
    'conv2d: opts.strides must be an array [height, width] of integers >= 1, got 2'],
  ['strides value', () => q.conv2d(x, filter, null, out, { strides: [0, 1] }), RangeError,
    'conv2d: opts.strides must be an array [height, width] of integers >= 1, got [0,1]'],
  ['dilations length', () => q.conv2d(x, filter, null, out, { dilations: bad([1, 1, 1]) }), RangeError,
    'conv2d: opts.dilations must be an array [height, width] of integers >= 1, got [1,1,1]'],
  ['padding', () => q.conv2d(x, filter, null, out, { padding: bad('same') }), RangeError,
    'conv2d: opts.padding must be one of \'SAME\', \'VALID\', got "same"'],
  ['activation', () => q.conv2d(x, filter, null, out, { activation: bad('TANH') }), RangeError,
    'conv2d: opts.activation must be one of \'NONE\', \'RELU\', \'RELU6\', \'RELU_N1_TO_1\', got "TANH"'],
  ['profile', () => q.conv2d(x, filter, null, out, { profile: bad('ruy') }), RangeError,
    'conv2d: opts.profile must be one of \'tflite-ref\', \'tflite-single\', \'xnnpack-fp32\', got "ruy"'],
  ['filter channels must divide input channels', () => q.conv2d(tensor([1, 4, 4, 6]), tensor([8, 3, 3, 4]), null, out, { padding: 'SAME' }),
    RangeError, 'conv2d: filter.shape [8,3,3,4] needs Cin 4 to divide input channels 6'],
  ['output channels a multiple of the groups', () => q.conv2d(tensor([1, 4, 4, 4]), tensor([3, 1, 1, 2]), null, out), RangeError,
    'conv2d: filter.shape [3,1,1,2] needs Cout 3 to be a multiple of the 2 groups (input channels 4 / Cin 2)'],
  ['VALID input smaller than the dilated filter', () => q.conv2d(x, tensor([3, 3, 2, 2]), null, out, { dilations: [2, 1] }), RangeError,
    'conv2d: input.shape must be at least the dilated filter extent 5x2 in height and width for padding \'VALID\', got [1,4,4,2]'],
  ['multiplier of 2^30 or more', () => q.conv2d(x, filter, null, { scale: 2 ** -40, zeroPoint: 0 }), RangeError,
    `conv2d: output.scale must be large enough that the real multiplier input scale * weight scale / output scale stays below 2^30, got ${f32(2 ** -40)}`],
  ['xnnpack-fp32 scale of 256 or more', () => q.conv2d(x, filter, null, { scale: 1e-6, zeroPoint: 0 }, { profile: 'xnnpack-fp32' }), RangeError,
    `conv2d: output.scale must be large enough that the xnnpack-fp32 requantization scale stays below 256, got ${f32(1e-6)}`],
  ['xnnpack-fp32 per-channel scale of 256 or more', () => q.conv2d(x, tensor([3, 2, 2, 2], { scale: [1e-3, 1e-2, 1e-3], zeroPoint: [0, 0, 0], axis: 0 }),
    null, { scale: 3e-6, zeroPoint: 0 }, { profile: 'xnnpack-fp32' }), RangeError,
  `conv2d: output.scale must be large enough that the xnnpack-fp32 requantization scale stays below 256 (channel 1), got ${f32(3e-6)}`],
];

const dwFilter = tensor([1, 2, 2, 4]);
const depthwise: Case[] = [
  ['filter leading dimension', () => q.depthwiseConv2d(x, tensor([2, 3, 3, 4]), null, out), RangeError,
    'depthwiseConv2d: filter.shape must be [1, KH, KW, Cin*M] with KH, KW, Cin*M >= 1, got [2,3,3,4]'],
  ['filter channels a multiple of input channels', () => q.depthwiseConv2d(tensor([1, 4, 4, 3]), dwFilter, null, out), RangeError,
    'depthwiseConv2d: filter.shape [1,2,2,4] needs Cin*M 4 to be a multiple of input channels 3'],
  ['depthMultiplier disagrees with the shapes', () => q.depthwiseConv2d(x, dwFilter, null, out, { depthMultiplier: 3 }), RangeError,
    'depthwiseConv2d: opts.depthMultiplier must be 2 (filter channels 4 / input channels 2), got 3'],
  ['depthMultiplier not an integer', () => q.depthwiseConv2d(x, dwFilter, null, out, { depthMultiplier: 1.5 }), RangeError,
    'depthwiseConv2d: opts.depthMultiplier must be an integer in [1, 2147483647], got 1.5'],
  ['filter axis', () => q.depthwiseConv2d(x, tensor([1, 2, 2, 4], { scale: [0.1, 0.1], zeroPoint: [0, 0], axis: 2 }), null, out), RangeError,
    'depthwiseConv2d: filter.axis must be 3 (the output channels) for per-channel weights, got 2'],
];

const weights = tensor([3, 4]);
const fc: Case[] = [
  ['weights rank', () => q.fullyConnected(x, tensor([2, 2, 2]), null, out), RangeError,
    'fullyConnected: weights.shape must be of rank 2 ([units, K]), got [2,2,2]'],
  ['weights empty dimension', () => q.fullyConnected(x, tensor([3, 0]), null, out), RangeError,
    'fullyConnected: weights.shape must be [units, K] with units, K >= 1, got [3,0]'],
  ['input elements a multiple of K', () => q.fullyConnected(tensor([2, 3]), weights, null, out), RangeError,
    'fullyConnected: input.shape [2,3] needs its 6 elements to be a multiple of K 4 (weights.shape[1])'],
  ['activation with raw output', () => q.fullyConnected(x, weights, null, null, { activation: 'RELU' }), RangeError,
    'fullyConnected: opts.activation must be \'NONE\' when output is null (raw int32 accumulators), got "RELU"'],
  ['weights axis', () => q.fullyConnected(x, tensor([3, 4], { scale: [0.1, 0.1, 0.1, 0.1], zeroPoint: [0, 0, 0, 0], axis: 1 }), null, out), RangeError,
    'fullyConnected: weights.axis must be 0 (the units) for per-channel weights, got 1'],
];

const pools: Case[] = [
  ['opts missing', () => q.maxPool2d(x, bad(undefined)), TypeError,
    'maxPool2d: opts must be an options object { filter, strides?, padding?, activation? }, got undefined'],
  ['filter missing', () => q.maxPool2d(x, bad({})), TypeError, 'maxPool2d: opts.filter must be an array [height, width] of integers >= 1, got undefined'],
  ['input rank', () => q.averagePool2d(tensor([4, 4]), { filter: [1, 1] }), RangeError, 'averagePool2d: input.shape must be of rank 4 (NHWC), got [4,4]'],
  ['VALID input smaller than the filter', () => q.averagePool2d(x, { filter: [5, 1] }), RangeError,
    'averagePool2d: input.shape must be at least the filter size 5x1 in height and width for padding \'VALID\', got [1,4,4,2]'],
];

const adds: Case[] = [
  ['dtype mismatch', () => q.add(x, tensor([1, 4, 4, 2], { dtype: 'uint8' }), out), RangeError, 'add: b.dtype must be \'int8\' like a.dtype, got "uint8"'],
  ['shapes not broadcastable', () => q.add(tensor([2, 3]), tensor([4]), out), RangeError,
    'add: b.shape must be broadcastable with a.shape [2,3] (numpy rules), got [4]'],
  ['rank above 6', () => q.add(tensor([1, 1, 1, 1, 1, 1, 2]), tensor([2]), out), RangeError, 'add: a.shape must be of rank at most 6, got [1,1,1,1,1,1,2]'],
  ['output multiplier of 1 or more', () => q.add(tensor([2], { scale: 1 }), tensor([2], { scale: 1 }), { scale: 1e-7, zeroPoint: 0 }), RangeError,
    `add: output.scale must be larger than 2 * max(a.scale, b.scale) / 2^20 (TFLite ADD needs an output multiplier below 1), got ${f32(1e-7)}`],
];

const softmaxes: Case[] = [
  ['uint8 input', () => q.softmax(tensor([2, 3], { dtype: 'uint8' })), RangeError, 'softmax: input.dtype must be \'int8\', got "uint8"'],
  ['scalar input', () => q.softmax(tensor([])), RangeError, 'softmax: input.shape must be of rank >= 1 (softmax runs over the last axis), got []'],
  ['beta type', () => q.softmax(tensor([2, 3]), { beta: bad('1') }), TypeError, 'softmax: opts.beta must be a number, got "1"'],
  ['beta not finite', () => q.softmax(tensor([2, 3]), { beta: Infinity }), RangeError, 'softmax: opts.beta must be a finite number, got Infinity'],
  ['beta not positive', () => q.softmax(tensor([2, 3]), { beta: 0 }), RangeError, 'softmax: opts.beta must be a number > 0 (as float32), got 0'],
  ['input scale too small', () => q.softmax(tensor([2, 3], { scale: 1e-9 })), RangeError,
    `softmax: input.scale must be large enough that beta * input.scale > 2^-26 (TFLite PreprocessSoftmaxScaling), got ${f32(1e-9)}`],
];

const convOp = (): q.PreparedOp => q.createConv2d({ filter: tensor([2, 2, 2, 2]), bias: null, input: { scale: 0.1, zeroPoint: 0 }, output: out });
const prepared: Case[] = [
  ['createConv2d parameters', () => q.createConv2d(bad(null)), TypeError,
    'createConv2d: p must be an object { filter, bias, input, output, ...options }, got null'],
  ['createConv2d input parameters', () => q.createConv2d(bad({ filter, bias: null, output: out })), TypeError,
    'createConv2d: p.input must be quantization parameters { scale, zeroPoint }, got undefined'],
  ['createConv2d options', () => q.createConv2d({ filter, bias: null, input: { scale: 0.1, zeroPoint: 0 }, output: out, strides: [1, 0] }), RangeError,
    'createConv2d: p.strides must be an array [height, width] of integers >= 1, got [1,0]'],
  ['createFullyConnected weights', () => q.createFullyConnected(bad({ weights: tensor([4]), bias: null, input: { scale: 0.1, zeroPoint: 0 }, output: out })),
    RangeError, 'createFullyConnected: p.weights.shape must be of rank 2 ([units, K]), got [4]'],
  ['run on a typed array of the other dtype', () => convOp().run(new Uint8Array(32), [1, 4, 4, 2]), TypeError,
    'conv2d.run: x must be a QTensor or an Int8Array (the prepared dtype is \'int8\'), got Uint8Array(32)'],
  ['run on raw codes without a shape', () => convOp().run(new Int8Array(32)), TypeError,
    'conv2d.run: shape must be an array of non-negative integers when x is a typed array, got undefined'],
  ['run on raw codes of the wrong length', () => convOp().run(new Int8Array(32), [1, 5, 3, 2]), RangeError,
    'conv2d.run: x must be of length 30 for shape [1,5,3,2], got Int8Array(32)'],
  ['run on another dtype', () => convOp().run(tensor([1, 4, 4, 2], { dtype: 'uint8' })), RangeError,
    'conv2d.run: x.dtype must be \'int8\' (the prepared dtype), got "uint8"'],
  ['run on another zero point', () => convOp().run(tensor([1, 4, 4, 2], { zeroPoint: 1 })), RangeError,
    'conv2d.run: x.zeroPoint must be 0 (the prepared input zero point), got 1'],
  ['run with a shape that is not x.shape', () => convOp().run(x, [2, 4, 2, 2]), RangeError,
    'conv2d.run: shape must be undefined or x.shape [1,4,4,2], got [2,4,2,2]'],
  ['run of rank other than 4', () => convOp().run(new Int8Array(32), [32]), RangeError, 'conv2d.run: x.shape must be of rank 4 (NHWC), got [32]'],
  ['run on input channels the filter does not divide', () => convOp().run(tensor([1, 4, 4, 3])), RangeError,
    'conv2d.run: p.filter.shape [2,2,2,2] needs Cin 2 to divide input channels 3'],
  ['out of the wrong type', () => convOp().run(x, undefined, new Int32Array(18)), TypeError, 'conv2d.run: out must be an Int8Array, got Int32Array(18)'],
  ['out of the wrong length', () => convOp().run(x, undefined, new Int8Array(5)), RangeError,
    'conv2d.run: out must be of length 18 for output shape [1,3,3,2], got Int8Array(5)'],
  ['raw fully connected out', () => q.createFullyConnected({ weights, bias: null, input: { scale: 0.1, zeroPoint: 0 }, output: null })
    .run(new Int8Array(8), undefined, bad(new Int8Array(6))), TypeError, 'fullyConnected.run: out must be an Int32Array, got Int8Array(6)'],
];

const groups: Array<[string, Case[]]> = [
  ['conv2d', conv], ['depthwiseConv2d', depthwise], ['fullyConnected', fc], ['pools', pools], ['add', adds], ['softmax', softmaxes],
  ['prepared operators', prepared],
];

for (const [name, cases] of groups) {
  describe(`${name} validation`, () => {
    for (const [title, call, errorClass, message] of cases) it(title, () => expectThrows(call, errorClass, message));
  });
}

describe('empty tensors are valid', () => {
  it('conv2d with batch 0, and SAME padding on height 0', () => {
    expect(q.conv2d(tensor([0, 4, 4, 2]), filter, null, out).shape).toEqual([0, 3, 3, 3]);
    expect(q.conv2d(tensor([1, 0, 4, 2]), filter, null, out, { padding: 'SAME' }).shape).toEqual([1, 0, 4, 3]);
  });
  it('fullyConnected of no rows, pools of no channels, add and softmax of no elements', () => {
    expect(q.fullyConnected(tensor([0, 4]), weights, null, out).shape).toEqual([0, 3]);
    expect(q.fullyConnected(tensor([0, 4]), weights, null, null)).toEqual(new Int32Array(0));
    expect(q.maxPool2d(tensor([1, 4, 4, 0]), { filter: [2, 2] }).shape).toEqual([1, 3, 3, 0]);
    expect(q.add(tensor([2, 0]), tensor([1]), out).shape).toEqual([2, 0]);
    expect(q.softmax(tensor([3, 0])).shape).toEqual([3, 0]);
  });
});
