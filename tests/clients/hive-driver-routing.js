// One hive-driver session (SASL PLAIN over the binary transport) running a list of statements against a routing
// gateway; prints, per statement, its rows and its operation log (FetchResults with fetchType 1, what Beeline prints).
// Usage: node hive-driver-routing.js <host> <port> <user> <password> <statements as a JSON array>
'use strict';
const { openSession, execute } = require('./hive-driver-session');

const [host, port, user, password, statementsJson] = process.argv.slice(2);

async function main() {
  const statements = JSON.parse(statementsJson);
  const { client, session, utils, T } = await openSession(host, port, user, password);
  const out = [];
  for (const sql of statements) {
    const { op, rows } = await execute(session, utils, sql);
    // The operation log, through the driver's own FetchResults call with fetchType 1.
    const logs = await op.driver.fetchResults({
      operationHandle: op.operationHandle,
      orientation: T.TFetchOrientation.FETCH_FIRST,
      maxRows: 1000,
      fetchType: 1,
    });
    const column = logs.results && logs.results.columns && logs.results.columns[0];
    const log = column && column.stringVal ? column.stringVal.values : [];
    await op.close();
    out.push({ sql, rows, log });
  }
  await session.close();
  await client.close();
  process.stdout.write(JSON.stringify(out));
}

main().then(() => process.exit(0)).catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
