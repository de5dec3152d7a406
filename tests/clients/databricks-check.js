// Drives the gateway with the npm `@databricks/sql` connector over HTTPS with a bearer token, in every
// result mode (Arrow with native types, Arrow with text types, Thrift columns; direct results on and off),
// and prints one JSON document of what it saw. Values are normalised to canonical text so the test can
// compare modes with each other and with the expected values.
// Usage: node databricks-check.js <host> <port> <path> <token> <ca.pem> [bigRows]
'use strict';
const fs = require('fs');
const https = require('https');
// Count LZ4 frame decodes, to check compressed batches really were sent and read.
let lz4Decodes = 0;
const lz4 = require('lz4-napi');
const originalDecode = lz4.decompressFrameSync;
lz4.decompressFrameSync = function countingDecode(...args) {
  lz4Decodes += 1;
  return originalDecode.apply(this, args);
};
const { DBSQLClient, DBSQLParameter, DBSQLParameterType } = require('@databricks/sql');

const [host, port, path, token, caFile, bigRowsArg] = process.argv.slice(2);
const bigRows = Number(bigRowsArg || 1000000);

// Count HTTP requests to the Thrift endpoint, to check what direct results save.
let requests = 0;
const originalRequest = https.request;
https.request = function countingRequest(...args) {
  requests += 1;
  return originalRequest.apply(this, args);
};

function canonical(v) {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return `date:${v.toISOString()}`;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(15)));
  if (typeof v === 'boolean') return String(v);
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return `hex:${Buffer.from(v).toString('hex')}`;
  if (v instanceof Map) return JSON.stringify(Object.fromEntries([...v.entries()].map(([k, x]) => [k, canonicalJson(x)])));
  if (Array.isArray(v)) return JSON.stringify(v.map(canonicalJson));
  if (typeof v === 'object') {
    if (typeof v.toJSON === 'function') return canonical(v.toJSON());
    return JSON.stringify(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, canonicalJson(x)])));
  }
  if (typeof v === 'string') {
    // Text-mode nested values arrive as JSON text: parse them so both modes compare equal.
    if ((v.startsWith('[') || v.startsWith('{')) && v.length > 1) {
      try { return canonical(JSON.parse(v)); } catch (e) { return v; }
    }
    return v;
  }
  return String(v);
}
function canonicalJson(x) {
  if (x === null || x === undefined) return null;
  if (typeof x === 'bigint') return Number(x);
  if (x instanceof Map) return Object.fromEntries([...x.entries()].map(([k, y]) => [k, canonicalJson(y)]));
  if (Array.isArray(x)) return x.map(canonicalJson);
  if (typeof x === 'object' && !(x instanceof Date)) {
    if (typeof x.toJSON === 'function') return canonicalJson(x.toJSON());
    return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, canonicalJson(y)]));
  }
  return x;
}
const rowsOf = (rows) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, canonical(v)])));

const TYPES_SQL = `
SELECT 1 AS id, true AS b, CAST(-8 AS TINYINT) AS ti, CAST(300 AS SMALLINT) AS si, 70000 AS i, CAST(123456789012 AS BIGINT) AS bi,
       CAST(1.5 AS FLOAT) AS f, CAST(2.25 AS DOUBLE) AS d, CAST(12.34 AS DECIMAL(10,2)) AS dec, 'héllo' AS s,
       DATE '2024-02-29' AS dt, TIMESTAMP '2024-02-29 13:45:30.123' AS ts, [1, 2, NULL] AS arr,
       {'a': 1, 'b': 'x'} AS st, MAP {'k': 2} AS m, CAST(NULL AS INTEGER) AS n
UNION ALL
SELECT 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
ORDER BY id`;

