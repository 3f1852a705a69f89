// A bounds-checked view of a flatbuffer on top of the flatbuffers package's ByteBuffer: every table,
// vtable, field, string and vector is checked to lie inside the bytes before it is read, so a truncated
// or corrupted file gives a RangeError naming the field, never an out-of-range read or a huge allocation.
import { ByteBuffer } from 'flatbuffers';

/** The error every malformed-file check throws: "loadTflite: <where> <what is wrong>". */
export function formatError(where: string, problem: string): RangeError {
  return new RangeError(`loadTflite: ${where} ${problem}`);
}

export class FbReader {
  readonly bb: ByteBuffer;
  readonly length: number;

  constructor(readonly bytes: Uint8Array) {
    this.bb = new ByteBuffer(bytes);
    this.length = bytes.length;
  }

  /** Throws unless [pos, pos + size) lies inside the buffer. */
  check(pos: number, size: number, where: string): void {
    if (!(pos >= 0 && size >= 0 && pos + size <= this.length)) {
      throw formatError(where, `lies outside the file (bytes ${pos}..${pos + size} of ${this.length}); the file is truncated or corrupted`);
    }
  }

  u32(pos: number, where: string): number {
    this.check(pos, 4, where);
    return this.bb.readUint32(pos);
  }

  /** The root table (uoffset at byte 0). */
  root(where: string): Table {
    if (this.length < 8) throw formatError(where, `needs at least 8 bytes, the file has ${this.length}`);
    return this.table(this.u32(0, where), where);
  }

  /** The table at `pos`, its vtable checked. */
  table(pos: number, where: string): Table {
    this.check(pos, 4, where);
    const vtable = pos - this.bb.readInt32(pos);
    this.check(vtable, 4, `${where} (its vtable)`);
    const vtableSize = this.bb.readUint16(vtable);
    const objectSize = this.bb.readUint16(vtable + 2);
    if (vtableSize < 4 || vtableSize % 2 !== 0) throw formatError(where, `has a malformed vtable (size ${vtableSize})`);
    this.check(vtable, vtableSize, `${where} (its vtable)`);
    if (objectSize < 4) throw formatError(where, `has a malformed vtable (object size ${objectSize})`);
    this.check(pos, objectSize, where);
    return new Table(this, pos, vtable, vtableSize, objectSize, where);
  }
}

/** The start and element count of a vector whose elements are `elementSize` bytes. */
export interface VectorRef {
  start: number;
  length: number;
}

export class Table {
  constructor(readonly r: FbReader, readonly pos: number, private readonly vtable: number, private readonly vtableSize: number,
    private readonly objectSize: number, readonly where: string) {}

  /** The field's byte offset inside the table, or 0 when absent; the field's `size` bytes are checked. */
  private field(slot: number, size: number, name: string): number {
    const entry = 4 + 2 * slot;
    if (entry + 2 > this.vtableSize) return 0;
    const offset = this.r.bb.readUint16(this.vtable + entry);
    if (offset === 0) return 0;
    if (offset + size > this.objectSize) throw formatError(`${this.where}.${name}`, `lies outside its table (offset ${offset}, table size ${this.objectSize})`);
    return offset;
  }

  has(slot: number): boolean {
    const entry = 4 + 2 * slot;
    return entry + 2 <= this.vtableSize && this.r.bb.readUint16(this.vtable + entry) !== 0;
  }

  int8(slot: number, name: string, fallback: number): number {
    const o = this.field(slot, 1, name);
    return o === 0 ? fallback : this.r.bb.readInt8(this.pos + o);
  }

  uint8(slot: number, name: string, fallback: number): number {
    const o = this.field(slot, 1, name);
    return o === 0 ? fallback : this.r.bb.readUint8(this.pos + o);
  }

  bool(slot: number, name: string, fallback: boolean): boolean {
    const o = this.field(slot, 1, name);
    return o === 0 ? fallback : this.r.bb.readUint8(this.pos + o) !== 0;
  }

  int32(slot: number, name: string, fallback: number): number {
    const o = this.field(slot, 4, name);
    return o === 0 ? fallback : this.r.bb.readInt32(this.pos + o);
  }

  uint32(slot: number, name: string, fallback: number): number {
    const o = this.field(slot, 4, name);
    return o === 0 ? fallback : this.r.bb.readUint32(this.pos + o);
  }

  float32(slot: number, name: string, fallback: number): number {
    const o = this.field(slot, 4, name);
    return o === 0 ? fallback : this.r.bb.readFloat32(this.pos + o);
  }

  /** A uint64 as a number; values above 2^53 are an error. */
  uint64(slot: number, name: string): number {
    const o = this.field(slot, 8, name);
    if (o === 0) return 0;
    const v = this.r.bb.readUint64(this.pos + o);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw formatError(`${this.where}.${name}`, `is ${v}, beyond any file size`);
    return Number(v);
  }

  /** The position the uoffset field points to, or -1 when absent. */
  private indirect(slot: number, name: string): number {
    const o = this.field(slot, 4, name);
    if (o === 0) return -1;
    return this.pos + o + this.r.bb.readUint32(this.pos + o);
  }

  table(slot: number, name: string): Table | null {
    const target = this.indirect(slot, name);
    return target < 0 ? null : this.r.table(target, `${this.where}.${name}`);
  }

  string(slot: number, name: string): string | null {
    const bytes = this.vectorBytes(slot, name, 1);
    return bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  }

  /** A vector's start and length, checked to fit in the file with elements of `elementSize` bytes. */
  vector(slot: number, name: string, elementSize: number): VectorRef | null {
    const at = this.indirect(slot, name);
    if (at < 0) return null;
    const where = `${this.where}.${name}`;
    const length = this.r.u32(at, `${where} (its length)`);
    this.r.check(at + 4, length * elementSize, `${where} (${length} elements of ${elementSize} bytes)`);
    return { start: at + 4, length };
  }

  /** A vector of bytes as a view into the file (no copy). */
  vectorBytes(slot: number, name: string, elementSize: number): Uint8Array | null {
    const v = this.vector(slot, name, elementSize);
    return v === null ? null : this.r.bytes.subarray(v.start, v.start + v.length * elementSize);
  }

  int32Vector(slot: number, name: string): number[] | null {
    const v = this.vector(slot, name, 4);
    if (v === null) return null;
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.r.bb.readInt32(v.start + 4 * i);
    return out;
  }

  float32Vector(slot: number, name: string): number[] | null {
    const v = this.vector(slot, name, 4);
    if (v === null) return null;
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.r.bb.readFloat32(v.start + 4 * i);
    return out;
  }

  /** int64 elements as numbers; values beyond int32 are kept exactly when safe, else an error. */
  int64Vector(slot: number, name: string): number[] | null {
    const v = this.vector(slot, name, 8);
    if (v === null) return null;
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = this.r.bb.readInt64(v.start + 8 * i);
      if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < -BigInt(Number.MAX_SAFE_INTEGER)) {
        throw formatError(`${this.where}.${name}[${i}]`, `is ${x}, out of range`);
      }
      out[i] = Number(x);
    }
    return out;
  }

  /** A vector of tables, each one opened (and checked) on access. */
  tables(slot: number, name: string): { length: number; get(i: number): Table } | null {
    const v = this.vector(slot, name, 4);
    if (v === null) return null;
    return {
      length: v.length,
      get: (i: number) => {
        const at = v.start + 4 * i;
        return this.r.table(at + this.r.bb.readUint32(at), `${this.where}.${name}[${i}]`);
      },
    };
  }
}
