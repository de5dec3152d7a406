// A slow BI reader with the npm `hive-driver` client: reads the first rows of a result, goes quiet for a while (long
// enough for the gateway to spool the rest and give the engine back), then reads the rest. Prints one JSON document.
// Usage: node hive-driver-slow-reader.js <host> <port> <user> <password> <rows> <quietMs>
'use strict';
const { openSession } = require('./hive-driver-session');

const [host, port, user, password, rows, quietMs] = process.argv.slice(2);

async function main() {
  const { client, session, utils } = await openSession(host, port, user, password);
  const op = await session.executeStatement(
    `SELECT i, 'row ' || i AS label, CASE WHEN i % 7 = 0 THEN NULL ELSE i * 2 END AS maybe FROM range(${Number(rows)}) t(i) ORDER BY i`,
    { runAsync: true });
  await utils.waitUntilReady(op, false, () => {});
  op.setMaxRows(100);
  await op.fetch();
  const first = utils.getResult(op).getValue().length;
  console.error('quiet');
  await new Promise((r) => setTimeout(r, Number(quietMs)));
  op.setMaxRows(5000);
  await utils.fetchAll(op);
  const all = utils.getResult(op).getValue();
  let ordered = true;
  let nulls = 0;
  let sum = 0;
  for (let k = 0; k < all.length; k++) {
    const r = all[k];
    if (Number(r.i) !== k || r.label !== `row ${k}`) ordered = false;
    if (r.maybe === null) nulls++; else if (Number(r.maybe) !== k * 2) ordered = false;
    sum += Number(r.i);
  }
  await op.close();
  await session.close();
  client.close();
  console.log(JSON.stringify({ first, count: all.length, ordered, nulls, sum }));
}

main().catch((e) => { console.error(e); process.exit(1); });