async function main() {
  // Stdout carries only the JSON document: the connector's own log lines go to stderr.
  const logger = { log(level, message) { if (level === 'error' || level === 'warn') console.error(`[${level}] ${message}`); } };
  const client = new DBSQLClient({ logger });
  client.on('error', (e) => { console.error('client error', e); });
  await client.connect({
    host, port: Number(port), path, token,
    customCaCert: fs.readFileSync(caFile),
    telemetryEnabled: false,
    retryMaxAttempts: 1,
  });
  const out = { modes: {} };
  const config = client.getConfig();

  const modes = [
    { name: 'arrow-native', arrow: true, native: true, lz4: true },
    { name: 'arrow-text', arrow: true, native: false, lz4: false },
    { name: 'thrift', arrow: false, native: false, lz4: false },
  ];
  for (const mode of modes) {
    config.arrowEnabled = mode.arrow;
    config.useArrowNativeTypes = mode.native;
    config.useLZ4Compression = mode.lz4;
    // The connector asks for LZ4 only when it does not offer cloud fetch (which the gateway never uses).
    config.useCloudFetch = !mode.lz4;
    const session = await client.openSession({ initialSchema: 'demo' });
    const result = {};
    const decodesBefore = lz4Decodes;
    for (const direct of [true, false]) {
      const opts = direct ? {} : { maxRows: null };
      const key = direct ? 'direct' : 'nodirect';
      const before = requests;
      const one = await session.executeStatement('SELECT 1 AS one', opts);
      const oneRows = await one.fetchAll();
      await one.close();
      result[`${key}.selectOne`] = { rows: rowsOf(oneRows), requests: requests - before };
      const types = await session.executeStatement(TYPES_SQL, opts);
      result[`${key}.types`] = rowsOf(await types.fetchAll());
      await types.close();
      const all = await session.executeStatement('SELECT * FROM all_types ORDER BY id', opts);
      const allRows = await all.fetchAll();
      await all.close();
      result[`${key}.allTypes`] = { count: allRows.length, columns: Object.keys(allRows[0] || {}).length };
    }
    // Parameters: named, positional and explicitly typed.
    const named = await session.executeStatement('SELECT :a + 1 AS a1, :s AS s, :n AS n', { namedParameters: { a: 41, s: "it's", n: null } });
    result.named = rowsOf(await named.fetchAll());
    await named.close();
    const ordinal = await session.executeStatement('SELECT ? * 2 AS doubled, ? AS flag', { ordinalParameters: [21, true] });
    result.ordinal = rowsOf(await ordinal.fetchAll());
    await ordinal.close();
    const typed = await session.executeStatement('SELECT :d AS d, :ts AS ts, :dec AS dec, :big AS big', {
      namedParameters: {
        d: new DBSQLParameter({ type: DBSQLParameterType.DATE, value: '2024-02-29' }),
        ts: new DBSQLParameter({ type: DBSQLParameterType.TIMESTAMP, value: '2024-02-29T13:45:30.000Z' }),
        dec: new DBSQLParameter({ type: DBSQLParameterType.DECIMAL, value: '12.34' }),
        big: BigInt('9007199254740991'),
      },
    });
    result.typed = rowsOf(await typed.fetchAll());
    await typed.close();
    const filtered = await session.executeStatement('SELECT count(*) AS c FROM stores WHERE store_id <= ?', { ordinalParameters: [3] });
    result.filtered = rowsOf(await filtered.fetchAll());
    await filtered.close();

    // Metadata calls.
    const md = async (op) => { const rows = await op.fetchAll(); await op.close(); return { count: rows.length, rows: rowsOf(rows.slice(0, 50)) }; };
    result.catalogs = await md(await session.getCatalogs());
    result.schemas = await md(await session.getSchemas({ schemaName: 'demo' }));
    result.tables = await md(await session.getTables({ schemaName: 'demo', tableName: '%' }));
    result.tableTypes = await md(await session.getTableTypes());
    result.columns = await md(await session.getColumns({ schemaName: 'demo', tableName: 'stores' }));
    result.typeInfo = await md(await session.getTypeInfo());
    result.functions = await md(await session.getFunctions({ functionName: 'abs' }));
    result.primaryKeys = await md(await session.getPrimaryKeys({ schemaName: 'demo', tableName: 'customers' }));

    // Errors fail the statement and leave the session usable.
    try {
      const bad = await session.executeStatement('SELECT * FROM no_such_table');
      await bad.fetchAll();
      result.error = 'no error';
    } catch (e) {
      result.error = String(e.message || e);
    }
    const after = await session.executeStatement('SELECT 2 AS two');
    result.afterError = rowsOf(await after.fetchAll());
    await after.close();

    // A large fetch, chunk by chunk, without keeping rows.
    if (mode.name !== 'arrow-text') {
      const started = Date.now();
      const big = await session.executeStatement(`SELECT sale_id, amount, channel FROM sales ORDER BY sale_id LIMIT ${bigRows}`);
      let count = 0;
      let sum = 0n;
      let ordered = true;
      let last = -1n;
      do {
        const chunk = await big.fetchChunk({ maxRows: 100000 });
        for (const r of chunk) {
          const id = BigInt(r.sale_id);
          if (id <= last) ordered = false;
          last = id;
          sum += id;
          count += 1;
        }
      } while (await big.hasMoreRows());
      await big.close();
      result.big = { count, sum: sum.toString(), ordered, ms: Date.now() - started };
    }
    await session.close();
    result.lz4Decodes = lz4Decodes - decodesBefore;
    out.modes[mode.name] = result;
  }
  await client.close();
  console.log(JSON.stringify(out));
}

main().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
