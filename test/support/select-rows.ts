import { Session, MemoryStream, type Column, type DataFrame, types as T } from '../../src/index.ts';

const session = Session.builder().appName('function-table-tests').getOrCreate();
let seq = 0;

/**
 * Run `select(...cols)` over `rows` through a MemoryStream and the memory sink, and return the
 * rows: the way the function table tests check a function end to end (binding, casts, kernel).
 */
export async function selectRows(schema: T.Struct, rows: readonly Record<string, unknown>[], ...cols: (Column | string)[]): Promise<Record<string, unknown>[]> {
  return queryRows(schema, rows, (df) => df.select(...cols));
}

/** Run `build(df)` over `rows` (a MemoryStream) through the memory sink and return its rows. */
export async function queryRows(schema: T.Struct, rows: readonly Record<string, unknown>[], build: (df: DataFrame) => DataFrame): Promise<Record<string, unknown>[]> {
  const stream = new MemoryStream(session, schema);
  stream.addData(rows);
  const name = `fn_table_${seq++}`;
  const q = await build(stream.toDF()).writeStream.format('memory').queryName(name).start();
  await q.processAllAvailable();
  await q.stop();
  return session.table(name).collect();
}

/** Run `build(df)` (an aggregation) over `rows` in complete mode through the memory sink and return its rows. */
export async function aggRows(schema: T.Struct, rows: readonly Record<string, unknown>[], build: (df: DataFrame) => DataFrame): Promise<Record<string, unknown>[]> {
  const stream = new MemoryStream(session, schema);
  stream.addData(rows);
  const name = `agg_table_${seq++}`;
  const q = await build(stream.toDF()).writeStream.format('memory').outputMode('complete').queryName(name).start();
  await q.processAllAvailable();
  await q.stop();
  return session.table(name).collect();
}
