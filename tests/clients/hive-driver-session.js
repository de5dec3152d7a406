// One npm hive-driver session over the binary transport with SASL PLAIN, as the client scripts here open it.
'use strict';
const hive = require('hive-driver');
const { TCLIService, TCLIService_types: T } = hive.thrift;

async function openSession(host, port, user, password) {
  const client = new hive.HiveClient(TCLIService, T);
  client.on('error', (e) => { console.error('client error', e); });
  await client.connect({ host, port: Number(port) }, new hive.connections.TcpConnection(),
    new hive.auth.PlainTcpAuthentication({ username: user, password }));
  const session = await client.openSession({ client_protocol: T.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10, username: user });
  return { client, session, utils: new hive.HiveUtils(T), T };
}

// Runs one statement to completion and reads every row (up to 1000 per fetch); the operation stays open.
async function execute(session, utils, sql) {
  const op = await session.executeStatement(sql, { runAsync: true });
  await utils.waitUntilReady(op, false, () => {});
  let rows = [];
  if (op.hasResultSet) {
    op.setMaxRows(1000);
    await utils.fetchAll(op);
    rows = utils.getResult(op).getValue();
  }
  return { op, rows };
}

module.exports = { openSession, execute };
