// Writes Arrow IPC streams with the npm `apache-arrow` library for the gateway's own Arrow reader to read
// (tests/Unit/Arrow/ArrowJsStreamsRealClientTests.cs): every Arrow type the reader maps, with NULLs, in
// several record batches, sliced vectors, nested types, an empty stream and a dictionary-encoded column
// (which the reader must refuse). Columns are built from raw buffers (makeData), so the bytes are exactly
// the values below; the library writes the framing, the flatbuffer metadata, the bitmaps and the offsets.
// For each stream <dir>/<name>.arrows gets the stream and <dir>/<name>.json what the reader must return:
// per column its name and the gateway's type (SqlType text), per batch the rows as canonical JSON (see
// tests/Unit/Arrow/ArrowExpected.cs: 64-bit ints, decimals (unscaled), times and timestamps (microseconds)
// as strings; dates as day numbers; binary as base64; intervals as {months, days, nanos}; maps as
// [key, value] pairs).
// Usage: node arrow-write.js <dir>   — prints {"streams": n, "arrowVersion": "..."}.
'use strict';
const fs = require('fs');
const path = require('path');
const arrow = require('apache-arrow');

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node arrow-write.js <dir>');
  process.exit(2);
}
const arrowVersion = JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve('apache-arrow')), 'package.json'), 'utf8')).version;

const { makeData, makeVector, Field } = arrow;

// Row i of every column is NULL when isNull(i); nested children have NULLs of their own.
const isNull = (i) => i % 4 === 1;

function bitmap(n, valid) {
  const bits = new Uint8Array(Math.max(1, Math.ceil(n / 8)));
  for (let i = 0; i < n; i++) if (valid(i)) bits[i >> 3] |= 1 << (i & 7);
  return bits;
}

const nulls = (n, valid) => { let c = 0; for (let i = 0; i < n; i++) if (!valid(i)) c++; return c; };

const floorDiv = (a, b) => { const q = a / b; return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q; };
const truncDiv = (a, b) => a / b;
const base64 = (bytes) => Buffer.from(bytes).toString('base64');
const utf8 = new TextEncoder();

// A flat column: raw(i) gives row i's raw value, put(array, i, raw) stores it, expect(raw) its canonical JSON.
function flat(name, type, sql, Array_, width, raw, put, expect) {
  return {
    name, type, sql,
    make(base, n, valid) {
      const values = new Array_(n * width);
      for (let i = 0; i < n; i++) if (valid(i)) put(values, i, raw(base + i));
      return makeData({ type, length: n, nullCount: nulls(n, valid), nullBitmap: bitmap(n, valid), data: values });
    },
    expect(base, n, valid) {
      const out = [];
      for (let i = 0; i < n; i++) out.push(valid(i) ? expect(raw(base + i)) : null);
      return out;
    },
  };
}

const one = (a, i, v) => { a[i] = v; };
const id = (v) => v;
const str = (v) => v.toString();

function int128Words(v) {
  const u = BigInt.asUintN(128, v);
  return [0, 1, 2, 3].map((k) => Number((u >> BigInt(32 * k)) & 0xffffffffn));
}

function variable(name, type, sql, large, raw, expect) {
  return {
    name, type, sql,
    make(base, n, valid) {
      const parts = [];
      for (let i = 0; i < n; i++) parts.push(valid(i) ? raw(base + i) : new Uint8Array(0));
      const offsets = large ? new BigInt64Array(n + 1) : new Int32Array(n + 1);
      let at = 0;
      parts.forEach((p, i) => { at += p.length; offsets[i + 1] = large ? BigInt(at) : at; });
      const data = new Uint8Array(at);
      at = 0;
      for (const p of parts) { data.set(p, at); at += p.length; }
      return makeData({ type, length: n, nullCount: nulls(n, valid), nullBitmap: bitmap(n, valid), valueOffsets: offsets, data });
    },
    expect(base, n, valid) {
      const out = [];
      for (let i = 0; i < n; i++) out.push(valid(i) ? expect(raw(base + i)) : null);
      return out;
    },
  };
}

