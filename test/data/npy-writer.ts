/**
 * Writing `.npy` bytes the way NumPy's `np.lib.format.write_array` does, for tests that need
 * files NumPy would write (and, with `header`, files it never would). Checked against NumPy's
 * own bytes in npy-formats.test.ts.
 */

export interface NpySpec {
  /** e.g. `<f4`, `>i8`, `|b1`. */
  descr: string;
  shape: readonly number[];
  /** In the order they are stored (C order unless fortranOrder). bigint for 8-byte integers beyond 2^53. */
  values: ReadonlyArray<number | bigint>;
  fortranOrder?: boolean;
  version?: 1 | 2 | 3;
  /** Replaces the header dict text (padding is still added). */
  header?: string;
  /** The data bytes as they are, instead of `values` encoded by `descr` (any dtype, any length). */
  payload?: Uint8Array;
}

const writers: Record<string, { bytes: number; write: (view: DataView, offset: number, value: number | bigint, littleEndian: boolean) => void }> = {
  b1: { bytes: 1, write: (v, o, x) => v.setUint8(o, Number(x)) },
  i1: { bytes: 1, write: (v, o, x) => v.setInt8(o, Number(x)) },
  u1: { bytes: 1, write: (v, o, x) => v.setUint8(o, Number(x)) },
  i2: { bytes: 2, write: (v, o, x, le) => v.setInt16(o, Number(x), le) },
  u2: { bytes: 2, write: (v, o, x, le) => v.setUint16(o, Number(x), le) },
  i4: { bytes: 4, write: (v, o, x, le) => v.setInt32(o, Number(x), le) },
  u4: { bytes: 4, write: (v, o, x, le) => v.setUint32(o, Number(x), le) },
  i8: { bytes: 8, write: (v, o, x, le) => v.setBigInt64(o, BigInt(x), le) },
  u8: { bytes: 8, write: (v, o, x, le) => v.setBigUint64(o, BigInt(x), le) },
  f4: { bytes: 4, write: (v, o, x, le) => v.setFloat32(o, Number(x), le) },
  f8: { bytes: 8, write: (v, o, x, le) => v.setFloat64(o, Number(x), le) },
};

/** The header dict as NumPy writes it: `{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }`. */
export function npyHeaderText(descr: string, shape: readonly number[], fortranOrder = false): string {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  return `{'descr': '${descr}', 'fortran_order': ${fortranOrder ? 'True' : 'False'}, 'shape': ${dims}, }`;
}

/** The bytes of a `.npy` file: magic, version, header length, header padded to 64 bytes with spaces and a newline, data. */
export function npyBytes(spec: NpySpec): Buffer {
  const version = spec.version ?? 1;
  const prefix = version === 1 ? 10 : 12;
  const text = spec.header ?? npyHeaderText(spec.descr, spec.shape, spec.fortranOrder);
  const body = Buffer.from(text, version === 3 ? 'utf8' : 'latin1');
  const padding = 64 - ((prefix + body.length + 1) % 64);
  const header = Buffer.concat([body, Buffer.alloc(padding === 64 ? 0 : padding, ' '), Buffer.from('\n')]);
  const start = Buffer.alloc(prefix);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(start);
  if (version === 1) start.writeUInt16LE(header.length, 8);
  else start.writeUInt32LE(header.length, 8);
  if (spec.payload !== undefined) return Buffer.concat([start, header, spec.payload]);
  const kind = /^[<>|=]?([a-z]\d+)$/.exec(spec.descr)?.[1];
  const writer = kind === undefined ? undefined : writers[kind];
  if (writer === undefined) throw new Error(`npyBytes: no writer for ${spec.descr}`);
  const data = Buffer.alloc(spec.values.length * writer.bytes);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  spec.values.forEach((value, i) => writer.write(view, i * writer.bytes, value, !spec.descr.startsWith('>')));
  return Buffer.concat([start, header, data]);
}
