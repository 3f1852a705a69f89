// Every argument check of the float operators and quantizationError: one test per message, exact text and class.
import * as entry from '../../lib';
import { float, quantizationError } from '../../lib/float';
import type { FTensor, QTensor } from '../../lib/types';
import { ft, iota } from './helpers';

type Row = [string, () => unknown, typeof TypeError | typeof RangeError, string];

const x4 = iota([1, 3, 3, 2]);
const w4 = iota([4, 1, 1, 2]);
const dw = iota([1, 2, 2, 6]);
/** Calls with deliberately wrong types, past the compiler. */
const loose = <T>(v: unknown): T => v as T;

const conv: Row[] = [
  ['x not an object', () => float.conv2d(loose(null), w4, null), TypeError, 'float.conv2d: x must be a tensor { shape, data: Float32Array }, got null'],
  ['x.shape not an array', () => float.conv2d(loose({ shape: 4, data: new Float32Array(4) }), w4, null), TypeError, 'float.conv2d: x.shape must be an array of non-negative integers, got 4'],
  ['x.shape negative', () => float.conv2d(loose({ shape: [1, -1], data: new Float32Array(0) }), w4, null), RangeError, 'float.conv2d: x.shape must be an array of non-negative integers, got [1,-1]'],
  ['x.data not Float32Array', () => float.conv2d(loose({ shape: [2], data: new Int8Array(2) }), w4, null), TypeError, 'float.conv2d: x.data must be a Float32Array, got Int8Array(2)'],
  ['x.data wrong length', () => float.conv2d({ shape: [1, 2, 2, 1], data: new Float32Array(3) }, w4, null), RangeError, 'float.conv2d: x.data must be of length 4 for shape [1,2,2,1], got Float32Array(3)'],
  ['filter not a tensor', () => float.conv2d(x4, loose({ shape: [1] }), null), TypeError, 'float.conv2d: filter.data must be a Float32Array, got undefined'],
  ['x rank', () => float.conv2d(iota([1, 3, 3]), w4, null), RangeError, 'float.conv2d: x.shape must be of rank 4 [N,H,W,C], got [1,3,3]'],
  ['filter rank', () => float.conv2d(x4, iota([4, 1, 2]), null), RangeError, 'float.conv2d: filter.shape must be of rank 4 [Cout,KH,KW,Cin/groups], got [4,1,2]'],
  ['x without channels', () => float.conv2d(iota([1, 3, 3, 0]), w4, null), RangeError, 'float.conv2d: x.shape[3] must be >= 1 (shape [1,3,3,0]), got 0'],
  ['filter height 0', () => float.conv2d(x4, iota([4, 0, 1, 2]), null), RangeError, 'float.conv2d: filter.shape[1] must be >= 1 (shape [4,0,1,2]), got 0'],
  ['filter width 0', () => float.conv2d(x4, iota([4, 1, 0, 2]), null), RangeError, 'float.conv2d: filter.shape[2] must be >= 1 (shape [4,1,0,2]), got 0'],
  ['filter Cin not dividing input channels', () => float.conv2d(iota([1, 2, 2, 6]), iota([8, 3, 3, 4]), null), RangeError,
    'float.conv2d: filter.shape[3] must be a divisor of the input channels 6 (groups = input channels / filter.shape[3]), got 4'],
  ['filter Cin 0', () => float.conv2d(x4, iota([4, 1, 1, 0]), null), RangeError,
    'float.conv2d: filter.shape[3] must be a divisor of the input channels 2 (groups = input channels / filter.shape[3]), got 0'],
  ['Cout not a multiple of groups', () => float.conv2d(iota([1, 2, 2, 6]), iota([4, 1, 1, 2]), null), RangeError,
    'float.conv2d: filter.shape[0] must be a multiple of groups = 3 (input channels 6 / filter.shape[3] 2), got 4'],
  ['opts not an object', () => float.conv2d(x4, w4, null, loose(5)), TypeError, 'float.conv2d: opts must be an options object, got 5'],
  ['strides not an array', () => float.conv2d(x4, w4, null, loose({ strides: 2 })), TypeError,
    'float.conv2d: opts.strides must be an array [h, w] with integers in [1, 2147483647], got 2'],
  ['strides with a string', () => float.conv2d(x4, w4, null, loose({ strides: [1, '1'] })), TypeError,
    'float.conv2d: opts.strides must be an array [h, w] with integers in [1, 2147483647], got [1,string]'],
  ['strides 0', () => float.conv2d(x4, w4, null, { strides: [0, 1] }), RangeError, 'float.conv2d: opts.strides must be [h, w] with integers in [1, 2147483647], got [0,1]'],
  ['strides of length 3', () => float.conv2d(x4, w4, null, loose({ strides: [1, 1, 1] })), RangeError,
    'float.conv2d: opts.strides must be [h, w] with integers in [1, 2147483647], got [1,1,1]'],
  ['dilations fractional', () => float.conv2d(x4, w4, null, { dilations: [1.5, 1] }), RangeError,
    'float.conv2d: opts.dilations must be [h, w] with integers in [1, 2147483647], got [1.5,1]'],
  ['padding not a string', () => float.conv2d(x4, w4, null, loose({ padding: 1 })), TypeError, "float.conv2d: opts.padding must be one of 'SAME', 'VALID', got 1"],
  ['padding unknown', () => float.conv2d(x4, w4, null, loose({ padding: 'same' })), RangeError, 'float.conv2d: opts.padding must be one of \'SAME\', \'VALID\', got "same"'],
  ['activation unknown', () => float.conv2d(x4, w4, null, loose({ activation: 'RELU8' })), RangeError,
    'float.conv2d: opts.activation must be one of \'NONE\', \'RELU\', \'RELU6\', \'RELU_N1_TO_1\', got "RELU8"'],
  ['VALID output height negative', () => float.conv2d(iota([1, 1, 8, 1]), iota([1, 5, 1, 1]), null, { strides: [2, 1] }), RangeError,
    "float.conv2d: x.shape must be such that the 'VALID' output height is >= 0 (trunc((1 - 5 + 2) / 2) = -1, effective filter height 5), got [1,1,8,1]"],
  ['VALID output width negative (dilation)', () => float.conv2d(iota([1, 4, 1, 1]), iota([1, 1, 3, 1]), null, { dilations: [1, 2] }), RangeError,
    "float.conv2d: x.shape must be such that the 'VALID' output width is >= 0 (trunc((1 - 5 + 1) / 1) = -3, effective filter width 5), got [1,4,1,1]"],
  ['bias missing', () => float.conv2d(x4, w4, loose(undefined)), TypeError, 'float.conv2d: bias must be null or a Float32Array, got undefined'],
  ['bias Int32Array', () => float.conv2d(x4, w4, loose(new Int32Array(4))), TypeError, 'float.conv2d: bias must be null or a Float32Array, got Int32Array(4)'],
  ['bias length', () => float.conv2d(x4, w4, new Float32Array(3)), RangeError, 'float.conv2d: bias must be of length 4 (filter.shape[0]), got Float32Array(3)'],
  ['output too large', () => float.conv2d(iota([1, 1, 50000, 1]), ft([50000, 1, 1, 1], new Float32Array(50000)), null), RangeError,
    'float.conv2d: output.shape must be at most 2147483647 elements, got [1,1,50000,50000]'],
];

