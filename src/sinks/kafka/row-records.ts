import type * as A from 'apache-arrow';
import type { Batch } from '../../data/batch.ts';
import { isValid } from '../../data/batch.ts';
import { type DataType, type Struct, typeToString } from '../../data/types.ts';
import { AnalysisError, DataError } from '../../errors.ts';
import type { RecordParts } from '../../kafka/record-batch.ts';

/**
 * Spark's Kafka row contract (KafkaWriter): `value` (string or binary) is required; `key`
 * (string or binary), `topic` (string; the option `topic` overrides it) and `partition` (int) are
 * optional; other columns are ignored. The key and value bytes are views into the Arrow columns,
 * not copies: a string is its UTF-8 bytes, as Spark writes it.
 */

/** A batch's records, in row order across its chunks (row i of the batch is record i). */
export interface SinkRecords extends RecordParts {
  readonly count: number;
  /** Each record's topic. */
  readonly topics: readonly string[];
  /** The `partition` column's value of each record; -1 where it is null or absent (the partitioner decides). */
  readonly partitions: Int32Array;
}

const BYTES = ['string', 'binary'];

/** Spark's check and message (KafkaWriter.expression): `<name> attribute unsupported type <t>. <name> must be a(n) <types>`. */
function column(schema: Struct, name: string, types: readonly string[], missing: () => void): number {
  const i = schema.fields.findIndex((f) => f.name === name);
  if (i < 0) { missing(); return -1; }
  const t: DataType = schema.fields[i]!.type;
  if (!types.includes(t.kind)) {
    throw new AnalysisError(`${name} attribute unsupported type ${typeToString(t)}. ${name} must be a(n) ${types.join(' or ')}. `
      + `Cast the column (e.g. col('${name}').cast('${types[0]}')) or rename it.`);
  }
  return i;
}

export class RowRecords {
  private readonly value: number;
  private readonly key: number;
  private readonly topic: number;
  private readonly partition: number;

  /** Checks the query's columns when the query starts (Spark's validateQuery). */
  constructor(schema: Struct, private readonly topicOption: string | undefined) {
    const names = schema.fieldNames().join(', ');
    this.topic = topicOption !== undefined ? -1 : column(schema, 'topic', ['string'], () => {
      throw new AnalysisError(`topic option required when no 'topic' attribute is present. Use the topic option for setting a topic `
        + `(.option('topic', 'my-topic')), or add a string column named 'topic'. The query's columns: ${names}.`);
    });
    this.key = column(schema, 'key', BYTES, () => undefined);
    this.value = column(schema, 'value', BYTES, () => {
      throw new AnalysisError(`Required attribute 'value' not found: the kafka sink writes the column 'value' (string or binary) as each record's value. `
        + `The query's columns: ${names}. Add one, e.g. .select(to_json(struct(...)).alias('value')) or col('x').alias('value').`);
    });
    this.partition = column(schema, 'partition', ['int'], () => undefined);
    if (schema.fields.some((f) => f.name === 'headers')) {
      // Spark's headers column is array<struct<key: string, value: binary>>; sluice has no array type yet.
      const t = typeToString(schema.fields.find((f) => f.name === 'headers')!.type);
      throw new AnalysisError(`headers attribute unsupported type ${t}. headers must be a(n) array<struct<key:string,value:binary>>, `
        + `which this version of sluice cannot express yet: drop or rename the 'headers' column.`);
    }
  }

  /** The records of batch `batchId`; a null topic fails naming the column and the row (Spark fails too). */
  encode(batchId: number, data: readonly Batch[]): SinkRecords {
    let count = 0;
    for (const b of data) count += b.numRows;
    const keys: (Uint8Array | null)[] = new Array(count);
    const values: (Uint8Array | null)[] = new Array(count);
    const topics: string[] = new Array(count);
    const partitions = new Int32Array(count).fill(-1);
    let row = 0;
    for (const b of data) {
      const n = b.numRows;
      bytesInto(b.columns[this.value]!, n, values, row);
      if (this.key >= 0) bytesInto(b.columns[this.key]!, n, keys, row);
      else keys.fill(null, row, row + n);
      if (this.topic < 0) topics.fill(this.topicOption!, row, row + n);
      else {
        const d = b.columns[this.topic]!;
        const texts = new Array<Uint8Array | null>(n);
        bytesInto(d, n, texts, 0);
        const dec = new TextDecoder();
        let last: Uint8Array | null = null, lastText = '';
        for (let i = 0; i < n; i++) {
          const t = texts[i]!;
          if (t === null) {
            throw new DataError(`Kafka sink: batch ${batchId}, row ${row + i}: column 'topic' is null. Every row needs a topic: `
              + `fill the column (e.g. coalesce(col('topic'), lit('fallback-topic'))), filter such rows out, or set option 'topic' for all rows.`);
          }
          // Rows of one topic often come in runs: decode each run's name once.
          if (last === null || !sameBytes(last, t)) { last = t; lastText = dec.decode(t); }
          topics[row + i] = lastText;
        }
      }
      if (this.partition >= 0) {
        const d = b.columns[this.partition]!, v = d.values as Int32Array;
        for (let i = 0; i < n; i++) if (isValid(d, i)) partitions[row + i] = v[i]!;
      }
      row += n;
    }
    return { count, keys, values, topics, partitions };
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Views of a string or binary column's cells (null where the cell is null) into `out` from `at`. */
function bytesInto(d: A.Data, n: number, out: (Uint8Array | null)[], at: number): void {
  const offsets = d.valueOffsets as Int32Array | undefined, bytes = d.values as Uint8Array | undefined;
  if (!offsets || !bytes) { out.fill(null, at, at + n); return; } // Arrow's Null type: every cell is null
  const nulls = d.nullCount > 0;
  for (let i = 0; i < n; i++) out[at + i] = nulls && !isValid(d, i) ? null : bytes.subarray(offsets[i]!, offsets[i + 1]!);
}
