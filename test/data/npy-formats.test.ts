/**
 * Every `.npy` dtype path against bytes NumPy 2.4 wrote (the expression that made each is beside
 * it): bool, int8–int64, uint8–uint64, float16/32/64, both byte orders, Fortran order, format
 * versions 1–3; object arrays (pickles), records, text and dates refused; and every kind of
 * corrupted header or payload is one DataError line naming the file.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataError, readNpy } from '../../src/data/index.js';
import { parseNpy } from '../../src/data/npy.js';
import { maxNpyFileBytes } from '../../src/data/limits.js';
import { npyBytes, npyHeaderText } from './npy-writer.js';

/** Bytes NumPy wrote: `f = io.BytesIO(); np.save(f, <numpy>); base64.b64encode(f.getvalue())`. */
const numpyFiles = {
  bool: { numpy: 'np.array([[True, False, True], [False, True, False]])', base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAEAAQA=' },
  int8: { numpy: 'np.array([[-128, 127, 0], [1, -1, 5]], dtype=np.int8)', base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfGkxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAqAfwAB/wU=' },
  uint8: { numpy: 'np.array([[0, 255, 7], [1, 2, 3]], dtype=np.uint8)', base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoA/wcBAgM=' },
  int16_be: { numpy: "np.array([[-32768, 32767, 1], [2, 3, -4]], dtype='>i2')", base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmkyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAqAAH//AAEAAgAD//w=' },
  uint16_be: { numpy: "np.array([[65535, 0, 258], [1, 2, 3]], dtype='>u2')", base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPnUyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAr//wAAAQIAAQACAAM=' },
  int32_be: { numpy: "np.array([[-2**31, 2**31 - 1, 7], [1, 2, 3]], dtype='>i4')", base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAqAAAAAf////wAAAAcAAAABAAAAAgAAAAM=' },
  uint32: { numpy: 'np.array([[2**32 - 1, 0, 9], [1, 2, 3]], dtype=np.uint32)', base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPHU0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAr/////AAAAAAkAAAABAAAAAgAAAAMAAAA=' },
  int64_wrap: { numpy: 'np.array([0, 1, 2**32 + 1, 1], dtype=np.int64)', base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDQsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAEAAAAAAAAAAQAAAAEAAAABAAAAAAAAAA==' },
  int64_be_negative: { numpy: "np.array([0, 1, -1, 1], dtype='>i8')", base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDQsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAAAAAAAAAAB//////////8AAAAAAAAAAQ==' },
  uint64_huge: { numpy: 'np.array([0, 1, 2**63 + 5, 1], dtype=np.uint64)', base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPHU4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDQsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAEAAAAAAAAABQAAAAAAAIABAAAAAAAAAA==' },
  float16: { numpy: 'np.array([[0.5, -2, 65504], [2**-24, -0.0, 1/3]], dtype=np.float16)', base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAOADA/3sBAACAVTU=' },
  float16_be: { numpy: "np.array([[0.5, -2, 65504], [2**-24, -0.0, 1/3]], dtype='>f2')", base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo4AMAAe/8AAYAANVU=' },
  float32_be: { numpy: "np.array([[0.1, -2.5, 3e38], [1, 2, 3]], dtype='>f4')", base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo9zMzNwCAAAH9hseY/gAAAQAAAAEBAAAA=' },
  float64_be: { numpy: "np.array([[0.1, -2.5, 1e300], [1, 2, 3]], dtype='>f8')", base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/uZmZmZmZmsAEAAAAAAAAfjfkPIgAdZw/8AAAAAAAAEAAAAAAAAAAQAgAAAAAAAA=' },
  fortran_3d: { numpy: 'np.asfortranarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4))', base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMywgNCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAABAQQAAgEAAAIBBAAAAQQAAoEEAAIA/AABQQQAAoEAAAIhBAAAQQQAAqEEAAABAAABgQQAAwEAAAJBBAAAgQQAAsEEAAEBAAABwQQAA4EAAAJhBAAAwQQAAuEE=' },
  fortran_int64_2d: { numpy: 'np.asfortranarray(np.arange(6, dtype=np.int64).reshape(2, 3))', base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAMAAAAAAAAAAQAAAAAAAAAEAAAAAAAAAAIAAAAAAAAABQAAAAAAAAA=' },
  version2: { numpy: 'np.lib.format.write_array(f, np.arange(6, dtype=np.float64).reshape(2, 3), version=(2, 0))', base64: 'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAAAAAAAAPA/AAAAAAAAAEAAAAAAAAAIQAAAAAAAABBAAAAAAAAAFEA=' },
  version3: { numpy: 'np.lib.format.write_array(f, np.arange(6, dtype=np.float64).reshape(2, 3), version=(3, 0))', base64: 'k05VTVBZAwB0AAAAeydkZXNjcic6ICc8ZjgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAAAAAAAAPA/AAAAAAAAAEAAAAAAAAAIQAAAAAAAABBAAAAAAAAAFEA=' },
  object: { numpy: "np.array([1, 'a'], dtype=object), allow_pickle=True", base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfE8nLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAqABJWQAAAAAAAAAIwWbnVtcHkuX2NvcmUubXVsdGlhcnJheZSMDF9yZWNvbnN0cnVjdJSTlIwFbnVtcHmUjAduZGFycmF5lJOUSwCFlEMBYpSHlFKUKEsBSwKFlGgDjAVkdHlwZZSTlIwCTziUiYiHlFKUKEsDjAF8lE5OTkr/////Sv////9LP3SUYoldlChLAYwBYZRldJRiLg==' },
  structured: { numpy: "np.zeros(2, dtype=[('a', '<f4'), ('b', '<i4')])", base64: 'k05VTVBZAQB2AHsnZGVzY3InOiBbKCdhJywgJzxmNCcpLCAoJ2InLCAnPGk0JyldLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAAAAAAAAAAA' },
  unicode: { numpy: "np.array(['ab', 'c'])", base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPFUyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAphAAAAYgAAAGMAAAAAAAAA' },
  datetime: { numpy: "np.array(['2020-01-01'], dtype='datetime64[ns]')", base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPE04W25zXScsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgxLCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIq5NZrlFQ==' },
  scalar: { numpy: 'np.array(3.0)', base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAIQA==' },
  empty: { numpy: 'np.zeros((0, 5), dtype=np.float32)', base64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDAsIDUpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo=' },
} as const;

const numpyBytes = (name: keyof typeof numpyFiles): Buffer => Buffer.from(numpyFiles[name].base64, 'base64');
const parse = (name: keyof typeof numpyFiles) => parseNpy(numpyBytes(name), `${name}.npy`);
const all = (array: { size: number; at(i: number): number }): number[] => Array.from({ length: array.size }, (_, i) => array.at(i));

/** Asserts `run` throws one DataError line matching `message`. */
function refuses(run: () => unknown, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof DataError, `a DataError, got ${String(error)}`);
    assert.match(error.message, message);
    assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
    return true;
  });
}

test('every numeric dtype NumPy writes reads back exactly, in both byte orders', () => {
  const expected: [keyof typeof numpyFiles, string, number[]][] = [
    ['bool', '|b1', [1, 0, 1, 0, 1, 0]],
    ['int8', '|i1', [-128, 127, 0, 1, -1, 5]],
    ['uint8', '|u1', [0, 255, 7, 1, 2, 3]],
    ['int16_be', '>i2', [-32768, 32767, 1, 2, 3, -4]],
    ['uint16_be', '>u2', [65535, 0, 258, 1, 2, 3]],
    ['int32_be', '>i4', [-(2 ** 31), 2 ** 31 - 1, 7, 1, 2, 3]],
    ['uint32', '<u4', [2 ** 32 - 1, 0, 9, 1, 2, 3]],
    ['int64_wrap', '<i8', [0, 1, 2 ** 32 + 1, 1]],
    ['int64_be_negative', '>i8', [0, 1, -1, 1]],
    ['float16', '<f2', [0.5, -2, 65504, 2 ** -24, -0, 0.333251953125]],
    ['float16_be', '>f2', [0.5, -2, 65504, 2 ** -24, -0, 0.333251953125]],
    ['float32_be', '>f4', [Math.fround(0.1), -2.5, Math.fround(3e38), 1, 2, 3]],
    ['float64_be', '>f8', [0.1, -2.5, 1e300, 1, 2, 3]],
    ['version2', '<f8', [0, 1, 2, 3, 4, 5]],
    ['version3', '<f8', [0, 1, 2, 3, 4, 5]],
  ];
  for (const [name, dtype, values] of expected) {
    const array = parse(name);
    assert.equal(array.dtype, dtype, name);
    assert.deepEqual(all(array), values, name);
  }
  // 64-bit integers are reported exactly, not rounded through a double.
  assert.equal(parse('uint64_huge').exact(2), '9223372036854775813');
  assert.equal(parse('int64_wrap').exact(2), '4294967297');
  assert.equal(parse('int64_wrap').position(2), '[2]');
  assert.deepEqual(parse('scalar').shape, []);
  assert.deepEqual(all(parse('scalar')), [3]);
  assert.equal(parse('empty').size, 0);
});

test('Fortran order is read back in C order, as numpy.load returns it', () => {
  const cube = parse('fortran_3d');
  assert.deepEqual(cube.shape, [2, 3, 4]);
  assert.equal(cube.fortranOrder, true);
  assert.deepEqual(all(cube), Array.from({ length: 24 }, (_, i) => i));
  assert.equal(cube.position(23), '[1, 2, 3]');
  assert.deepEqual(all(parse('fortran_int64_2d')), [0, 1, 2, 3, 4, 5]);
});

test("the test writer's bytes are NumPy's bytes", () => {
  assert.deepEqual(npyBytes({ descr: '<i8', shape: [4], values: [0, 1, 2 ** 32 + 1, 1] }), numpyBytes('int64_wrap'));
  assert.deepEqual(npyBytes({ descr: '>i2', shape: [2, 3], values: [-32768, 32767, 1, 2, 3, -4] }), numpyBytes('int16_be'));
  assert.deepEqual(npyBytes({ descr: '<i8', shape: [2, 3], fortranOrder: true, values: [0, 3, 1, 4, 2, 5] }), numpyBytes('fortran_int64_2d'));
  assert.deepEqual(npyBytes({ descr: '<f8', shape: [2, 3], version: 2, values: [0, 1, 2, 3, 4, 5] }), numpyBytes('version2'));
});

test('object arrays (pickles), records, text and dates are refused, saying why', () => {
  refuses(() => parse('object'), /^object\.npy: dtype object \(\|O\) holds Python objects stored as a pickle, which is not loaded: unpickling can run code/);
  refuses(() => parse('structured'), /^structured\.npy: a structured \(record\) dtype is not supported/);
  refuses(() => parse('unicode'), /^unicode\.npy: unsupported dtype <U2 \(text\); supported: bool, int8–int64, uint8–uint64, float16, float32, float64/);
  refuses(() => parse('datetime'), /^datetime\.npy: unsupported dtype "<M8\[ns\]"/);
  refuses(() => parseNpy(npyBytes({ descr: '<f4', shape: [1], values: [0], header: npyHeaderText('<c8', [1]) }), 'c.npy'), /unsupported dtype <c8 \(complex numbers\)/);
  refuses(() => parseNpy(npyBytes({ descr: '<f4', shape: [1], values: [0], header: npyHeaderText('|f4', [1]) }), 'order.npy'), /dtype \|f4 does not state its byte order/);
  refuses(() => parseNpy(npyBytes({ descr: '<f4', shape: [1], values: [0], header: npyHeaderText('<f16', [1]) }), 'quad.npy'), /unsupported dtype <f16/);
});

test('corrupted headers and payloads: one line each, naming the file', () => {
  const good = npyBytes({ descr: '<f4', shape: [2, 3], values: [1, 2, 3, 4, 5, 6] });
  const withHeader = (header: string, values: number[] = [1, 2, 3, 4, 5, 6]) => npyBytes({ descr: '<f4', shape: [values.length], values, header });
  const cases: [Uint8Array, RegExp][] = [
    [Buffer.alloc(0), /^x\.npy: not a \.npy file \(it does not start with \\x93NUMPY; the file is empty\)$/],
    [Buffer.from('hello, world'), /^x\.npy: not a \.npy file/],
    [good.subarray(0, 9), /^x\.npy: truncated \.npy header \(the file ends after 9 bytes, before the header length\)$/],
    [good.subarray(0, 40), /^x\.npy: truncated \.npy header \(its 118 bytes would end at byte 128; the file ends at byte 40\)$/],
    [good.subarray(0, good.length - 5), /^x\.npy: truncated data: shape \[2, 3\] of <f4 needs 24 bytes, the file has 19 after its header$/],
    [Buffer.concat([good, Buffer.alloc(4)]), /^x\.npy: 4 bytes after the data: shape \[2, 3\] of <f4 needs 24 bytes, the file has 28/],
    [Buffer.from([...good.subarray(0, 6), 4, 0, ...good.subarray(8)]), /^x\.npy: unsupported \.npy format version 4\.0/],
    [Buffer.from([...good.subarray(0, 6), 1, 1, ...good.subarray(8)]), /^x\.npy: unsupported \.npy format version 1\.1/],
    [Buffer.from([...good.subarray(0, 8), 0xff, 0xff, ...good.subarray(10)]), /^x\.npy: the \.npy header claims 65,535 bytes; NumPy reads at most 10,000/],
    [withHeader("{'descr': '<f4', 'shape': (6,), }"), /malformed \.npy header \(no fortran_order\)/],
    [withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'extra': 1}"), /malformed \.npy header \(unexpected key "extra"/],
    [withHeader("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (6,)}"), /the key "descr" appears twice/],
    [withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': [6]}"), /shape is not a tuple of integers/],
    [withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-6,)}"), /shape \(-6\) has the impossible size -6/],
    [withHeader("{'descr': '<f4', 'fortran_order': 'no', 'shape': (6,)}"), /fortran_order is not True or False/],
    [withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (6,"), /malformed \.npy header \(ends early/],
    [withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (6,)} junk"), /unexpected text after the header/],
    [withHeader("__import__('os').system('true')"), /malformed \.npy header \(unexpected "_" at character 1\)/],
    [withHeader('('.repeat(5000)), /nested too deeply/],
    [withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999999999)}"), /shape \[99999999999, 99999999999, 99999999999\] = .* values, more than the 134,217,728 \(512 MiB as float32\) a dataset may hold/],
  ];
  for (const [bytes, message] of cases) refuses(() => parseNpy(bytes, 'x.npy'), message);
  // Python 2's NumPy wrote long integers with an L: still read.
  const python2 = parseNpy(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }"), 'py2.npy');
  assert.deepEqual(python2.shape, [2, 3]);
});

test('a FIFO, a device, a folder or a socket is refused at once, and files beyond 1 GiB unread', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'vanishing-npy-'));
  const fifo = join(folder, 'pipe.npy');
  execFileSync('mkfifo', [fifo]);
  // Before, this blocked forever waiting for a writer.
  refuses(() => readNpy(fifo, `${fifo} (data.train_inputs)`), /pipe\.npy \(data\.train_inputs\): is a named pipe \(FIFO\), not a regular file; data must be read from a file$/);
  refuses(() => readNpy('/dev/zero'), /^\/dev\/zero: is a character device, not a regular file/);
  refuses(() => readNpy(folder), /: is a folder, not a regular file/);
  const socketPath = join(folder, 'socket.npy');
  const server = createServer();
  await new Promise<void>((listening) => server.listen(socketPath, listening));
  try {
    refuses(() => readNpy(socketPath), /socket\.npy: is a socket, not a regular file/);
  } finally {
    server.close();
  }
  // A sparse file: as large as it says, without using the disk.
  const huge = join(folder, 'huge.npy');
  writeFileSync(huge, '');
  truncateSync(huge, maxNpyFileBytes + 1);
  refuses(() => readNpy(huge), /huge\.npy: is 1\.0 GiB \(1073741825 bytes\); a data file of this kind may be at most 1 GiB$/);
  refuses(() => readNpy(join(folder, 'missing.npy')), /missing\.npy: cannot read the file \(no such file\)$/);
});
