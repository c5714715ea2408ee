/**
 * One Parquet file to batches: parquet-wasm (arrow-rs) decodes it to an Arrow IPC stream,
 * apache-arrow reads that, and every column is brought to the engine's types.
 */
import * as A from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { type Struct, struct } from '../../data/types.ts';
import { AnalysisError } from '../../errors.ts';
import { type Batch, makeBatch } from '../../data/batch.ts';
import { normalizeColumn } from './normalize-arrow.ts';

export interface DecodedFile {
  readonly schema: Struct;
  readonly batches: Batch[];
}

export function decodeParquet(bytes: Uint8Array, file: string): DecodedFile {
  let table: A.Table;
  try {
    table = A.tableFromIPC(readParquet(bytes).intoIPCStream());
  } catch (e) {
    throw new AnalysisError(`read.parquet: '${file}' is not a readable Parquet file: ${(e as Error)?.message ?? String(e)}.`, { cause: e });
  }
  const where = (k: number): string => `'${file}' column '${table.schema.fields[k]!.name}'`;
  const schemaOf = (types: readonly { type: Struct['fields'][number]['type'] }[]): Struct =>
    struct(table.schema.fields.map((f, k) => ({ name: f.name, type: types[k]!.type, nullable: f.nullable })));
  // arrow-js decodes a 0-row IPC batch's struct columns without children: skip such batches.
  const full = table.batches.filter((rb) => rb.numRows > 0);
  if (full.length === 0) {
    // Types only: run the conversion over empty columns so an empty file has the same schema as a full one.
    return { schema: schemaOf(table.schema.fields.map((f, k) => normalizeColumn(A.vectorFromArray([], f.type).data[0]! as A.Data, where(k)))), batches: [] };
  }
  let schema: Struct | null = null;
  // Record batches decoded from IPC have offset-0 columns: kernels and normalizeColumn index them directly.
  const batches = full.map((rb) => {
    const cols = rb.data.children.map((c, k) => normalizeColumn(c as A.Data, where(k)));
    schema ??= schemaOf(cols);
    return makeBatch(schema, cols.map((c) => c.data), rb.numRows);
  });
  return { schema: schema!, batches };
}
