// Logs in to the gateway with a user name and password through a real third-party client and runs one query;
// prints {"ok": true, "rows": [...]} or {"ok": false, "error": "..."}.
// Usage: node ldap-login-check.js hive-driver <host> <port> <user> <password>
//        node ldap-login-check.js databricks <host> <httpPort> <user> <password> <path> <ca.pem>
// The Databricks connector sends HTTP Basic user:password (what ODBC's AuthMech=3 UID/PWD does) through a custom
// authentication provider (its own PlainHttpAuthentication sends the password as a bearer token), over HTTPS
// trusting the test certificate.
'use strict';
const fs = require('fs');

const [client, host, port, user, password, path, caFile] = process.argv.slice(2);

async function hiveDriver() {
  const hive = require('hive-driver');
  const { TCLIService, TCLIService_types: T } = hive.thrift;
  const c = new hive.HiveClient(TCLIService, T);
  c.on('error', () => {});
  await c.connect({ host, port: Number(port) }, new hive.connections.TcpConnection(),
    new hive.auth.PlainTcpAuthentication({ username: user, password }));
  const session = await c.openSession({ client_protocol: T.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, username: user });
  const utils = new hive.HiveUtils(T);
  const op = await session.executeStatement('SELECT 1 AS one', { runAsync: true });
  await utils.waitUntilReady(op, false, () => {});
  await utils.fetchAll(op);
  const rows = utils.getResult(op).getValue();
  await op.close();
  await session.close();
  await c.close();
  return rows;
}

async function databricks() {
  const { DBSQLClient } = require('@databricks/sql');
  // The connector logs to stdout by default; only our one JSON line may go there.
  const logger = { log(level, message) { if (level === 'error' || level === 'warn') console.error(`[${level}] ${message}`); } };
  const c = new DBSQLClient({ logger });
  const connection = await c.connect({
    host, port: Number(port), path, authType: 'custom', customCaCert: fs.readFileSync(caFile),
    provider: { authenticate: async () => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }) },
  });
  const session = await connection.openSession();
  const op = await session.executeStatement('SELECT 1 AS one');
  const rows = await op.fetchAll();
  await op.close();
  await session.close();
  await c.close();
  return rows;
}

(async () => {
  try {
    const rows = client === 'databricks' ? await databricks() : await hiveDriver();
    console.log(JSON.stringify({ ok: true, rows }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, error: String((e && e.message) || e) }));
  }
  process.exit(0);
})();
