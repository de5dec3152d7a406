// The real Trino client from npm (trino-client) against the gateway's Trino frontend: runs each statement to its
// end and prints, per statement, its columns (name and type), its rows, the pages it took, and its error if any.
// A statement prefixed with "cancel:" is canceled after its first page (DELETE /v1/query/{id}).
// Usage: node trino-client-check.js <server url> <user> <password or ""> <session properties as JSON> <statements as JSON>
'use strict';
const { Trino, BasicAuth } = require('trino-client');

const [server, user, password, sessionJson, statementsJson] = process.argv.slice(2);

async function run(trino, sql) {
  const cancel = sql.startsWith('cancel:');
  const text = cancel ? sql.slice('cancel:'.length) : sql;
  const iter = await trino.query(text);
  const out = { sql, columns: null, rows: [], pages: 0 };
  for await (const page of iter) {
    out.pages++;
    if (page.columns) out.columns = page.columns.map((c) => ({ name: c.name, type: c.type }));
    if (page.data) for (const row of page.data) out.rows.push(row);
    if (page.error) {
      out.error = { message: page.error.message, errorName: page.error.errorName, errorType: page.error.errorType, sqlState: page.error.sqlState };
    }
    out.state = page.stats && page.stats.state;
    if (cancel && page.id) {
      await trino.cancel(page.id);
      out.canceled = page.id;
      break;
    }
  }
  return out;
}

async function main() {
  const options = { server, catalog: 'embedded', schema: 'demo', session: JSON.parse(sessionJson) };
  if (password) options.auth = new BasicAuth(user, password);
  else options.extraHeaders = { 'X-Trino-User': user };
  const trino = Trino.create(options);
  const result = [];
  for (const sql of JSON.parse(statementsJson)) {
    try {
      const r = await run(trino, sql);
      // Only the row count of a large read: the test compares it with HiveServer2's.
      if (r.rows.length > 1000) { r.rowCount = r.rows.length; r.first = r.rows[0]; r.last = r.rows[r.rows.length - 1]; r.rows = []; }
      result.push(r);
    } catch (e) {
      result.push({ sql, thrown: String(e && e.message ? e.message : e) });
    }
  }
  process.stdout.write(JSON.stringify(result));
}

main().then(() => process.exit(0)).catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
