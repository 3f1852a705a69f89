// Running whole int8 .tflite models: loadTflite and the types of the model it returns.
export { loadTflite } from './model';
export type { InspectedTensor, TfliteLoadOptions, TensorInfo, TfliteInput, TfliteModel, TfliteOutput } from './model';
