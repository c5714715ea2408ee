import * as A from 'apache-arrow';
import { array, binary, string, struct, toArrowType, type ArrayType, type Struct } from '../data/types.ts';
import { ValidityBuilder, listColumn } from '../data/builders.ts';

/** Spark's `headers` column (option includeHeaders): array<struct<key: string, value: binary>>. */
export const kafkaHeadersType: ArrayType = array(struct({ key: string, value: binary }));

/** Growable offsets + bytes of one string or binary child column. */
class ByteColumn {
  offsets = new Int32Array(257);
  bytes = new Uint8Array(4096);
  pos = 0;

  /**
   * Copies src[start, start + len) as entry `i`. Short runs are copied byte by byte: a subarray per
   * header (Buffer#subarray makes an object) cost more than the copy, and its garbage more still.
   */
  add(i: number, src: Uint8Array, start: number, len: number): void {
    if (i + 1 >= this.offsets.length) { const o = new Int32Array(this.offsets.length * 2); o.set(this.offsets); this.offsets = o; }
    if (this.pos + len > this.bytes.length) {
      const b = new Uint8Array(Math.max(this.bytes.length * 2, this.pos + len)); b.set(this.bytes.subarray(0, this.pos)); this.bytes = b;
    }
    const out = this.bytes;
    let p = this.pos;
    if (len < 48) for (let k = 0; k < len; k++) out[p++] = src[start + k]!;
    else { out.set(src.subarray(start, start + len), p); p += len; }
    this.pos = p;
    this.offsets[i + 1] = p;
  }

  finish(type: A.Utf8 | A.Binary, n: number, nullBitmap?: Uint8Array, nullCount = 0): A.Data {
    return A.makeData({ type, length: n, nullCount, nullBitmap, valueOffsets: this.offsets.subarray(0, n + 1), data: this.bytes.subarray(0, this.pos) } as never) as A.Data;
  }
}

/**
 * The `headers` column of one fetch round, built as it is decoded: per row an offset into one
 * key column and one value column of all the round's headers, in record order (a key may repeat;
 * the order is kept). A record without headers is a null row, as Spark's source gives it.
 */
export class HeaderColumns {
  private offsets: Int32Array;
  private readonly valid: ValidityBuilder;
  private readonly keys = new ByteColumn();
  private readonly values = new ByteColumn();
  /** Validity of the values (a header value may be null); bits set as headers come. */
  private valueBits = new Uint8Array(32);
  private valueNulls = 0;
  private rows = 0;
  private count = 0;

  constructor(rows: number) {
    this.offsets = new Int32Array(rows + 1);
    this.valid = new ValidityBuilder(rows);
  }

  /** One header of the current record; a value length of -1 is a null value. */
  add(src: Uint8Array, keyStart: number, keyLen: number, valueStart: number, valueLen: number): void {
    const i = this.count++;
    this.keys.add(i, src, keyStart, keyLen);
    if ((i >> 3) >= this.valueBits.length) { const b = new Uint8Array(this.valueBits.length * 2); b.set(this.valueBits); this.valueBits = b; }
    if (valueLen < 0) { this.values.add(i, src, 0, 0); this.valueNulls++; }
    else { this.values.add(i, src, valueStart, valueLen); this.valueBits[i >> 3]! |= 1 << (i & 7); }
  }

  /** Close the current record's row (null when it had no header). */
  endRow(): void {
    if (this.rows + 1 >= this.offsets.length) { const o = new Int32Array(this.offsets.length * 2); o.set(this.offsets); this.offsets = o; }
    this.valid.set(this.rows, this.count > this.offsets[this.rows]!);
    this.offsets[++this.rows] = this.count;
  }

  finish(): A.Data {
    const n = this.rows, m = this.count, el = kafkaHeadersType.elementType as Struct;
    const children = [
      this.keys.finish(new A.Utf8(), m),
      this.values.finish(new A.Binary(), m, this.valueNulls ? this.valueBits.subarray(0, (m + 7) >> 3) : undefined, this.valueNulls),
    ];
    const child = A.makeData({ type: toArrowType(el) as A.Struct, length: m, nullCount: 0, children });
    return listColumn(kafkaHeadersType, this.offsets.subarray(0, n + 1), child, n, this.valid.finish(n), this.valid.nullCount);
  }
}
