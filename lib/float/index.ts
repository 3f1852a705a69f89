// The float32 operators of qint8 as one `float` namespace (for float layers and for measuring quantization
// error against the integer ops), plus quantizationError. Numerics: every sum is accumulated in float64 and
// rounded once to float32 when stored, so results are at least as accurate as TFLite's float32 kernels.
import { conv2d, depthwiseConv2d } from './conv';
import { fullyConnected } from './fully-connected';
import { averagePool2d, maxPool2d } from './pool';
import { add, softmax } from './elementwise';

export type { FloatConvOptions, FloatDepthwiseConvOptions } from './conv';
export type { FloatFullyConnectedOptions } from './fully-connected';
export type { FloatPoolOptions } from './pool';
export type { FloatAddOptions, FloatSoftmaxOptions } from './elementwise';
export { quantizationError } from './error';
export type { QuantizationError } from './error';

/** The float32 operators; same layouts, padding, defaults and argument checks as the integer ops. */
export interface FloatOps {
  readonly conv2d: typeof conv2d;
  readonly depthwiseConv2d: typeof depthwiseConv2d;
  readonly fullyConnected: typeof fullyConnected;
  readonly maxPool2d: typeof maxPool2d;
  readonly averagePool2d: typeof averagePool2d;
  readonly add: typeof add;
  readonly softmax: typeof softmax;
}

export const float: FloatOps = Object.freeze({ conv2d, depthwiseConv2d, fullyConnected, maxPool2d, averagePool2d, add, softmax });
