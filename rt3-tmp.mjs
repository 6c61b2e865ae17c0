import postgres from "postgres";
const max = Number(process.argv[2]);
const sql = postgres("postgres://postgres@127.0.0.1:5432/postgres", { max, onnotice() {} });
await Promise.all(Array.from({ length: max }, () => sql`select pg_sleep(0.05)`));
await sql`drop table if exists mb_head, mb_cards`;
await sql`create table mb_head (board_id text primary key, seq bigint)`;
await sql`insert into mb_head values ('b', 0)`;
const tot = [];
for (let i = 0; i < 3000; i++) {
  const t0 = performance.now();
  const q = await sql.reserve();
  const w = [q.unsafe("BEGIN").execute(), q.unsafe("SET LOCAL lock_timeout = 14000").execute(),
    q`update mb_head set seq = seq + 1 where board_id = 'b'`.execute(), q`select 1`.execute(), q`select 2`.execute(), q`select 3`.execute(), q.unsafe("COMMIT").execute()];
  await Promise.all(w);
  q.release();
  tot.push(performance.now() - t0);
}
const m = (x) => [...x].sort((p, q) => p - q)[x.length >> 1].toFixed(3);
console.log("max", max, "tot p50", m(tot));
await sql`drop table if exists mb_head`;
await sql.end();
