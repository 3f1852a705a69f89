// qint8: TensorFlow Lite's int8 integer arithmetic for Node.js, bit-exact, on a native addon or pure TypeScript.
export type { Activation, FTensor, Padding, Profile, QDType, QTensor, QuantParams, Rounding } from './types';
export { backend, setThreads } from './backend';
export type { BackendInfo } from './backend';
export { chooseQuantParams, choosePerAxisQuantParams } from './quant/params';
export type { ChooseOptions } from './quant/params';
export { quantize, dequantize, requantize } from './quant/quantize';
export { quantizeMultiplier, multiplyByQuantizedMultiplier } from './quant/multiplier';
export type { QuantizedMultiplier } from './quant/multiplier';
export { MinMaxObserver, MovingAverageMinMaxObserver, HistogramObserver } from './quant/observers';
export type { ObserverOptions, PerAxisParams, PerTensorParams } from './quant/observers';
export { foldBatchNorm } from './quant/batchnorm';
export type { FoldBatchNormParams } from './quant/batchnorm';
export { float, quantizationError } from './float';
export type { FloatOps, FloatConvOptions, FloatDepthwiseConvOptions, FloatFullyConnectedOptions, FloatPoolOptions, FloatAddOptions, FloatSoftmaxOptions, QuantizationError } from './float';
