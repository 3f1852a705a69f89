// gemmlowp's fixed-point exp and reciprocal (fixedpoint/fixedpoint.h) on int32 raw values, as TFLite's
// int8 SOFTMAX uses them: exp_on_negative_values for Q5.26 inputs and GetReciprocal of a Q12.19 sum.
// A FixedPoint<int32, n> is kept as its raw int32; n is named in each comment ("Qn" = n integer bits).
import { INT32_MAX, INT32_MIN, roundingDivideByPOT, saturatingRoundingDoublingHighMul } from './fixedpoint';

// Math's functions bound once: hot loops then avoid a global lookup per call (costly in vm contexts such as jest).
const { clz32: mathClz32, trunc: mathTrunc } = Math;

const srdhm = saturatingRoundingDoublingHighMul;

/** SaturatingRoundingMultiplyByPOT<exponent> for exponent in [1, 30]: x * 2^exponent saturated to int32. */
export function saturatingShiftLeft(x: number, exponent: number): number {
  const threshold = 2 ** (31 - exponent) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return x << exponent;
}

/** RoundingHalfSum(a, b): (a + b) / 2 rounded half away from zero, computed in 64 bits. Equals ARM VRHADD. */
export function roundingHalfSum(a: number, b: number): number {
  const sum = a + b; // exact: |sum| < 2^32
  return mathTrunc((sum + (sum >= 0 ? 1 : -1)) / 2) | 0;
}

/** exp(a) for a Q0 value a in [-1/4, 0): the Taylor expansion around -1/8 (result Q0). */
export function expOnIntervalBetweenNegativeOneQuarterAnd0Excl(a: number): number {
  const expMinusOneEighth = 1895147668; // exp(-1/8) in Q0
  const oneThird = 715827883; // 1/3 in Q0
  const x = (a + (1 << 28)) | 0; // a + 1/8
  const x2 = srdhm(x, x);
  const x3 = srdhm(x2, x);
  const x4 = srdhm(x2, x2);
  const x4Over4 = roundingDivideByPOT(x4, 2);
  const polynomial = roundingDivideByPOT((srdhm((x4Over4 + x3) | 0, oneThird) + x2) | 0, 1);
  return (expMinusOneEighth + srdhm(expMinusOneEighth, (x + polynomial) | 0)) | 0;
}

/** exp(-2^k) in Q0 for k = -2..4, the barrel-shifter factors of exp_on_negative_values. */
const EXP_OF_NEGATIVE_POWERS_OF_TWO: ReadonlyArray<[number, number]> = [
  [-2, 1672461947], [-1, 1302514674], [0, 790015084], [1, 290630308], [2, 39332535], [3, 720401], [4, 242],
];

/** exp(a) for a Q5.26 value a <= 0 (exp_on_negative_values with 5 integer bits); result Q0, exp(0) = INT32_MAX. */
export function expOnNegativeValuesQ5(a: number): number {
  const fractionalBits = 26;
  const oneQuarter = 1 << (fractionalBits - 2);
  const aModQuarterMinusOneQuarter = ((a & (oneQuarter - 1)) - oneQuarter) | 0;
  // Rescale<0> from 5 integer bits: a saturating multiply by 2^5
  let result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(saturatingShiftLeft(aModQuarterMinusOneQuarter, 5));
  const remainder = (aModQuarterMinusOneQuarter - a) | 0;
  for (const [exponent, factor] of EXP_OF_NEGATIVE_POWERS_OF_TWO) {
    if ((remainder & (1 << (fractionalBits + exponent))) !== 0) result = srdhm(result, factor);
  }
  return a === 0 ? INT32_MAX : result;
}

/** 1 / (1 + a) for a Q0 value a in [0, 1): Newton-Raphson division; result Q0. */
export function oneOverOnePlusXForXIn01(a: number): number {
  const halfDenominator = roundingHalfSum(a, INT32_MAX); // Q0
  const fortyEightOverSeventeen = 1515870810; // Q2
  const minusThirtyTwoOverSeventeen = -1010580540; // Q2
  const oneQ2 = 1 << 29;
  let x = (fortyEightOverSeventeen + srdhm(halfDenominator, minusThirtyTwoOverSeventeen)) | 0; // Q2
  for (let i = 0; i < 3; i++) {
    const halfDenominatorTimesX = srdhm(halfDenominator, x); // Q2
    const oneMinusHalfDenominatorTimesX = (oneQ2 - halfDenominatorTimesX) | 0; // Q2
    // Q2 * Q2 = Q4, Rescale<2>: a saturating multiply by 2^2
    x = (x + saturatingShiftLeft(srdhm(x, oneMinusHalfDenominatorTimesX), 2)) | 0;
  }
  // ExactMulByPot<-1> makes it Q1 (same raw); Rescale<0> from Q1 is a saturating multiply by 2
  return saturatingShiftLeft(x, 1);
}

/**
 * TFLite GetReciprocal(x, integerDigits): for x > 0 a Q(integerDigits) value, the Q0 raw of 1 / (x * 2^-bitsOverUnit)
 * and bitsOverUnit = integerDigits - (leading zeros of x), so that 1/x = result * 2^-bitsOverUnit.
 */
export function getReciprocal(x: number, integerDigits: number): { reciprocal: number; bitsOverUnit: number } {
  const headroomPlusOne = mathClz32(x);
  const bitsOverUnit = integerDigits - headroomPlusOne;
  // (uint32(x) << headroomPlusOne) - 2^31, as int32: the top bit flips
  const shiftedSumMinusOne = headroomPlusOne >= 32 ? INT32_MIN : ((x << headroomPlusOne) ^ INT32_MIN);
  return { reciprocal: oneOverOnePlusXForXIn01(shiftedSumMinusOne), bitsOverUnit };
}
