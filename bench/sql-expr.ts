/**
 * expr-heavy projections against the same projection written with Column methods, in one run
 * (issue 13): ten columns built with eleven registry functions over N rows, through selectExpr()
 * and through the Column API.
 *
 *   npx tsx bench/sql-expr.ts [--rows 1000000] [--rounds 3]
 *
 * Rows go into a MemoryStream in batches of 100k (set-up, not timed); each round times start() ..
 * processAllAvailable() of the projection into a foreachBatch sink that only counts rows, the two
 * forms taking turns (the parsed SQL is the same Expr tree as the Column form, so it binds to the same kernels). The SQL form also reports its parse time: the parser runs once per query,
 * so the two forms should differ by noise only. Prints one JSON line on stdout.
 */
import { parseArgs } from 'node:util';
import {
  Session, MemoryStream, col, lit, when, coalesce, concat_ws, upper, trim, length, substring, abs, round, regexp_extract, types as T,
  type DataFrame,
} from '../src/index.ts';
import { parseSqlExpr } from '../src/plan/sql/parser.ts';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '3' } } });
const N = Number(args.rows), rounds = Number(args.rounds), chunk = 100_000;
const session = Session.builder().appName('bench-sql-expr').getOrCreate();
const schema = T.struct({ id: T.long, name: T.string, amount: T.double, n: T.int, code: T.string });

const sqls = [
  'id',
  "CASE WHEN amount > 500 THEN 'high' WHEN amount > 100 THEN 'mid' ELSE 'low' END AS band",
  'coalesce(n, -1) AS n0',
  "concat_ws('-', name, code) AS label",
  'upper(trim(name)) AS uname',
  'length(name) AS len',
  'substring(code, 2, 3) AS part',
  'abs(amount - 500) AS dist',
  'round(amount * 1.07, 2) AS gross',
  "regexp_extract(code, '([A-Z]+)(\\\\d+)', 2) AS digits",
];
const columns = () => [
  col('id'),
  when(col('amount').gt(500), 'high').when(col('amount').gt(100), 'mid').otherwise('low').alias('band'),
  coalesce(col('n'), lit(-1)).alias('n0'),
  concat_ws('-', 'name', 'code').alias('label'),
  upper(trim('name')).alias('uname'),
  length('name').alias('len'),
  substring('code', 2, 3).alias('part'),
  abs(col('amount').minus(500)).alias('dist'),
  round(col('amount').multiply(1.07), 2).alias('gross'),
  regexp_extract('code', '([A-Z]+)(\\d+)', 2).alias('digits'),
];

function source(): DataFrame {
  const stream = new MemoryStream(session, schema);
  for (let start = 0; start < N; start += chunk) {
    const rows: Record<string, unknown>[] = [];
    for (let i = start; i < Math.min(N, start + chunk); i++) {
      rows.push({ id: BigInt(i), name: i % 17 === 0 ? null : ` user${i % 1000} `, amount: (i * 7919) % 1000 + 0.005, n: i % 5 === 0 ? null : i % 100, code: `AB${i % 10000}` });
    }
    stream.addData(rows);
  }
  return stream.toDF();
}

async function time(build: (df: DataFrame) => DataFrame): Promise<number> {
  const df = source();
  let rows = 0;
  const t0 = performance.now();
  const q = await build(df).writeStream.foreachBatch((b) => { rows += b.count(); }).start();
  await q.processAllAvailable();
  await q.stop();
  const ms = performance.now() - t0;
  if (rows !== N) throw new Error(`expected ${N} rows, got ${rows}`);
  return ms;
}

const p0 = performance.now();
for (const s of sqls) parseSqlExpr(s, { allowAlias: true });
const parseMs = performance.now() - p0;

const sqlMs: number[] = [], columnMs: number[] = [];
for (let r = 0; r < rounds; r++) {
  // The forms swap places each round, so neither always runs on a fresher heap.
  if (r % 2 === 0) { sqlMs.push(await time((df) => df.selectExpr(...sqls))); columnMs.push(await time((df) => df.select(...columns()))); }
  else { columnMs.push(await time((df) => df.select(...columns()))); sqlMs.push(await time((df) => df.selectExpr(...sqls))); }
}
const best = (xs: number[]) => Math.min(...xs);
console.log(JSON.stringify({
  rows: N, columns: sqls.length, rounds,
  selectExprMs: Math.round(best(sqlMs)), columnApiMs: Math.round(best(columnMs)),
  ratio: +(best(sqlMs) / best(columnMs)).toFixed(3), parseAllMs: +parseMs.toFixed(3),
  roundsMs: { selectExpr: sqlMs.map(Math.round), columnApi: columnMs.map(Math.round) },
}));
