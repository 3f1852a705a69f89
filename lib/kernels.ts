// The active set of compute kernels: the native addon's, or the pure-TypeScript twins with the same signatures.
import type { NativeBinding, NativeProfile } from '../binding';
import { loaded } from './binding';
import * as fx from './js/fixedpoint';
import * as jsQuant from './js/quant';
import * as jsOps from './js/ops';

/** Everything lib/ computes through: the compute functions of binding.d.ts. */
export type Kernels = Pick<NativeBinding, 'quantizeMultiplier' | 'multiplyByQuantizedMultiplier' | 'multiplyByFloatScale' |
  'multiplyByQuantizedMultiplierInt64' | 'quantize' | 'dequantize' | 'requantize' |
  'conv2d' | 'conv2dAsync' | 'depthwiseConv2d' | 'depthwiseConv2dAsync' | 'fullyConnected' | 'fullyConnectedAsync' |
  'maxPool2d' | 'maxPool2dAsync' | 'averagePool2d' | 'averagePool2dAsync' | 'add' | 'addAsync' | 'softmax' | 'softmaxAsync'>;

export const jsKernels: Kernels = {
  quantizeMultiplier: (real: number, profile: NativeProfile) => fx.quantizeMultiplier(real, profile === 1),
  multiplyByQuantizedMultiplier: (x: number, m: number, shift: number, profile: NativeProfile) =>
    profile === 1 ? fx.multiplyByQuantizedMultiplierSingle(x, m, shift) : fx.multiplyByQuantizedMultiplierDouble(x, m, shift),
  multiplyByFloatScale: fx.multiplyByFloatScale,
  multiplyByQuantizedMultiplierInt64: fx.multiplyByQuantizedMultiplierInt64,
  quantize: jsQuant.quantize,
  dequantize: jsQuant.dequantize,
  requantize: jsQuant.requantize,
  conv2d: jsOps.conv2d,
  conv2dAsync: jsOps.conv2dAsync,
  depthwiseConv2d: jsOps.depthwiseConv2d,
  depthwiseConv2dAsync: jsOps.depthwiseConv2dAsync,
  fullyConnected: jsOps.fullyConnected,
  fullyConnectedAsync: jsOps.fullyConnectedAsync,
  maxPool2d: jsOps.maxPool2d,
  maxPool2dAsync: jsOps.maxPool2dAsync,
  averagePool2d: jsOps.averagePool2d,
  averagePool2dAsync: jsOps.averagePool2dAsync,
  add: jsOps.add,
  addAsync: jsOps.addAsync,
  softmax: jsOps.softmax,
  softmaxAsync: jsOps.softmaxAsync,
};

/** The native kernels when the addon loaded, else null. */
export const nativeKernels: Kernels | null = loaded.native;

let active: Kernels = nativeKernels ?? jsKernels;

/** The kernels every public function calls. */
export function kernels(): Kernels {
  return active;
}

/**
 * Runs `fn` with the given kernels active (used by tests and the benchmark to compare backends in one process).
 * @internal
 */
export function withKernels<T>(k: Kernels, fn: () => T): T {
  const previous = active;
  active = k;
  try {
    return fn();
  } finally {
    active = previous;
  }
}
