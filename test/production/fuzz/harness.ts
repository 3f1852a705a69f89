// The hostile-input engine of fuzz.test.ts. A function under test is a Spec: a fast-check arbitrary of small
// *valid* calls (a recipe, turned into fresh arguments by make()), and the call itself. A run builds the valid
// call, checks it succeeds, then applies one mutation at one place in the arguments and checks the outcome:
//
//   'invalid'       must throw (or reject with) a TypeError / RangeError, or the Hostile sentinel that a
//                   booby-trapped getter or proxy threw: returning normally is silent acceptance
//   'same'          must succeed with exactly the valid call's result (extra properties, a frozen copy, an
//                   offset view over the same bytes)
//   'same-or-error' either the valid call's result or a TypeError / RangeError (a SharedArrayBuffer-backed
//                   copy, a getter that answers differently on its second read, an inherited field)
//   'any'           anything but a crash or a foreign error type (a value whose validity depends on context)
//
// In every case: no other error type, a sync function never returns a promise, an async one never throws
// synchronously, and no argument array is modified (nor `out` when the call fails: no half-written output).
import fc from 'fast-check';

/** What a booby-trapped getter or proxy throws: the caller's own exception, which qint8 must let through. */
export class Hostile extends Error {
  constructor(what: string) {
    super(`hostile ${what}`);
    this.name = 'Hostile';
  }
}

export type Expect = 'invalid' | 'same' | 'same-or-error' | 'any';

export interface Mutation {
  label: string;
  expect: Expect;
  /** The replacement value, built fresh on each call (getters and detaching have side effects). */
  value?: (v: unknown) => unknown;
  /** Instead of a value: installs something on the parent (a getter). */
  install?: (parent: Record<string | number, unknown>, key: string | number, v: unknown) => void;
  /** Removes the key. */
  remove?: boolean;
}

/** What kind of value a place holds; decides which hostile values are certainly invalid there. */
export type Kind =
  | 'dim' | 'pairElem' | 'scale' | 'zp' | 'axisParam' | 'axisArg' | 'obsAxis' | 'depthMultiplier' | 'bins' | 'momentum'
  | 'percentile' | 'epsilon' | 'beta' | 'finite' | 'int32' | 'multiplier' | 'shift' | 'threads' | 'enum' | 'bool' | 'bigint47'
  | 'tensorData' | 'floatData' | 'freeBytes' | 'freeFloats' | 'bias' | 'fbias' | 'vector' | 'scaleList' | 'zpList'
  | 'shape' | 'pair' | 'object' | 'opaque';

export interface Spec {
  /** Public name; qint8's error messages start with it (or one of `prefixes`). */
  name: string;
  prefixes?: string[];
  /** Names of the positional arguments (the top-level keys of a place). */
  argNames: string[];
  arb: fc.Arbitrary<unknown>;
  make: (recipe: never) => unknown[];
  call: (args: unknown[]) => unknown;
  /** The async twin, called with its own fresh mutated arguments; its outcome must equal the sync one. */
  asyncCall?: (args: unknown[]) => unknown;
  /** Only asynchronous (returns a promise; must never throw synchronously). */
  async?: boolean;
  /** Kind overrides by argument or key name. */
  kinds?: Record<string, Kind>;
  /** Keys where null is a valid value (with another meaning) / where undefined or absence is. */
  nullable?: string[];
  optional?: string[];
  /** Keys whose typed array may be written by the call (caller-owned out). */
  outKeys?: string[];
  /** A NaN inside float data is invalid here (calibration) instead of defined (quantize: NaN -> zero point). */
  nanInvalid?: boolean;
  numRuns?: number;
}

const INT_TYPE_JUNK = (): unknown[] => ['1', {}, true, 1n];
const NUM_JUNK = (): unknown[] => ['1', {}, true, 1n];