const text = (i) => ['', 'a', 'é漢😀 ' + i, 'label-' + String(i).padStart(10, '0')][i % 4];

const halfs = [[0x3e00, 1.5], [0xc000, -2], [0x7c00, 'Infinity'], [0x0000, 0], [0x7e00, 'NaN'], [0x3c00, 1], [0xfc00, '-Infinity']];

const scalarColumns = [
  flat('i8', new arrow.Int8(), 'tinyint', Int8Array, 1, (i) => ((i * 37) % 256) - 128, one, id),
  flat('i16', new arrow.Int16(), 'smallint', Int16Array, 1, (i) => (i % 3 === 0 ? -32768 : (i * 1000 - 7) % 32000), one, id),
  flat('i32', new arrow.Int32(), 'int', Int32Array, 1, (i) => (i % 5 === 0 ? 2147483647 : -i * 100003), one, id),
  flat('i64', new arrow.Int64(), 'bigint', BigInt64Array, 1, (i) => (i % 6 === 0 ? -(2n ** 63n) : BigInt(i) * 1234567890123n), one, str),
  flat('u8', new arrow.Uint8(), 'smallint', Uint8Array, 1, (i) => 200 + i, one, id),
  flat('u16', new arrow.Uint16(), 'int', Uint16Array, 1, (i) => 65535 - i, one, id),
  flat('u32', new arrow.Uint32(), 'bigint', Uint32Array, 1, (i) => 4294967295 - i, one, str),
  flat('u64', new arrow.Uint64(), 'decimal(20,0)', BigUint64Array, 1, (i) => 18446744073709551615n - BigInt(i), one, str),
  flat('f16', new arrow.Float16(), 'float', Uint16Array, 1, (i) => halfs[i % halfs.length], (a, i, v) => { a[i] = v[0]; }, (v) => v[1]),
  flat('f32', new arrow.Float32(), 'float', Float32Array, 1, (i) => (i % 7 === 6 ? NaN : i * 0.5 - 2), one, (v) => (Number.isNaN(v) ? 'NaN' : v)),
  flat('f64', new arrow.Float64(), 'double', Float64Array, 1, (i) => (i % 7 === 5 ? -Infinity : i / 8 - 1), one, (v) => (v === -Infinity ? '-Infinity' : v)),
  {
    name: 'b', type: new arrow.Bool(), sql: 'boolean',
    make(base, n, valid) {
      return makeData({ type: this.type, length: n, nullCount: nulls(n, valid), nullBitmap: bitmap(n, valid), data: bitmap(n, (i) => (base + i) % 3 === 0) });
    },
    expect(base, n, valid) { const o = []; for (let i = 0; i < n; i++) o.push(valid(i) ? (base + i) % 3 === 0 : null); return o; },
  },
  variable('s', new arrow.Utf8(), 'string', false, (i) => utf8.encode(text(i)), (b) => new TextDecoder().decode(b)),
  variable('ls', new arrow.LargeUtf8(), 'string', true, (i) => utf8.encode(text(i + 1)), (b) => new TextDecoder().decode(b)),
  variable('bin', new arrow.Binary(), 'binary', false, (i) => new Uint8Array(i % 3).map((_, k) => (i * 31 + k) & 0xff), base64),
  variable('lbin', new arrow.LargeBinary(), 'binary', true, (i) => new Uint8Array([0, i & 0xff, 0xff]), base64),
  flat('fsb', new arrow.FixedSizeBinary(3), 'binary', Uint8Array, 3, (i) => [i & 0xff, 0, 0xfe], (a, i, v) => { a.set(v, i * 3); }, (v) => base64(v)),
  flat('d32', new arrow.DateDay(), 'date', Int32Array, 1, (i) => (i - 5) * 4001, one, id),
  flat('d64', new arrow.DateMillisecond(), 'date', BigInt64Array, 1, (i) => BigInt(i - 5) * 86400000n * 397n + BigInt(i) * 3600001n, one, (v) => Number(floorDiv(v, 86400000n))),
  flat('t32s', new arrow.TimeSecond(), 'time', Int32Array, 1, (i) => i * 3599, one, (v) => (BigInt(v) * 1000000n).toString()),
  flat('t32ms', new arrow.TimeMillisecond(), 'time', Int32Array, 1, (i) => i * 3599123, one, (v) => (BigInt(v) * 1000n).toString()),
  flat('t64us', new arrow.TimeMicrosecond(), 'time', BigInt64Array, 1, (i) => BigInt(i) * 3599123457n, one, str),
  flat('t64ns', new arrow.TimeNanosecond(), 'time', BigInt64Array, 1, (i) => BigInt(i) * 3599123456789n, one, (v) => floorDiv(v, 1000n).toString()),
  flat('ts_s', new arrow.TimestampSecond(), 'timestamp', BigInt64Array, 1, (i) => BigInt(i - 3) * 1000000007n, one, (v) => (v * 1000000n).toString()),
  flat('ts_ms_paris', new arrow.TimestampMillisecond('Europe/Paris'), 'timestamp with local time zone', BigInt64Array, 1, (i) => BigInt(i - 3) * 1700000000123n, one, (v) => (v * 1000n).toString()),
  flat('ts_us', new arrow.TimestampMicrosecond(), 'timestamp', BigInt64Array, 1, (i) => BigInt(i - 3) * 1700000000123456n, one, str),
  flat('ts_ns_utc', new arrow.TimestampNanosecond('UTC'), 'timestamp with local time zone', BigInt64Array, 1, (i) => BigInt(i - 3) * 170000000012345678n / 3n - 1n, one, (v) => floorDiv(v, 1000n).toString()),
  flat('dec', new arrow.Decimal(2, 18, 128), 'decimal(18,2)', Uint32Array, 4, (i) => (BigInt(i) - 4n) * 123456789012345n + BigInt(i), (a, i, v) => { a.set(int128Words(v), i * 4); }, str),
  flat('dec38', new arrow.Decimal(10, 38, 128), 'decimal(38,10)', Uint32Array, 4, (i) => (i % 2 ? -1n : 1n) * (10n ** 37n + BigInt(i)), (a, i, v) => { a.set(int128Words(v), i * 4); }, str),
  {
    name: 'nul', type: new arrow.Null(), sql: 'void',
    make(base, n) { return makeData({ type: this.type, length: n, nullCount: n }); },
    expect(base, n) { return new Array(n).fill(null); },
  },
  flat('iv_ym', new arrow.IntervalYearMonth(), 'interval', Int32Array, 1, (i) => i * 13 - 20, one, (v) => ({ months: v, days: 0, nanos: '0' })),
  flat('iv_dt', new arrow.IntervalDayTime(), 'interval', Int32Array, 2, (i) => [i - 4, i * 1001], (a, i, v) => { a[2 * i] = v[0]; a[2 * i + 1] = v[1]; },
    (v) => ({ months: 0, days: v[0], nanos: (BigInt(v[1]) * 1000000n).toString() })),
  flat('iv_mdn', new arrow.IntervalMonthDayNano(), 'interval', Int32Array, 4, (i) => [i - 2, -i, BigInt(i) * 3000001007n - 5000n],
    (a, i, v) => { const u = BigInt.asUintN(64, v[2]); a.set([v[0], v[1], Number(u & 0xffffffffn), Number(u >> 32n)], i * 4); },
    (v) => ({ months: v[0], days: v[1], nanos: (truncDiv(v[2], 1000n) * 1000n).toString() })),
  flat('dur_s', new arrow.DurationSecond(), 'interval', BigInt64Array, 1, (i) => BigInt(i) * -7n, one, (v) => ({ months: 0, days: 0, nanos: (v * 1000000000n).toString() })),
  flat('dur_ms', new arrow.DurationMillisecond(), 'interval', BigInt64Array, 1, (i) => BigInt(i) * 7001n, one, (v) => ({ months: 0, days: 0, nanos: (v * 1000000n).toString() })),
  flat('dur_us', new arrow.DurationMicrosecond(), 'interval', BigInt64Array, 1, (i) => BigInt(i) * 7000001n, one, (v) => ({ months: 0, days: 0, nanos: (v * 1000n).toString() })),
  flat('dur_ns', new arrow.DurationNanosecond(), 'interval', BigInt64Array, 1, (i) => BigInt(i) * 7000000001n, one, (v) => ({ months: 0, days: 0, nanos: (truncDiv(v, 1000n) * 1000n).toString() })),
];

