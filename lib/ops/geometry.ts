// Field indices of the Int32Array "geometry" that carries an operator's shapes, padding, offsets,
// clamps and profile to the kernels (native and pure-TS alike). Mirrors native/include/qint8/ops.h.

/** CONV_2D and DEPTHWISE_CONV_2D (NHWC input, TFLite filter layouts). */
export const enum ConvField {
  Batches = 0, InputHeight, InputWidth, InputChannels,
  OutputHeight, OutputWidth, OutputChannels,
  FilterHeight, FilterWidth, FilterChannels, // CONV: Cin / groups; DEPTHWISE: 1
  StrideHeight, StrideWidth, DilationHeight, DilationWidth,
  PadTop, PadLeft, // padding before; the trailing padding is implicit in the bounds checks
  InputOffset,     // -z_in
  FilterOffset,    // -z_w (uint8 legacy path; 0 for int8 weights)
  OutputOffset,    // z_out
  ActivationMin, ActivationMax,
  Profile,         // 0 tflite-ref, 1 tflite-single, 2 xnnpack-fp32
  DepthMultiplier, // DEPTHWISE: output channel oc reads input channel oc / DepthMultiplier; CONV: 1
  PerChannel,      // 1: multiplier/shift/scale hold OutputChannels entries; 0: one entry
  Count,
}

/** FULLY_CONNECTED: input [Batches, Depth] times weights [Units, Depth] transposed. */
export const enum FcField {
  Batches = 0, Depth, Units,
  InputOffset, FilterOffset, OutputOffset,
  ActivationMin, ActivationMax,
  Profile, PerChannel,
  Count,
}

/** MAX_POOL_2D and AVERAGE_POOL_2D. */
export const enum PoolField {
  Batches = 0, InputHeight, InputWidth, Channels,
  OutputHeight, OutputWidth,
  FilterHeight, FilterWidth, StrideHeight, StrideWidth,
  PadTop, PadLeft,
  ActivationMin, ActivationMax,
  Count,
}

/** Broadcasting tensors are described in this many dimensions (leading dimensions of size 1). */
export const ADD_RANK = 6;

/**
 * ADD (TFLite int8 arithmetic). OutputShape: ADD_RANK dims; StridesA/StridesB: ADD_RANK element strides
 * of each input over the output index space (0 along a broadcast dimension).
 */
export const enum AddField {
  OutputShape = 0,
  StridesA = 6,
  StridesB = 12,
  InputOffsetA = 18, InputOffsetB, OutputOffset,
  LeftShift,
  MultiplierA, ShiftA, MultiplierB, ShiftB, OutputMultiplier, OutputShift,
  ActivationMin, ActivationMax,
  Count,
}

/** SOFTMAX over the last axis: Rows x Depth; int8 output with scale 1/256, zero point -128. */
export const enum SoftmaxField {
  Rows = 0, Depth,
  InputMultiplier, InputLeftShift, DiffMin,
  Count,
}