/** Values that are certainly invalid for a numeric place of each kind. */
const INVALID_NUMBERS: Partial<Record<Kind, unknown[]>> = {
  dim: [NaN, Infinity, -1, 1.5, 2 ** 53, -0.5],
  pairElem: [NaN, Infinity, 0, -1, 1.5, 2 ** 31],
  scale: [NaN, Infinity, -Infinity, 0, -1, 1e-50, 1e39, -0],
  zp: [NaN, Infinity, 1.5, 1000, -1000, 2 ** 53],
  axisParam: [NaN, 1.5, 1000, -1000, Infinity],
  axisArg: [NaN, 1.5, 1000, -1000, Infinity],
  obsAxis: [NaN, 1.5, -1, 65, Infinity],
  depthMultiplier: [NaN, 0, -1, 1.5, Infinity],
  bins: [NaN, 15, 0, -1, 1.5, 2 ** 21, Infinity],
  momentum: [NaN, Infinity, 0, -1, 1.5, -Infinity],
  percentile: [NaN, Infinity, 50, 101, -1],
  epsilon: [NaN, Infinity, -1, -Infinity],
  beta: [NaN, Infinity, -Infinity, 0, -1],
  finite: [NaN, Infinity, -Infinity],
  int32: [NaN, Infinity, 1.5, 2 ** 31, -(2 ** 31) - 1],
  multiplier: [NaN, Infinity, -Infinity],
  shift: [NaN, 31, -32, 1.5, Infinity],
  threads: [NaN, 0, -1, 1.5, 1025, Infinity],
  bigint47: [2n ** 47n, -(2n ** 47n), 2n ** 64n],
};

/** A detached copy of a typed array (its buffer transferred away). */
function detached(v: ArrayBufferView): ArrayBufferView {
  const ctor = v.constructor as new (n: number) => ArrayBufferView;
  const copy = new ctor((v as unknown as { length: number }).length);
  structuredClone(copy.buffer, { transfer: [copy.buffer as ArrayBuffer] });
  return copy;
}

/** The same elements in another class of typed array. */
const OTHER_CLASS: Record<string, () => new (n: number) => ArrayBufferView> = {
  Int8Array: () => Uint8Array,
  Uint8Array: () => Int8Array,
  Int32Array: () => Uint32Array,
  Float32Array: () => Float64Array,
  Float64Array: () => Float32Array,
  Uint32Array: () => Int32Array,
};

function typedCopy(v: ArrayBufferView, ctor: new (n: number) => ArrayBufferView, length: number): ArrayBufferView {
  const out = new ctor(length) as unknown as { [i: number]: number };
  const src = v as unknown as { [i: number]: number; length: number };
  for (let i = 0; i < Math.min(length, src.length); i++) out[i] = src[i];
  return out as unknown as ArrayBufferView;
}

/** The same elements in a SharedArrayBuffer. */
function shared(v: ArrayBufferView): ArrayBufferView {
  const ctor = v.constructor as new (b: SharedArrayBuffer, o: number, n: number) => ArrayBufferView;
  const n = (v as unknown as { length: number }).length;
  const copy = new ctor(new SharedArrayBuffer(v.byteLength), 0, n);
  new Uint8Array(copy.buffer, 0, v.byteLength).set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  return copy;
}

/** The same elements at a non-zero, odd-aligned... (aligned to the element size) offset inside a larger buffer. */
function offsetView(v: ArrayBufferView): ArrayBufferView {
  const ctor = v.constructor as unknown as { new (b: ArrayBuffer, o: number, n: number): ArrayBufferView; BYTES_PER_ELEMENT: number };
  const n = (v as unknown as { length: number }).length;
  const pad = 3 * ctor.BYTES_PER_ELEMENT;
  const buffer = new ArrayBuffer(v.byteLength + 2 * pad);
  new Uint8Array(buffer).fill(0xa5);
  const view = new ctor(buffer, pad, n);
  new Uint8Array(buffer, pad, v.byteLength).set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  return view;
}

/** A proxy whose every trap throws Hostile. */
function hostileProxy(target: object): unknown {
  const trap = (what: string) => () => {
    throw new Hostile(what);
  };
  return new Proxy(target, {
    get: trap('get'), has: trap('has'), ownKeys: trap('ownKeys'), getOwnPropertyDescriptor: trap('getOwnPropertyDescriptor'),
    getPrototypeOf: trap('getPrototypeOf'), apply: trap('apply'),
  });
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
    for (const k of Object.keys(v as object)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer);
}

