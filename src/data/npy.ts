/**
 * Reading NumPy `.npy` files (format versions 1, 2 and 3): little-endian float32, float64,
 * uint8, int8, int16, int32, int64 and bool, C order. Every value comes back as a Float64Array
 * so callers can check integer labels and finiteness before converting.
 */
import { readFileSync } from 'node:fs';
import { DataError } from './dataset.js';

export interface NpyArray {
  shape: number[];
  /** The NumPy dtype string, e.g. `<f4`. */
  dtype: string;
  values: Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const readers: Record<string, { bytes: number; read: (view: DataView, offset: number) => number }> = {
  '<f4': { bytes: 4, read: (v, o) => v.getFloat32(o, true) },
  '<f8': { bytes: 8, read: (v, o) => v.getFloat64(o, true) },
  '|u1': { bytes: 1, read: (v, o) => v.getUint8(o) },
  '|i1': { bytes: 1, read: (v, o) => v.getInt8(o) },
  '<i2': { bytes: 2, read: (v, o) => v.getInt16(o, true) },
  '<i4': { bytes: 4, read: (v, o) => v.getInt32(o, true) },
  '<i8': { bytes: 8, read: (v, o) => Number(v.getBigInt64(o, true)) },
  '|b1': { bytes: 1, read: (v, o) => v.getUint8(o) },
};

/** Reads and validates a `.npy` file; every problem is a DataError naming the file. */
export function readNpy(path: string): NpyArray {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataError(`${path}: cannot read the file (${code === 'ENOENT' ? 'no such file' : code ?? String(error)})`);
  }
  return parseNpy(bytes, path);
}

export function parseNpy(bytes: Uint8Array, path: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new DataError(`${path}: not a .npy file (the header does not start with \\x93NUMPY)`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new DataError(`${path}: truncated .npy header`);
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new DataError(`${path}: unsupported .npy format version ${major}.${bytes[7]}`);
  }
  if (headerStart + headerLength > bytes.length) throw new DataError(`${path}: truncated .npy header (needs ${headerLength} bytes, the file has ${bytes.length - headerStart})`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new DataError(`${path}: malformed .npy header ${JSON.stringify(header.trim())}`);
  if (fortran === 'True') throw new DataError(`${path}: fortran_order = True is not supported; save the array in C order (np.ascontiguousarray)`);
  const dtype = descr === '<u1' ? '|u1' : descr === '<i1' ? '|i1' : descr;
  const reader = readers[dtype];
  if (reader === undefined) throw new DataError(`${path}: unsupported dtype ${descr} (supported: float32, float64, uint8, int8, int16, int32, int64, bool, little-endian)`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw new DataError(`${path}: malformed shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLength;
  const needed = count * reader.bytes;
  if (bytes.length - dataStart < needed) {
    throw new DataError(`${path}: truncated data: shape [${shape.join(', ')}] of ${descr} needs ${needed} bytes, the file has ${bytes.length - dataStart}`);
  }
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = reader.read(view, dataStart + i * reader.bytes);
  return { shape, dtype: descr, values };
}