const depthwise: Row[] = [
  ['filter rank', () => float.depthwiseConv2d(x4, iota([1, 2, 6]), null), RangeError, 'float.depthwiseConv2d: filter.shape must be of rank 4 [1,KH,KW,Cin*M], got [1,2,6]'],
  ['filter.shape[0] not 1', () => float.depthwiseConv2d(x4, iota([2, 1, 1, 6]), null), RangeError,
    'float.depthwiseConv2d: filter.shape[0] must be 1 (filter layout [1,KH,KW,Cin*M]), got 2'],
  ['filter channels not a multiple of Cin', () => float.depthwiseConv2d(x4, iota([1, 2, 2, 3]), null), RangeError,
    'float.depthwiseConv2d: filter.shape[3] must be a positive multiple of the input channels 2 (Cin * depthMultiplier), got 3'],
  ['filter channels 0', () => float.depthwiseConv2d(x4, iota([1, 2, 2, 0]), null), RangeError,
    'float.depthwiseConv2d: filter.shape[3] must be a positive multiple of the input channels 2 (Cin * depthMultiplier), got 0'],
  ['depthMultiplier not a number', () => float.depthwiseConv2d(x4, dw, null, loose({ depthMultiplier: '3' })), TypeError,
    'float.depthwiseConv2d: opts.depthMultiplier must be a number, got "3"'],
  ['depthMultiplier 0', () => float.depthwiseConv2d(x4, dw, null, { depthMultiplier: 0 }), RangeError,
    'float.depthwiseConv2d: opts.depthMultiplier must be an integer in [1, 2147483647], got 0'],
  ['depthMultiplier inconsistent with the shapes', () => float.depthwiseConv2d(x4, dw, null, { depthMultiplier: 2 }), RangeError,
    'float.depthwiseConv2d: opts.depthMultiplier must be filter.shape[3] / input channels = 6 / 2 = 3, got 2'],
  ['bias length', () => float.depthwiseConv2d(x4, dw, new Float32Array(2)), RangeError,
    'float.depthwiseConv2d: bias must be of length 6 (filter.shape[3]), got Float32Array(2)'],
  ['VALID output negative', () => float.depthwiseConv2d(iota([1, 1, 1, 2]), iota([1, 1, 4, 2]), null), RangeError,
    "float.depthwiseConv2d: x.shape must be such that the 'VALID' output width is >= 0 (trunc((1 - 4 + 1) / 1) = -2, effective filter width 4), got [1,1,1,2]"],
];