/** Key-name defaults (a spec's `kinds` come first). */
const KEY_KINDS: Record<string, Kind> = {
  zeroPoint: 'zp', axis: 'axisParam', depthMultiplier: 'depthMultiplier', bins: 'bins', momentum: 'momentum',
  percentile: 'percentile', epsilon: 'epsilon', beta: 'beta', dtype: 'enum', padding: 'enum', activation: 'enum',
  profile: 'enum', rounding: 'enum', method: 'enum', symmetric: 'bool', narrowRange: 'bool', strides: 'pair',
  dilations: 'pair', shape: 'shape', scale: 'scale', bias: 'bias', data: 'tensorData', gamma: 'vector', mean: 'vector',
  variance: 'vector',
};

export interface Place {
  path: Array<string | number>;
  key: string | number;
  kind: Kind;
  value: unknown;
  /** The name used for nullable / optional lookups (also tried as `parent.name`). */
  name: string;
  parent?: string;
}

function kindOf(spec: Spec, name: string, parentName: string | undefined, value: unknown): Kind {
  const override = spec.kinds?.[name];
  const dataKinds: Kind[] = ['tensorData', 'floatData', 'freeBytes', 'freeFloats', 'bias', 'fbias', 'vector'];
  if (override !== undefined && (!dataKinds.includes(override) || ArrayBuffer.isView(value))) return override;
  if (parentName !== undefined && name.endsWith('[]') && typeof value === 'number') {
    if (parentName === 'shape') return 'dim';
    if (parentName === 'strides' || parentName === 'dilations' || parentName === 'filter') return 'pairElem';
    if (parentName === 'scale') return 'scale';
    if (parentName === 'zeroPoint') return 'zp';
  }
  if (name === 'filter' && Array.isArray(value)) return 'pair';
  if (name === 'scale' && (Array.isArray(value) || ArrayBuffer.isView(value))) return 'scaleList';
  if (name === 'zeroPoint' && (Array.isArray(value) || ArrayBuffer.isView(value))) return 'zpList';
  if (name === 'beta' && value instanceof Float32Array) return 'vector';
  if (name === 'bias' && value instanceof Float32Array) return 'fbias';
  if (name === 'data' && value instanceof Float32Array) return 'floatData';
  const k = KEY_KINDS[name];
  if (k !== undefined) return k;
  if (ArrayBuffer.isView(value)) return value instanceof Float32Array ? 'floatData' : 'tensorData';
  if (isPlainObject(value)) return 'object';
  return 'opaque';
}

