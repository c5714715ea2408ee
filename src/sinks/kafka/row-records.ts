import type * as A from 'apache-arrow';
import type { Batch } from '../../data/batch.ts';
import { isValid } from '../../data/batch.ts';
import { type DataType, type Struct, sameType, typeToString } from '../../data/types.ts';
import { AnalysisError, DataError } from '../../errors.ts';
import type { RecordHeader, RecordParts } from '../../kafka/record-batch.ts';
import { kafkaHeadersType } from '../../kafka/header-columns.ts';

/**
 * Spark's Kafka row contract (KafkaWriter): `value` (string or binary) is required; `key`
 * (string or binary), `topic` (string; the option `topic` overrides it), `partition` (int) and
 * `headers` (array<struct<key: string, value: binary>>, the source's includeHeaders column) are
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
  private readonly headers: number;

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
    this.headers = schema.fields.findIndex((f) => f.name === 'headers');
    if (this.headers >= 0 && !sameType(schema.fields[this.headers]!.type, kafkaHeadersType)) {
      const t = typeToString(schema.fields[this.headers]!.type);
      throw new AnalysisError(`headers attribute unsupported type ${t}. headers must be a(n) ${typeToString(kafkaHeadersType)}, `
        + `as the kafka source's includeHeaders gives it. Build it with array(struct(...)) of a string 'key' and a binary 'value', or rename the column.`);
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
    let headers: (RecordHeader[] | null)[] | undefined;
    if (this.headers >= 0) {
      headers = new Array(count).fill(null);
      let at = 0;
      for (const b of data) { headersInto(batchId, b.columns[this.headers]!, b.numRows, headers, at); at += b.numRows; }
    }
    return { count, keys, values, topics, partitions, headers };
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

/**
 * Each row's headers (null for a null or empty array) from an array<struct<key, value>> column:
 * views into its key and value children. A null element or a null key has no Kafka form (a
 * header's key is a string) and fails naming the row.
 */
function headersInto(batchId: number, d: A.Data, n: number, out: (RecordHeader[] | null)[], at: number): void {
  const offsets = d.valueOffsets as Int32Array | undefined, el = d.children[0];
  if (!offsets || !el) return; // Arrow's Null type: no headers
  const total = offsets[n]!;
  const keys = new Array<Uint8Array | null>(total), values = new Array<Uint8Array | null>(total);
  bytesInto(el.children[0]!, total, keys, 0);
  bytesInto(el.children[1]!, total, values, 0);
  for (let i = 0; i < n; i++) {
    if (d.nullCount > 0 && !isValid(d, i)) continue;
    const from = offsets[i]!, to = offsets[i + 1]!;
    if (from === to) continue;
    const hs: RecordHeader[] = [];
    for (let j = from; j < to; j++) {
      const key = keys[j]!;
      if ((el.nullCount > 0 && !isValid(el, j)) || key === null) {
        throw new DataError(`Kafka sink: batch ${batchId}, row ${at + i}: column 'headers' holds a null ${key === null ? 'key' : 'element'} at position ${j - from}; `
          + `a Kafka header needs a key. Filter such headers out (e.g. with filter(...) on the array) before writing.`);
      }
      hs.push({ key, value: values[j]! });
    }
    out[at + i] = hs;
  }
}
