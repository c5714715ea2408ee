import { DuckDBInstance } from '@duckdb/node-api';

/** Run SQL in a fresh in-memory DuckDB and return row objects (the real reader users query the lake with). */
export async function duckQuery(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const r = await conn.runAndReadAll(sql);
    return r.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
  }
}
