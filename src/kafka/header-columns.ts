import * as A from 'apache-arrow';
import { array, binary, string, struct, toArrowType, type ArrayType, type Struct } from '../data/types.ts';
import { BytesBuilder, ValidityBuilder, listColumn } from '../data/builders.ts';

/** Spark's `headers` column (option includeHeaders): array<struct<key: string, value: binary>>. */
export const kafkaHeadersType: ArrayType = array(struct({ key: string, value: binary }));

/**
 * The `headers` column of one fetch round, built as it is decoded: per row an offset into one
 * key column and one value column of all the round's headers, in record order (a key may repeat;
 * the order is kept). A record without headers is a null row, as Spark's source gives it.
 */
export class HeaderColumns {
  private offsets: Int32Array;
  private readonly valid: ValidityBuilder;
  private readonly keys = new BytesBuilder(256, 4096);
  private readonly values = new BytesBuilder(256, 4096);
  private rows = 0;
  private count = 0;

  constructor(rows: number) {
    this.offsets = new Int32Array(rows + 1);
    this.valid = new ValidityBuilder(rows);
  }

  /** One header of the current record; a value length of -1 is a null value. */
  add(src: Uint8Array, keyStart: number, keyLen: number, valueStart: number, valueLen: number): void {
    this.keys.appendBytes(src, keyStart, keyStart + keyLen);
    if (valueLen < 0) this.values.appendNull(); else this.values.appendBytes(src, valueStart, valueStart + valueLen);
    this.count++;
  }

  /** Close the current record's row (null when it had no header). */
  endRow(): void {
    if (this.rows + 1 >= this.offsets.length) { const o = new Int32Array(this.offsets.length * 2); o.set(this.offsets); this.offsets = o; }
    this.valid.set(this.rows, this.count > this.offsets[this.rows]!);
    this.offsets[++this.rows] = this.count;
  }

  finish(): A.Data {
    const n = this.rows, el = kafkaHeadersType.elementType as Struct;
    const child = A.makeData({ type: toArrowType(el) as A.Struct, length: this.count, nullCount: 0, children: [this.keys.finish('string'), this.values.finish('binary')] });
    return listColumn(kafkaHeadersType, this.offsets.subarray(0, n + 1), child, n, this.valid.finish(n), this.valid.nullCount);
  }
}
