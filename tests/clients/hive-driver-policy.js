// One hive-driver session per user running the same statements against a gateway with an access policy; prints,
// per user and statement, its column names and rows, or the error the gateway answered (a refusal is a result here).
// Usage: node hive-driver-policy.js <host> <port> <users and passwords as a JSON object> <statements as a JSON array>
'use strict';
const { openSession, execute } = require('./hive-driver-session');

const [host, port, usersJson, statementsJson] = process.argv.slice(2);

async function run(user, password, statements) {
  const { client, session, utils } = await openSession(host, port, user, password);
  const out = [];
  for (const sql of statements) {
    try {
      const { op, rows } = await execute(session, utils, sql);
      await op.close();
      out.push({ sql, rows });
    } catch (e) {
      out.push({ sql, error: String(e && e.message ? e.message : e) });
    }
  }
  await session.close();
  await client.close();
  return out;
}

async function main() {
  const users = JSON.parse(usersJson);
  const statements = JSON.parse(statementsJson);
  const result = {};
  for (const [user, password] of Object.entries(users)) result[user] = await run(user, password, statements);
  process.stdout.write(JSON.stringify(result));
}

main().then(() => process.exit(0)).catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