// ---- nested: each child is made from a flat column over the child's own rows ----

function list(name, kind, child, sizeOf, sql) {
  // kind: 'list' | 'large' | 'fixed' (fixed lists have sizeOf() === their size for every row)
  const fixedSize = kind === 'fixed' ? sizeOf(0) : 0;
  const childField = new Field('item', child.type, true);
  const type = kind === 'list' ? new arrow.List(childField) : kind === 'large' ? new arrow.LargeList(childField) : new arrow.FixedSizeList(fixedSize, childField);
  const childValid = (k) => k % 5 !== 3;
  const layout = (base, n, valid) => {
    const starts = [];
    let total = 0;
    for (let i = 0; i < n; i++) {
      starts.push(total);
      total += kind === 'fixed' || valid(i) ? sizeOf(base + i) : 0;
    }
    starts.push(total);
    return { starts, total };
  };
  return {
    name, type, sql,
    make(base, n, valid) {
      const { starts, total } = layout(base, n, valid);
      const childData = child.make(base * 7, total, childValid);
      const props = { type, length: n, nullCount: nulls(n, valid), nullBitmap: bitmap(n, valid), child: childData };
      if (kind === 'list') props.valueOffsets = Int32Array.from(starts);
      if (kind === 'large') props.valueOffsets = BigInt64Array.from(starts.map(BigInt));
      return makeData(props);
    },
    expect(base, n, valid) {
      const { starts, total } = layout(base, n, valid);
      const values = child.expect(base * 7, total, childValid);
      const out = [];
      for (let i = 0; i < n; i++) out.push(valid(i) ? values.slice(starts[i], starts[i + 1]) : null);
      return out;
    },
  };
}