const fc: Row[] = [
  ['weights rank', () => float.fullyConnected(iota([2, 4]), iota([2, 2, 2]), null), RangeError, 'float.fullyConnected: weights.shape must be of rank 2 [units, K], got [2,2,2]'],
  ['K = 0', () => float.fullyConnected(iota([2, 4]), iota([3, 0]), null), RangeError, 'float.fullyConnected: weights.shape[1] must be >= 1 (K, the input depth), got 0'],
  ['input not a multiple of K', () => float.fullyConnected(iota([2, 3]), iota([5, 4]), null), RangeError,
    'float.fullyConnected: x.shape must be a shape whose element count (6) is a multiple of K = 4 (weights.shape[1]), got [2,3]'],
  ['bias length', () => float.fullyConnected(iota([2, 4]), iota([5, 4]), new Float32Array(4)), RangeError,
    'float.fullyConnected: bias must be of length 5 (weights.shape[0]), got Float32Array(4)'],
  ['activation type', () => float.fullyConnected(iota([2, 4]), iota([5, 4]), null, loose({ activation: true })), TypeError,
    "float.fullyConnected: opts.activation must be one of 'NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1', got boolean"],
  ['weights data type', () => float.fullyConnected(iota([2, 4]), loose({ shape: [1, 4], data: [1, 2, 3, 4] }), null), TypeError,
    'float.fullyConnected: weights.data must be a Float32Array, got [1,2,3,4]'],
];

const pool: Row[] = [
  ['opts missing', () => float.maxPool2d(x4, loose(undefined)), TypeError, 'float.maxPool2d: opts must be an options object with filter: [h, w], got undefined'],
  ['opts not an object', () => float.maxPool2d(x4, loose('2x2')), TypeError, 'float.maxPool2d: opts must be an options object, got "2x2"'],
  ['filter missing', () => float.maxPool2d(x4, loose({})), TypeError, 'float.maxPool2d: opts.filter must be an array [h, w] with integers in [1, 2147483647], got undefined'],
  ['filter 0', () => float.averagePool2d(x4, { filter: [0, 2] }), RangeError, 'float.averagePool2d: opts.filter must be [h, w] with integers in [1, 2147483647], got [0,2]'],
  ['strides negative', () => float.averagePool2d(x4, { filter: [2, 2], strides: [1, -1] }), RangeError,
    'float.averagePool2d: opts.strides must be [h, w] with integers in [1, 2147483647], got [1,-1]'],
  ['x rank', () => float.averagePool2d(iota([3, 3]), { filter: [2, 2] }), RangeError, 'float.averagePool2d: x.shape must be of rank 4 [N,H,W,C], got [3,3]'],
  ['VALID output negative', () => float.maxPool2d(iota([1, 1, 3, 1]), { filter: [4, 1], strides: [1, 1] }), RangeError,
    "float.maxPool2d: x.shape must be such that the 'VALID' output height is >= 0 (trunc((1 - 4 + 1) / 1) = -2, effective filter height 4), got [1,1,3,1]"],
  ['padding unknown', () => float.maxPool2d(x4, loose({ filter: [2, 2], padding: 'FULL' })), RangeError, 'float.maxPool2d: opts.padding must be one of \'SAME\', \'VALID\', got "FULL"'],
];