/** Every place in the arguments that a mutation may hit (depth-first, typed arrays as leaves). */
export function places(spec: Spec, args: unknown[]): Place[] {
  const out: Place[] = [];
  const walk = (value: unknown, path: Array<string | number>, name: string, parentName: string | undefined, depth: number) => {
    const kind = kindOf(spec, name, parentName, value);
    out.push({ path, key: path[path.length - 1], kind, value, name, parent: parentName });
    if (depth >= 4 || value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return;
    if (Array.isArray(value)) {
      if (value.length <= 8) value.forEach((v, i) => walk(v, [...path, i], `${name}[]`, name, depth + 1));
      return;
    }
    for (const k of Object.keys(value)) walk((value as Record<string, unknown>)[k], [...path, k], k, name, depth + 1);
  };
  args.forEach((a, i) => walk(a, [i], spec.argNames[i] ?? `#${i}`, undefined, 0));
  return out;
}

const same = (label: string, value: (v: unknown) => unknown): Mutation => ({ label, expect: 'same', value });
const invalid = (label: string, value: (v: unknown) => unknown): Mutation => ({ label, expect: 'invalid', value });

/** The mutations that apply at a place, each with what must happen. */
export function mutationsFor(spec: Spec, place: Place): Mutation[] {
  const { kind, value: v, name } = place;
  const listed = (list?: string[]) => list !== undefined && (list.includes(name) || list.includes(`${place.parent}.${name}`));
  const nullable = listed(spec.nullable);
  const optional = listed(spec.optional);
  const topLevel = place.path.length === 1;
  const m: Mutation[] = [];
  // absence and null
  m.push({ label: 'undefined', expect: optional || nullable && name === 'bias' ? 'any' : 'invalid', value: () => undefined });
  if (!topLevel) m.push({ label: 'deleted', expect: optional || nullable && name === 'bias' ? 'any' : 'invalid', remove: true });
  m.push({ label: 'null', expect: nullable ? 'any' : 'invalid', value: () => null });
  // getters on the parent object: one that throws, one that answers right once and then lies
  if (!topLevel) {
    m.push({
      label: 'throwing getter', expect: 'invalid',
      install: (parent, key) => Object.defineProperty(parent, key, { get() { throw new Hostile(`getter ${String(key)}`); }, enumerable: true, configurable: true }),
    });
    m.push({
      label: 'getter valid once, then hostile', expect: 'same-or-error',
      install: (parent, key, orig) => {
        let reads = 0;
        const liar = lieFor(kind, orig);
        Object.defineProperty(parent, key, { get() { return reads++ === 0 ? orig : liar; }, enumerable: true, configurable: true });
      },
    });
  }
  const numbers = INVALID_NUMBERS[kind];
  if (numbers !== undefined) {
    for (const n of numbers) m.push(invalid(`${typeof n === 'bigint' ? `${n}n` : Object.is(n, -0) ? '-0' : String(n)}`, () => n));
    for (const j of (kind === 'bigint47' ? ['1', {}, true] : typeof v === 'number' && Number.isInteger(v) ? INT_TYPE_JUNK() : NUM_JUNK())) {
      m.push(invalid(`junk ${typeof j === 'bigint' ? `${j}n` : JSON.stringify(j)}`, () => j));
    }
  }
  switch (kind) {
    case 'enum':
      for (const s of ['bogus', '', `${String(v)} `, String(v).toUpperCase() === v ? String(v).toLowerCase() : String(v).toUpperCase()]) {
        if (s !== v) m.push(invalid(`string ${JSON.stringify(s)}`, () => s));
      }
      for (const j of [1, {}, true, ['NONE']]) m.push(invalid(`junk ${typeof j}`, () => j));
      break;
    case 'bool':
      for (const j of ['true', 1, 0, {}]) m.push(invalid(`junk ${JSON.stringify(j)}`, () => j));
      break;
    case 'shape': {
      if (!Array.isArray(v)) break;
      const shape = v as number[];
      const n = shape.reduce((a, b) => a * b, 1);
      m.push(invalid('string', () => 'x'), invalid('object', () => ({ length: shape.length })), invalid('Int32Array', () => Int32Array.from(shape)));
      m.push(invalid('[-1]', () => [-1]), invalid('[NaN]', () => [NaN]));
      if (n >= 1) {
        m.push(invalid('one more dim of 2', () => [...shape, 2]));
        m.push(invalid('holes', () => new Array(shape.length + 1)));
        m.push({ label: 'proxy', expect: 'invalid', value: () => hostileProxy(shape.slice()) });
      }
      m.push(same('frozen copy', () => Object.freeze(shape.slice())));
      break;
    }
    case 'pair':
      m.push(invalid('[1]', () => [1]), invalid('[1,1,1]', () => [1, 1, 1]), invalid('[]', () => []), invalid('string', () => '1,1'));
      m.push(invalid('Int32Array', () => Int32Array.from(v as number[])), invalid('{0,1,length}', () => ({ 0: 1, 1: 1, length: 2 })));
      m.push({ label: 'proxy', expect: 'invalid', value: () => hostileProxy((v as number[]).slice()) });
      m.push(same('frozen copy', () => Object.freeze((v as number[]).slice())));
      break;
    case 'scaleList':
    case 'zpList': {
      const list = v as ArrayLike<number>;
      m.push(invalid('[]', () => []), invalid('one more', () => [...Array.from(list), kind === 'scaleList' ? 0.5 : 0]));
      m.push(invalid('string', () => 'x'), invalid('DataView', () => new DataView(new ArrayBuffer(list.length * 4))));
      m.push(same('Float64Array copy', () => Float64Array.from(list)), same('frozen copy', () => Object.freeze(Array.from(list))));
      m.push({ label: 'proxy', expect: 'invalid', value: () => hostileProxy(Array.from(list)) });
      break;
    }
    case 'tensorData':
    case 'floatData':
    case 'freeBytes':
    case 'freeFloats':
    case 'bias':
    case 'fbias':
    case 'vector': {
      if (!ArrayBuffer.isView(v)) break;
      const a = v as unknown as { length: number; constructor: new (n: number) => ArrayBufferView };
      const free = kind === 'freeBytes' || kind === 'freeFloats';
      const lengthExpect: Expect = free ? 'any' : 'invalid';
      const other = OTHER_CLASS[a.constructor.name];
      if (other !== undefined) m.push(invalid(`as ${other().name}`, () => typedCopy(v, other(), a.length)));
      m.push(invalid('plain array', () => Array.from(v as unknown as ArrayLike<number>)));
      m.push(invalid('DataView', () => new DataView((v as ArrayBufferView).buffer.slice(0) as ArrayBuffer)));
      m.push(invalid('ArrayBuffer', () => (v as ArrayBufferView).buffer.slice(0)));
      m.push({ label: 'one element longer', expect: lengthExpect, value: () => typedCopy(v, a.constructor, a.length + 1) });
      if (a.length >= 1) {
        m.push({ label: 'one element shorter', expect: lengthExpect, value: () => typedCopy(v, a.constructor, a.length - 1) });
        m.push({ label: 'detached', expect: lengthExpect, value: () => detached(v) });
      }
      m.push({ label: 'SharedArrayBuffer-backed', expect: 'same-or-error', value: () => shared(v) });
      m.push(same('offset view into a larger buffer', () => offsetView(v)));
      m.push({ label: 'proxy of the typed array', expect: 'same-or-error', value: () => new Proxy(typedCopy(v, a.constructor, a.length), {}) });
      if (v instanceof Float32Array && a.length >= 1) {
        m.push({ label: 'NaN inside', expect: spec.nanInvalid ? 'invalid' : 'any', value: () => { const c = v.slice(); c[0] = NaN; return c; } });
        m.push({ label: 'Infinity inside', expect: spec.nanInvalid ? 'invalid' : 'any', value: () => { const c = v.slice(); c[c.length - 1] = -Infinity; return c; } });
      }
      break;
    }
    case 'object': {
      const o = v as Record<string, unknown>;
      m.push(invalid('number', () => 42), invalid('string', () => 'tensor'), invalid('array', () => []), invalid('function', () => () => o));
      m.push({ label: 'proxy that throws', expect: 'invalid', value: () => hostileProxy({ ...o }) });
      m.push(same('extra properties', () => ({ ...o, extra: 1, [Symbol('s')]: 2, __extra__: { nested: true } })));
      m.push(same('frozen', () => deepFreeze(structuredCloneLoose(o))));
      m.push({ label: 'fields inherited from the prototype', expect: 'same-or-error', value: () => Object.create(o) });
      break;
    }
    default:
      break;
  }
  return m;
}

/** A deep copy that keeps typed arrays (copied) and plain values. */
export function structuredCloneLoose<T>(v: T): T {
  if (ArrayBuffer.isView(v)) return (v as unknown as { slice: () => T }).slice();
  if (Array.isArray(v)) return v.map((e) => structuredCloneLoose(e)) as unknown as T;
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = structuredCloneLoose(v[k]);
    return out as T;
  }
  return v;
}

