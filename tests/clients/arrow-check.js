// Reads every Arrow IPC stream the gateway's writer produced (<dir>/<name>.arrows) with the npm
// `apache-arrow` library and compares it with what the test expects (<dir>/<name>.json): fields
// (names, nullability, types with their parameters), batch and row counts, and every value, both
// from the decoded buffers and through the library's public getters (what clients use). The same
// checks run with the apache-arrow 13 bundled by @databricks/sql, except for what that version
// cannot read (see unreadableBy13).
// Usage: node arrow-check.js <dir>   — prints a JSON summary; exits 1 listing mismatches.
'use strict';
const fs = require('fs');
const path = require('path');

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node arrow-check.js <dir>');
  process.exit(2);
}

const arrowMain = require.resolve('apache-arrow');
const arrow21 = require(arrowMain);
const arrow13 = require(require.resolve('apache-arrow', { paths: [path.dirname(require.resolve('@databricks/sql/package.json'))] }));
// apache-arrow's "exports" hides package.json from require.
const arrowVersion = JSON.parse(fs.readFileSync(path.join(path.dirname(arrowMain), 'package.json'), 'utf8')).version;

const errors = [];
const MAX_ERRORS = 40;
function fail(where, message) {
  if (errors.length < MAX_ERRORS) errors.push(`${where}: ${message}`);
}

const show = (v) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x));

function same(a, b) {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return same(ka, kb) && ka.every((k) => same(a[k], b[k]));
}

function checker(arrow, label) {
  const { Type, DateUnit, TimeUnit, IntervalUnit, Precision } = arrow;
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const num = (v) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v);
  const int128 = (w) => BigInt.asIntN(128, BigInt(w[0]) | (BigInt(w[1]) << 32n) | (BigInt(w[2]) << 64n) | (BigInt(w[3]) << 96n)).toString();
  // 64-bit values are BigInt64Array entries, or (timestamps in apache-arrow 13) int32 pairs.
  const i64 = (values, i) => (values instanceof BigInt64Array
    ? values[i]
    : BigInt.asIntN(64, BigInt(values[2 * i] >>> 0) | (BigInt(values[2 * i + 1]) << 32n))).toString();
  const mdn = (w) => ({ months: w[0], days: w[1], nanos: BigInt.asIntN(64, BigInt(w[2] >>> 0) | (BigInt(w[3]) << 32n)).toString() });

  function describeType(t) {
    switch (t.typeId) {
      case Type.Null: return { id: 'Null' };
      case Type.Bool: return { id: 'Bool' };
      case Type.Int: return { id: 'Int', bitWidth: t.bitWidth, signed: t.isSigned };
      case Type.Float: return { id: 'FloatingPoint', precision: Precision[t.precision] };
      case Type.Decimal: return { id: 'Decimal', precision: t.precision, scale: t.scale, bitWidth: t.bitWidth };
      case Type.Utf8: return { id: 'Utf8' };
      case Type.Binary: return { id: 'Binary' };
      case Type.Date: return { id: 'Date', unit: DateUnit[t.unit] };
      case Type.Time: return { id: 'Time', unit: TimeUnit[t.unit], bitWidth: t.bitWidth };
      case Type.Timestamp: return { id: 'Timestamp', unit: TimeUnit[t.unit], timezone: t.timezone ?? null };
      case Type.Interval: return { id: 'Interval', unit: IntervalUnit[t.unit] };
      case Type.List: return { id: 'List' };
      case Type.Struct: return { id: 'Struct' };
      case Type.Map: return { id: 'Map', keysSorted: t.keysSorted };
      default: return { id: `unexpected ${Type[t.typeId]}` };
    }
  }

  const describeField = (f) => ({
    name: f.name,
    nullable: f.nullable,
    type: describeType(f.type),
    children: (f.type.children || []).map(describeField),
  });

  // The value at index i of one Data, read from its buffers.
  function canon(data, i) {
    const t = data.type;
    if (t.typeId === Type.Null) return null;
    if (!data.getValid(i)) return null;
    switch (t.typeId) {
      case Type.Bool: {
        const bit = data.offset + i;
        return (data.values[bit >> 3] & (1 << (bit & 7))) !== 0;
      }
      case Type.Int: return t.bitWidth === 64 ? i64(data.values, i) : data.values[i];
      case Type.Float: return num(data.values[i]);
      case Type.Decimal: return int128(data.values.subarray(4 * i, 4 * i + 4));
      case Type.Utf8:
      case Type.Binary: {
        const start = data.valueOffsets[i];
        const end = data.valueOffsets[i + 1];
        if (end < start) throw new Error(`offsets decrease at ${i}`);
        const bytes = data.values.subarray(start, end);
        return t.typeId === Type.Utf8 ? utf8.decode(bytes) : Buffer.from(bytes).toString('base64');
      }
      case Type.Date: return data.values[i];
      case Type.Time:
      case Type.Timestamp: return i64(data.values, i);
      case Type.Interval: return mdn(data.values.subarray(4 * i, 4 * i + 4));
      case Type.List:
      case Type.Map: {
        const out = [];
        const child = data.children[0];
        for (let j = data.valueOffsets[i]; j < data.valueOffsets[i + 1]; j += 1) {
          out.push(t.typeId === Type.List ? canon(child, j) : [canon(child.children[0], j), canon(child.children[1], j)]);
        }
        return out;
      }
      case Type.Struct: {
        const out = {};
        t.children.forEach((f, k) => { out[f.name] = canon(data.children[k], i); });
        return out;
      }
      default: throw new Error(`no reader for ${Type[t.typeId]}`);
    }
  }

  // Whether a value from the library's getter (vector.get, row objects) agrees with the expectation.
  function agrees(t, v, e) {
    if (e === null) return v === null;
    if (v === null || v === undefined) return false;
    switch (t.typeId) {
      case Type.Bool: case Type.Utf8: return v === e;
      case Type.Int: return t.bitWidth === 64 ? typeof v === 'bigint' && v.toString() === e : v === e;
      case Type.Float: return num(v) === e;
      case Type.Decimal: return int128(v) === e;
      case Type.Binary: return Buffer.from(v).toString('base64') === e;
      case Type.Date: return (v instanceof Date ? v.getTime() : v) === e * 86400000;
      case Type.Time: return v.toString() === e;
      case Type.Timestamp: {
        // Getters give (fractional) milliseconds as a number: equal up to double precision.
        const micros = Number(e);
        return Math.abs(Number(v) * 1000 - micros) <= Math.max(1, Math.abs(micros) * 4e-16);
      }
      case Type.Interval: return same(mdn(v), e);
      case Type.List: return v.length === e.length && e.every((x, j) => agrees(t.children[0].type, v.get(j), x));
      case Type.Map: {
        const entries = [...v];
        const [kt, vt] = t.children[0].type.children.map((f) => f.type);
        return entries.length === e.length && e.every(([k, x], j) => agrees(kt, entries[j][0], k) && agrees(vt, entries[j][1], x));
      }
      case Type.Struct: return t.children.every((f) => agrees(f.type, v[f.name], e[f.name]));
      default: return false;
    }
  }

  return function check(name, bytes, expected) {
    const where = `${label} ${name}`;
    const reader = arrow.RecordBatchReader.from(bytes).open();
    const { schema } = reader; // cleared once the reader is drained
    // A stream without batches reads as one empty placeholder batch.
    const batches = [...reader].filter((b) => b.constructor.name !== '_InternalEmptyPlaceholderRecordBatch');
    const fields = schema.fields.map(describeField);
    if (!same(fields, expected.fields)) {
      fail(where, `fields differ\n  expected ${show(expected.fields)}\n  actual   ${show(fields)}`);
      return { values: 0 };
    }
    if (batches.length !== expected.batches.length) {
      fail(where, `${batches.length} batches, expected ${expected.batches.length}`);
      return { values: 0 };
    }
    let values = 0;
    batches.forEach((batch, b) => {
      const eb = expected.batches[b];
      if (batch.numRows !== eb.rows) fail(`${where} batch ${b}`, `${batch.numRows} rows, expected ${eb.rows}`);
      schema.fields.forEach((field, c) => {
        const vector = batch.getChildAt(c);
        const data = vector.data[0];
        const col = eb.columns[c];
        if (vector.length !== col.length) fail(`${where} batch ${b} ${field.name}`, `length ${vector.length}, expected ${col.length}`);
        const nulls = col.filter((x) => x === null).length;
        if (field.type.typeId !== Type.Null && data.nullCount !== nulls) fail(`${where} batch ${b} ${field.name}`, `nullCount ${data.nullCount}, expected ${nulls}`);
        for (let i = 0; i < col.length; i += 1) {
          const at = `${where} batch ${b} ${field.name}[${i}]`;
          let actual;
          try {
            actual = canon(data, i);
          } catch (e) {
            fail(at, `unreadable: ${e.message}`);
            continue;
          }
          if (!same(actual, col[i])) fail(at, `buffers hold ${show(actual)}, expected ${show(col[i])}`);
          const got = vector.get(i);
          if (!agrees(field.type, got, col[i])) fail(at, `get() gives ${show(got)}, expected ${show(col[i])}`);
          values += 1;
        }
      });
      // Whole rows through the row API must materialize.
      for (const row of batch.toArray()) show(row.toJSON());
    });
    const table = arrow.tableFromIPC(bytes);
    const rows = expected.batches.reduce((n, x) => n + x.rows, 0);
    if (table.numRows !== rows) fail(where, `table has ${table.numRows} rows, expected ${rows}`);
    return { values, batches: batches.length, rows };
  };
}

