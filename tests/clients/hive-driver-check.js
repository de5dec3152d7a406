// Drives the gateway with the npm `hive-driver` client and prints one JSON document of what it saw.
// Usage: node hive-driver-check.js <host> <port> <nosasl|plain|http|https> <user> <password> [httpPath] [caFile]
// http/https use hive-driver's HttpConnection with Basic auth (PlainHttpAuthentication); https trusts
// only the given CA file and keeps certificate verification on.
'use strict';
const fs = require('fs');
const hive = require('hive-driver');
const { TCLIService, TCLIService_types: T } = hive.thrift;

const [host, port, mode, user, password, httpPath, caFile] = process.argv.slice(2);
const LONG_QUERY = 'SELECT sum(a.range * b.range) FROM range(200000) a, range(200000) b';
const isHttp = mode === 'http' || mode === 'https';

function httpOptions(ca) {
  const options = { path: httpPath || '/cliservice' };
  if (mode === 'https') {
    options.https = true;
    if (ca) options.ca = ca;
    // hive-driver turns verification off whenever `https` is set; turn it back on.
    options.nodeOptions = { rejectUnauthorized: true };
  }
  return options;
}

async function connect(client, pass, ca) {
  if (isHttp) {
    return client.connect({ host, port: Number(port), options: httpOptions(ca) }, new hive.connections.HttpConnection(),
      new hive.auth.PlainHttpAuthentication({ username: user, password: pass }));
  }
  const auth = mode === 'plain'
    ? new hive.auth.PlainTcpAuthentication({ username: user, password: pass })
    : new hive.auth.NoSaslAuthentication();
  return client.connect({ host, port: Number(port) }, new hive.connections.TcpConnection(), auth);
}

// Over HTTP a refused request surfaces as an 'error' event on the client, not as a rejected call.
async function openSessionOrError(pass, ca) {
  const client = new hive.HiveClient(TCLIService, T);
  const failed = new Promise((resolve) => client.on('error', (e) => resolve(e)));
  await connect(client, pass, ca);
  const outcome = await Promise.race([
    client.openSession({ client_protocol: T.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, username: user })
      .then(async (s) => { await s.close(); return { ok: true }; }),
    failed.then((e) => ({
      ok: false,
      statusCode: e.statusCode || null,
      code: e.code || null,
      wwwAuthenticate: e.response && e.response.headers ? e.response.headers['www-authenticate'] || null : null,
    })),
  ]);
  client.close();
  return outcome;
}

async function main() {
  const ca = caFile ? fs.readFileSync(caFile) : undefined;
  const client = new hive.HiveClient(TCLIService, T);
  client.on('error', (e) => { console.error('client error', e); });
  await connect(client, password, ca);
  const session = await client.openSession({
    client_protocol: T.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10,
    username: user,
    configuration: { 'use:database': 'demo' },
  });
  const utils = new hive.HiveUtils(T);
  const out = {};

  async function drain(op, maxRows) {
    await utils.waitUntilReady(op, false, () => {});
    op.setMaxRows(maxRows || 10000);
    await utils.fetchAll(op);
    const rows = utils.getResult(op).getValue();
    const schema = op.getSchema();
    await op.close();
    return { rows, columns: schema ? schema.columns.map((c) => c.columnName) : [] };
  }
  const query = async (sql, maxRows) => drain(await session.executeStatement(sql, { runAsync: true }), maxRows);

  out.info = {
    dbmsName: (await session.getInfo(T.TGetInfoType.CLI_DBMS_NAME)).getValue(),
    dbmsVer: (await session.getInfo(T.TGetInfoType.CLI_DBMS_VER)).getValue(),
    serverName: (await session.getInfo(T.TGetInfoType.CLI_SERVER_NAME)).getValue(),
  };
  out.currentDatabase = (await query('SELECT current_database() AS db')).rows;
  out.simple = (await query("SELECT 1 AS one, 'two' AS two, CAST(NULL AS INT) AS three, 2.5::DOUBLE AS four, CAST(12.34 AS DECIMAL(10,2)) AS five, DATE '2024-01-31' AS six, TIMESTAMP '2024-01-31 12:00:00.123' AS seven")).rows;
  const allTypes = await query('SELECT * FROM demo.all_types ORDER BY 1');
  out.allTypes = { columns: allTypes.columns, rows: allTypes.rows };

  const big = await query('SELECT sale_id FROM demo.sales ORDER BY sale_id LIMIT 100000', 20000);
  let ordered = true;
  for (let i = 1; i < big.rows.length; i += 1) if (Number(big.rows[i].sale_id) <= Number(big.rows[i - 1].sale_id)) ordered = false;
  out.big = { count: big.rows.length, ordered };

  const md = async (op) => { const r = await drain(op); return { columns: r.columns, count: r.rows.length, rows: r.rows.slice(0, 50) }; };
  out.catalogs = await md(await session.getCatalogs());
  out.schemas = await md(await session.getSchemas({ schemaName: 'demo' }));
  out.tables = await md(await session.getTables({ schemaName: 'demo', tableName: 'sa%' }));
  out.tableTypes = await md(await session.getTableTypes());
  out.columns = await md(await session.getColumns({ schemaName: 'demo', tableName: 'sales', columnName: '%' }));
  out.functions = await md(await session.getFunctions({ functionName: 'abs' }));
  out.primaryKeys = await md(await session.getPrimaryKeys({ schemaName: 'demo', tableName: 'customers' }));
  out.crossReference = await md(await session.getCrossReference({
    parentSchemaName: 'demo', parentTableName: 'customers', foreignSchemaName: 'demo', foreignTableName: 'sales',
  }));
  out.typeInfo = await md(await session.getTypeInfo());

  try {
    await query('SELECT * FROM no_such_table');
    out.error = null;
  } catch (e) {
    // The driver puts the server's GetOperationStatus answer (errorMessage, sqlState) on the error.
    out.error = { message: String(e.message || e), serverMessage: e.response ? e.response.errorMessage : null, sqlState: e.response ? e.response.sqlState : null };
  }

  const long = await session.executeStatement(LONG_QUERY, { runAsync: true });
  let state;
  for (let i = 0; i < 500; i += 1) {
    state = (await long.status()).operationState;
    if (state === T.TOperationState.RUNNING_STATE) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const started = Date.now();
  await long.cancel();
  for (let i = 0; i < 1000; i += 1) {
    state = (await long.status()).operationState;
    if (state !== T.TOperationState.RUNNING_STATE && state !== T.TOperationState.PENDING_STATE) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  out.cancel = { state: Object.keys(T.TOperationState).find((k) => T.TOperationState[k] === state), ms: Date.now() - started };
  await long.close();
  out.afterCancel = (await query('SELECT 7 AS seven')).rows;

  await session.close();
  await client.close();
  if (isHttp) {
    out.badPassword = await openSessionOrError(password + '-wrong', ca);
    if (mode === 'https') out.untrusted = await openSessionOrError(password, undefined);
  }
  process.stdout.write(JSON.stringify(out));
}

main().then(() => process.exit(0)).catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
