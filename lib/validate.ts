// Argument checks and the one error format of qint8: "<function>: <argument> <what was expected>, got <value>".
// TypeError for a wrong type, RangeError for a wrong shape, length, value or option.

/** Short, safe rendering of a received value for an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'boolean' || typeof value === 'symbol' || typeof value === 'function') return typeof value;
  if (ArrayBuffer.isView(value)) {
    const name = (value as object).constructor?.name ?? 'typed array';
    const length = (value as unknown as { length?: number }).length;
    return length === undefined ? name : `${name}(${length})`;
  }
  if (Array.isArray(value)) return arrayText(value, 1);
  return 'object';
}

/** A short array's numbers, and those of arrays nested up to `depth` levels ([[1,1],[0,2]]); longer ones by length. */
function arrayText(value: readonly unknown[], depth: number): string {
  if (value.length > 8) return `array(${value.length})`;
  return `[${value.map((v) => (typeof v === 'number' ? String(v) : Array.isArray(v) && depth > 0 ? arrayText(v, depth - 1) : typeof v)).join(',')}]`;
}

export function typeError(fn: string, arg: string, expected: string, value?: unknown): TypeError {
  return new TypeError(`${fn}: ${arg} must be ${expected}${arguments.length > 3 ? `, got ${describe(value)}` : ''}`);
}

export function rangeError(fn: string, arg: string, expected: string, value?: unknown): RangeError {
  return new RangeError(`${fn}: ${arg} must be ${expected}${arguments.length > 3 ? `, got ${describe(value)}` : ''}`);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** A plain options object or undefined; returns {} for undefined. */
export function optionsArg(fn: string, arg: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isObject(value) || Array.isArray(value) || ArrayBuffer.isView(value)) throw typeError(fn, arg, 'an options object', value);
  return value;
}

export function numberArg(fn: string, arg: string, value: unknown): number {
  if (typeof value !== 'number') throw typeError(fn, arg, 'a number', value);
  return value;
}

export function finiteArg(fn: string, arg: string, value: unknown): number {
  const v = numberArg(fn, arg, value);
  if (!Number.isFinite(v)) throw rangeError(fn, arg, 'a finite number', v);
  return v;
}

export function integerArg(fn: string, arg: string, value: unknown, lo: number, hi: number): number {
  const v = numberArg(fn, arg, value);
  if (!Number.isInteger(v) || v < lo || v > hi) throw rangeError(fn, arg, `an integer in [${lo}, ${hi}]`, v);
  return v;
}

export function booleanArg(fn: string, arg: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw typeError(fn, arg, 'a boolean', value);
  return value;
}

/** One of a fixed set of strings; `fallback` when undefined. */
export function enumArg<T extends string>(fn: string, arg: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw typeError(fn, arg, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  if (!(allowed as readonly string[]).includes(value)) {
    throw rangeError(fn, arg, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  }
  return value as T;
}

export function float32ArrayArg(fn: string, arg: string, value: unknown): Float32Array {
  // instanceof alone also accepts a Proxy or an object whose prototype is Float32Array.prototype
  if (!(value instanceof Float32Array) || !ArrayBuffer.isView(value)) throw typeError(fn, arg, 'a Float32Array', value);
  return value;
}

/** A shape: an array of non-negative safe integers; returns a frozen copy. */
export function shapeArg(fn: string, arg: string, value: unknown): readonly number[] {
  if (!Array.isArray(value)) throw typeError(fn, arg, 'an array of non-negative integers', value);
  for (const d of value) {
    if (typeof d !== 'number') throw typeError(fn, arg, 'an array of non-negative integers', value);
    if (!Number.isSafeInteger(d) || d < 0) throw rangeError(fn, arg, 'an array of non-negative integers', value);
  }
  const shape = Object.freeze(value.slice() as number[]);
  if (numel(shape) > 2 ** 40) throw rangeError(fn, arg, 'at most 2^40 elements', value);
  return shape;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** An axis index into a tensor of `rank`; negative values count from the end. */
export function axisArg(fn: string, arg: string, value: unknown, rank: number): number {
  const v = numberArg(fn, arg, value);
  if (!Number.isInteger(v) || v < -rank || v >= rank) throw rangeError(fn, arg, `an integer in [${-rank}, ${rank - 1}]`, v);
  return v < 0 ? v + rank : v;
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