function hasInterval(fields) {
  return fields.some((f) => f.type.id === 'Interval' || hasInterval(f.children));
}

// What apache-arrow 13 cannot read: month_day_nano intervals (misread as another interval unit),
// and the row count of a batch without columns (it counts the rows of the first column).
function unreadableBy13(expected) {
  return hasInterval(expected.fields) || (expected.fields.length === 0 && expected.batches.some((b) => b.rows > 0));
}

function main() {
  const check21 = checker(arrow21, `apache-arrow ${arrowVersion}`);
  const check13 = checker(arrow13, 'apache-arrow 13 (@databricks/sql)');
  const names = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  const summary = { streams: 0, batches: 0, rows: 0, values: 0, arrow13Streams: 0, arrow13Skipped: [] };
  for (const name of names) {
    const expected = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));
    const bytes = fs.readFileSync(path.join(dir, `${name}.arrows`));
    try {
      const r = check21(name, bytes, expected);
      summary.streams += 1;
      summary.batches += r.batches || 0;
      summary.rows += r.rows || 0;
      summary.values += r.values;
    } catch (e) {
      fail(`apache-arrow ${name}`, `failed to read: ${e.stack}`);
    }
    if (unreadableBy13(expected)) {
      summary.arrow13Skipped.push(name);
      continue;
    }
    try {
      check13(name, bytes, expected);
      summary.arrow13Streams += 1;
    } catch (e) {
      fail(`apache-arrow 13 ${name}`, `failed to read: ${e.stack}`);
    }
  }
  if (names.length === 0) fail(dir, 'no streams to check');
  if (errors.length > 0) {
    console.error(`${errors.length}${errors.length === MAX_ERRORS ? '+' : ''} mismatches:\n${errors.join('\n')}`);
    process.exit(1);
  }
  console.log(JSON.stringify(summary));
}

main();
