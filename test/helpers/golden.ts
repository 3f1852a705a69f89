// Access to the reference data in ../shared/golden (produced by TFLite's own kernels). It is not part of
// the project: when the folder is absent, the golden suites are skipped and say so.
import * as fs from 'fs';
import * as path from 'path';

export const GOLDEN_DIR = process.env.QINT8_GOLDEN_DIR ?? path.join(__dirname, '..', '..', '..', 'shared', 'golden');

export function haveGolden(): boolean {
  return fs.existsSync(GOLDEN_DIR);
}

/** Parsed JSON of a golden file (path relative to the golden folder), or null when absent. */
export function readGolden<T = unknown>(relative: string): T | null {
  const file = path.join(GOLDEN_DIR, relative);
  if (!fs.existsSync(file)) return null;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** `describe` when the golden file exists, otherwise a skipped describe whose title says why. */
export function describeGolden(relative: string, title: string, body: (data: unknown) => void): void {
  const data = readGolden(relative);
  if (data === null) {
    describe.skip(`${title} (skipped: ${path.join(GOLDEN_DIR, relative)} not found)`, () => {
      it('needs the shared golden data', () => undefined);
    });
    return;
  }
  describe(title, () => body(data));
}

export function decodeInt8(b64: string): Int8Array {
  const bytes = Buffer.from(b64, 'base64');
  return new Int8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

export function decodeInt32(b64: string): Int32Array {
  const bytes = Buffer.from(b64, 'base64');
  return new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}