function struct(name, fields, sql) {
  const type = new arrow.Struct(fields.map((f) => new Field(f.name, f.type, true)));
  const childValid = (k) => k % 3 !== 2;
  return {
    name, type, sql,
    make(base, n, valid) {
      return makeData({ type, length: n, nullCount: nulls(n, valid), nullBitmap: bitmap(n, valid), children: fields.map((f) => f.make(base, n, childValid)) });
    },
    expect(base, n, valid) {
      const cols = fields.map((f) => f.expect(base, n, childValid));
      const out = [];
      for (let i = 0; i < n; i++) {
        if (!valid(i)) { out.push(null); continue; }
        const row = {};
        fields.forEach((f, c) => { row[f.name] = cols[c][i]; });
        out.push(row);
      }
      return out;
    },
  };
}

function map(name, key, value, sql) {
  const entries = new arrow.Struct([new Field('key', key.type, false), new Field('value', value.type, true)]);
  const type = new arrow.Map_(new Field('entries', entries, false));
  const size = (i) => i % 3;
  const layout = (base, n, valid) => {
    const starts = [];
    let total = 0;
    for (let i = 0; i < n; i++) { starts.push(total); total += valid(i) ? size(base + i) : 0; }
    starts.push(total);
    return { starts, total };
  };
  const valueValid = (k) => k % 4 !== 2;
  return {
    name, type, sql,
    make(base, n, valid) {
      const { starts, total } = layout(base, n, valid);
      const entryData = makeData({ type: entries, length: total, nullCount: 0, children: [key.make(base, total, () => true), value.make(base, total, valueValid)] });
      return makeData({ type, length: n, nullCount: nulls(n, valid), nullBitmap: bitmap(n, valid), valueOffsets: Int32Array.from(starts), child: entryData });
    },
    expect(base, n, valid) {
      const { starts, total } = layout(base, n, valid);
      const keys = key.expect(base, total, () => true);
      const values = value.expect(base, total, valueValid);
      const out = [];
      for (let i = 0; i < n; i++) {
        if (!valid(i)) { out.push(null); continue; }
        const pairs = [];
        for (let k = starts[i]; k < starts[i + 1]; k++) pairs.push([keys[k], values[k]]);
        out.push(pairs);
      }
      return out;
    },
  };
}