/** What a lying getter answers on its second read: something certainly wrong for the place. */
function lieFor(kind: Kind, orig: unknown): unknown {
  if (ArrayBuffer.isView(orig)) return new Float64Array(1 << 10);
  if (Array.isArray(orig)) return [1 << 20, 1 << 20];
  if (typeof orig === 'number') return NaN;
  if (typeof orig === 'string') return 'bogus';
  if (typeof orig === 'boolean') return 'yes';
  if (kind === 'object') return null;
  return { hostile: true };
}

/** Applies a mutation at a place of freshly made arguments. */
export function applyMutation(args: unknown[], place: Place, mutation: Mutation): void {
  let parent: Record<string | number, unknown> = args as unknown as Record<string | number, unknown>;
  for (const k of place.path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const key = place.path[place.path.length - 1];
  const orig = parent[key];
  if (mutation.remove) {
    delete parent[key];
  } else if (mutation.install) {
    mutation.install(parent, key, orig);
  } else if (mutation.value) {
    parent[key] = mutation.value(orig);
  }
}

// --- outcomes --------------------------------------------------------------------------------------------

export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/** Calls and settles; `problems` receives contract violations about sync/async behaviour. */
export async function settle(fn: () => unknown, isAsync: boolean, problems: string[]): Promise<Outcome> {
  let r: unknown;
  try {
    r = fn();
  } catch (error) {
    if (isAsync) problems.push(`async function threw synchronously: ${describeError(error)}`);
    return { ok: false, error };
  }
  if (isThenable(r) !== isAsync) problems.push(isAsync ? 'async function did not return a promise' : 'sync function returned a promise');
  if (!isThenable(r)) return { ok: true, value: r };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const never = new Promise<'never'>((resolve) => { timer = setTimeout(() => resolve('never'), SETTLE_TIMEOUT_MS); });
  try {
    const value = await Promise.race([r, never]);
    if (value === 'never') {
      problems.push(`the promise did not settle within ${SETTLE_TIMEOUT_MS} ms`);
      return { ok: false, error: new Error('never settled') };
    }
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}

const SETTLE_TIMEOUT_MS = 5000;

export function errorName(e: unknown): string {
  if (e instanceof Hostile || (e as Error)?.name === 'Hostile') return 'Hostile';
  if (Object.prototype.toString.call(e) !== '[object Error]') return `non-error ${typeof e}`;
  return (e as Error).name;
}

export function describeError(e: unknown): string {
  return `${errorName(e)}: ${(e as Error)?.message ?? String(e)}`;
}

/** A canonical text of a result, for equality (typed arrays by class and contents, NaN and -0 exact). */
export function canon(v: unknown, depth = 0): string {
  if (depth > 8) return '…';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? String(v);
  if (ArrayBuffer.isView(v)) {
    const a = v as unknown as ArrayLike<number>;
    return `${v.constructor.name}[${Array.from(a, (x) => (Object.is(x, -0) ? '-0' : String(x))).join(',')}]`;
  }
  if (Array.isArray(v)) return `[${v.map((e) => canon(e, depth + 1)).join(',')}]`;
  return `{${Object.keys(v).sort().map((k) => `${k}:${canon((v as Record<string, unknown>)[k], depth + 1)}`).join(',')}}`;
}

/** The typed arrays reachable in the arguments, with a copy of their bytes (readable ones only). */
export function snapshotArrays(args: unknown[], outKeys: string[], argNames: string[] = []): Array<{ view: ArrayBufferView; bytes: Uint8Array; out: boolean; where: string }> {
  const found: Array<{ view: ArrayBufferView; bytes: Uint8Array; out: boolean; where: string }> = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown, where: string, out: boolean, depth: number) => {
    if (v === null || typeof v !== 'object' || seen.has(v) || depth > 5) return;
    seen.add(v);
    if (util.types.isProxy(v)) return;
    if (ArrayBuffer.isView(v)) {
      try {
        found.push({ view: v, bytes: new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice(), out, where });
      } catch {
        // detached: nothing to compare
      }
      return;
    }
    for (const k of Object.keys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, k);
      if (d && 'value' in d) walk(d.value, `${where}.${k}`, out || outKeys.includes(k), depth + 1);
    }
  };
  args.forEach((a, i) => walk(a, argNames[i] ?? `#${i}`, outKeys.includes(argNames[i]), 0));
  return found;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const util = require('util') as typeof import('util');

export function changedArrays(snapshot: ReturnType<typeof snapshotArrays>, includeOut: boolean): string[] {
  const changed: string[] = [];
  for (const s of snapshot) {
    if (s.out && !includeOut) continue;
    let now: Uint8Array;
    try {
      now = new Uint8Array(s.view.buffer, s.view.byteOffset, s.view.byteLength);
    } catch {
      continue;
    }
    if (now.length !== s.bytes.length || now.some((b, i) => b !== s.bytes[i])) changed.push(s.where);
  }
  return changed;
}
