// Drives the gateway with the npm `jshs2` client (no-SASL only) and prints one JSON document.
// Usage: node jshs2-check.js <host> <port> <user>
'use strict';
const { HiveConnection, Configuration, IDLContainer, HS2Util } = require('jshs2');

const [host, port, user] = process.argv.slice(2);
const LONG_QUERY = 'SELECT sum(a.range * b.range) FROM range(200000) a, range(200000) b';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const configure = new Configuration({
    auth: 'NOSASL', host, port, timeout: 10000, username: user, password: '',
    hiveType: HS2Util.HIVE_TYPE.HIVE, hiveVer: '2.1.0', thriftVer: '0.9.3',
    maxRows: 10000, nullStr: 'NULL', i64ToString: true,
  });
  const idl = new IDLContainer();
  await idl.initialize(configure);
  const connection = new HiveConnection(configure, idl);
  const cursor = await connection.connect();
  const serviceType = idl.ServiceType;
  const out = {};

  async function waitDone() {
    for (let i = 0; i < 2000; i += 1) {
      const status = await cursor.getOperationStatus();
      if (HS2Util.isFinish(cursor, status)) return status;
      await sleep(10);
    }
    throw new Error('never finished');
  }
  async function query(sql) {
    const exec = await cursor.execute(sql);
    await waitDone();
    const result = { columns: [], rows: [] };
    if (exec.hasResultSet) {
      result.columns = (await cursor.getSchema()).map((c) => c.columnName);
      for (;;) {
        const block = await cursor.fetchBlock();
        if (!block.rows || block.rows.length === 0) break;
        for (const r of block.rows) result.rows.push(r);
        if (!block.hasMoreRows) break;
      }
    }
    await cursor.close();
    return result;
  }

  out.simple = await query("SELECT 1 AS one, 'two' AS two, CAST(NULL AS INT) AS three, CAST(12.34 AS DECIMAL(10,2)) AS five");
  const big = await query('SELECT sale_id, channel FROM demo.sales ORDER BY sale_id LIMIT 100000');
  out.big = { count: big.rows.length, first: big.rows[0], last: big.rows[big.rows.length - 1] };
  out.tables = await query('SHOW TABLES IN demo');

  await cursor.execute(LONG_QUERY);
  for (let i = 0; i < 500; i += 1) {
    const s = await cursor.getOperationStatus();
    if (s === serviceType.TOperationState.RUNNING_STATE) break;
    await sleep(10);
  }
  await cursor.cancel();
  let state;
  for (let i = 0; i < 1000; i += 1) {
    state = await cursor.getOperationStatus();
    if (state !== serviceType.TOperationState.RUNNING_STATE && state !== serviceType.TOperationState.PENDING_STATE) break;
    await sleep(10);
  }
  out.cancel = Object.keys(serviceType.TOperationState).find((k) => serviceType.TOperationState[k] === state);
  await cursor.close();
  out.afterCancel = (await query('SELECT 8 AS eight')).rows;
  await connection.close();
  process.stdout.write(JSON.stringify(out));
}

main().then(() => process.exit(0)).catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