const add: Row[] = [
  ['a rank > 6', () => float.add(iota([1, 1, 1, 1, 1, 1, 2]), iota([2])), RangeError, 'float.add: a.shape must be of rank at most 6, got [1,1,1,1,1,1,2]'],
  ['b rank > 6', () => float.add(iota([2]), iota([1, 1, 1, 1, 1, 1, 2])), RangeError, 'float.add: b.shape must be of rank at most 6, got [1,1,1,1,1,1,2]'],
  ['shapes not broadcastable', () => float.add(iota([2, 3]), iota([2])), RangeError,
    'float.add: b.shape must be broadcast-compatible with a.shape [2,3] (sizes aligned from the last dimension equal, or one of them 1), got [2]'],
  ['b not a tensor', () => float.add(iota([2]), loose([1, 2])), TypeError, 'float.add: b.shape must be an array of non-negative integers, got undefined'],
  ['activation unknown', () => float.add(iota([2]), iota([2]), loose({ activation: 'TANH' })), RangeError,
    'float.add: opts.activation must be one of \'NONE\', \'RELU\', \'RELU6\', \'RELU_N1_TO_1\', got "TANH"'],
  ['output too large', () => float.add(iota([50000, 1]), iota([1, 50000])), RangeError, 'float.add: output.shape must be at most 2147483647 elements, got [50000,50000]'],
];

const softmax: Row[] = [
  ['rank 0', () => float.softmax(ft([], [1])), RangeError, 'float.softmax: x.shape must be of rank >= 1 (softmax runs over the last axis), got []'],
  ['beta not a number', () => float.softmax(iota([2]), loose({ beta: '1' })), TypeError, 'float.softmax: opts.beta must be a number, got "1"'],
  ['beta 0', () => float.softmax(iota([2]), { beta: 0 }), RangeError, 'float.softmax: opts.beta must be a finite number > 0, got 0'],
  ['beta negative', () => float.softmax(iota([2]), { beta: -1 }), RangeError, 'float.softmax: opts.beta must be a finite number > 0, got -1'],
  ['beta infinite', () => float.softmax(iota([2]), { beta: Infinity }), RangeError, 'float.softmax: opts.beta must be a finite number > 0, got Infinity'],
  ['beta NaN', () => float.softmax(iota([2]), { beta: NaN }), RangeError, 'float.softmax: opts.beta must be a finite number > 0, got NaN'],
  ['opts an array', () => float.softmax(iota([2]), loose([1])), TypeError, 'float.softmax: opts must be an options object, got [1]'],
];

const ref: FTensor = iota([2, 2]);
const q: QTensor = { dtype: 'int8', shape: [2, 2], data: new Int8Array(4), scale: 0.5, zeroPoint: 0 };
const qerr: Row[] = [
  ['reference missing', () => quantizationError(loose(undefined), q), TypeError, 'quantizationError: reference must be a tensor { shape, data: Float32Array }, got undefined'],
  ['quantized not an object', () => quantizationError(ref, loose(3)), TypeError,
    'quantizationError: quantized must be a quantized tensor { dtype, shape, data, scale, zeroPoint }, got 3'],
  ['quantized data of the wrong dtype', () => quantizationError(ref, { ...q, data: new Uint8Array(4) }), TypeError,
    "quantizationError: quantized.data must be an Int8Array for dtype 'int8', got Uint8Array(4)"],
  ['quantized scale 0', () => quantizationError(ref, { ...q, scale: 0 }), RangeError, 'quantizationError: quantized.scale must be a finite number > 0 (as float32), got 0'],
  ['float candidate wrong length', () => quantizationError(ref, { shape: [2, 2], data: new Float32Array(3) }), RangeError,
    'quantizationError: quantized.data must be of length 4 for shape [2,2], got Float32Array(3)'],
  ['shapes differ (quantized)', () => quantizationError(ref, { ...q, shape: [4] }), RangeError, 'quantizationError: quantized.shape must be equal to reference.shape [2,2], got [4]'],
  ['shapes differ (float)', () => quantizationError(ref, iota([1, 2, 2])), RangeError, 'quantizationError: quantized.shape must be equal to reference.shape [2,2], got [1,2,2]'],
];

describe.each([
  ['float.conv2d', conv], ['float.depthwiseConv2d', depthwise], ['float.fullyConnected', fc], ['float.maxPool2d / averagePool2d', pool],
  ['float.add', add], ['float.softmax', softmax], ['quantizationError', qerr],
] as Array<[string, Row[]]>)('%s argument checks', (_fn, rows) => {
  it.each(rows)('%s', (_name, call, kind, message) => {
    let thrown: unknown;
    try {
      call();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(kind);
    expect((thrown as Error).message).toBe(message);
  });
});

it('the float namespace is frozen', () => {
  expect(Object.isFrozen(float)).toBe(true);
  expect(Object.keys(float).sort()).toEqual(['add', 'averagePool2d', 'conv2d', 'depthwiseConv2d', 'fullyConnected', 'maxPool2d', 'softmax']);
});

it('is exported from the package entry point', () => {
  expect(entry.float).toBe(float);
  expect(entry.quantizationError).toBe(quantizationError);
});