const byName = (n) => scalarColumns.find((c) => c.name === n);
const nestedColumns = [
  list('l_i32', 'list', byName('i32'), (i) => i % 4, 'array<int>'),
  list('ll_s', 'large', byName('s'), (i) => (i * 2) % 5, 'array<string>'),
  list('fsl_i16', 'fixed', byName('i16'), () => 2, 'array<smallint>'),
  struct('st', [byName('i32'), byName('s'), list('c', 'list', byName('f64'), (i) => i % 3, 'array<double>')], 'struct<i32:int,s:string,c:array<double>>'),
  map('m', byName('s'), byName('i64'), 'map<string,bigint>'),
  list('l_st', 'list', struct('item', [byName('i8'), byName('ts_us')], 'struct<i8:tinyint,ts_us:timestamp>'), (i) => (i % 3) + 1, 'array<struct<i8:tinyint,ts_us:timestamp>>'),
  map('m_dec', byName('i32'), list('v', 'list', byName('dec'), (i) => i % 2, 'array<decimal(18,2)>'), 'map<int,array<decimal(18,2)>>'),
];

// ---- streams ----

function batchOf(columns, base, n, valid = (i) => !isNull(base + i)) {
  const children = columns.map((c) => c.make(base, n, valid));
  const type = new arrow.Struct(columns.map((c) => new Field(c.name, c.type, true)));
  const data = makeData({ type, length: n, nullCount: 0, children });
  return new arrow.RecordBatch(new arrow.Schema(type.children), data);
}

function expectBatch(columns, base, n, valid = (i) => !isNull(base + i)) {
  return { rows: n, columns: columns.map((c) => c.expect(base, n, valid)) };
}

let count = 0;
function write(name, bytes, expected) {
  fs.writeFileSync(path.join(dir, name + '.arrows'), bytes);
  fs.writeFileSync(path.join(dir, name + '.json'), JSON.stringify(expected));
  count++;
}

function stream(name, columns, sizes) {
  const batches = [];
  const expected = { fields: columns.map((c) => ({ name: c.name, sql: c.sql })), batches: [] };
  let base = 0;
  for (const n of sizes) {
    batches.push(batchOf(columns, base, n));
    expected.batches.push(expectBatch(columns, base, n));
    base += n;
  }
  const schema = new arrow.Schema(columns.map((c) => new Field(c.name, c.type, true)));
  write(name, arrow.tableToIPC(new arrow.Table(schema, batches), 'stream'), expected);
}

stream('js-scalars', scalarColumns, [10, 3, 0, 17]);
stream('js-nested', nestedColumns, [9, 4]);
stream('js-empty', [byName('i64'), byName('s')], []);

// Sliced vectors: the library rebases offsets and re-aligns bitmaps of slices as it writes.
{
  const columns = [byName('i64'), byName('s'), byName('b'), byName('dec'), byName('ts_us'), nestedColumns[0], nestedColumns[3], nestedColumns[4]];
  const whole = batchOf(columns, 0, 30);
  const table = new arrow.Table(whole.schema, [whole]);
  const sliced = table.slice(5, 22);
  const expected = { fields: columns.map((c) => ({ name: c.name, sql: c.sql })), batches: [] };
  const full = expectBatch(columns, 0, 30);
  expected.batches.push({ rows: 17, columns: full.columns.map((col) => col.slice(5, 22)) });
  write('js-sliced', arrow.tableToIPC(sliced, 'stream'), expected);
}

// A dictionary-encoded column: the gateway's reader refuses it (the expectation says so).
{
  const dict = arrow.vectorFromArray(['a', 'b', null, 'a'], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()));
  const table = new arrow.Table({ d: dict });
  write('js-dictionary', arrow.tableToIPC(table, 'stream'), { refused: 'dictionary' });
}

process.stdout.write(JSON.stringify({ streams: count, arrowVersion }));
