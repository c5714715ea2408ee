import * as A from 'apache-arrow';
import { mapColumn } from '../../data/builders.ts';
import { type DataType, type StructField, array, map, date, decimal, double, fromArrowType, int, long, struct, timestamp, toArrowType } from '../../data/types.ts';
import { AnalysisError } from '../../errors.ts';
import { isValid } from '../../data/batch.ts';
import { MAX_PRECISION } from '../../data/decimal.ts';

/**
 * Arrow columns as other writers produce them (DuckDB, pyarrow, Spark) to the engine's own
 * physical types, which kernels index directly: timestamps in any unit to ms (floored, as
 * Spark truncates micros), small and unsigned ints to int32 (uint32 to int64, uint64 to int64
 * when it fits), float32 to double, Decimal128 kept (decimal(p,s)) and wider decimals to double, date64 to days, large strings to 32-bit offsets.
 * A column already in the engine's form is returned as is.
 */
export function normalizeColumn(d: A.Data, where: string): { type: DataType; data: A.Data } {
  const t = d.type;
  if (A.DataType.isStruct(t)) {
    const kids = d.children.map((c, k) => normalizeColumn(c, `${where}.${t.children[k]!.name}`));
    const fields: StructField[] = t.children.map((f, k) => ({ name: f.name, type: kids[k]!.type, nullable: f.nullable }));
    const type = struct(fields);
    const data = A.makeData({ type: toArrowType(type) as A.Struct, length: d.length, nullCount: d.nullCount, nullBitmap: bitmapOf(d), children: kids.map((k) => k.data) });
    return { type, data };
  }
  if (A.DataType.isList(t)) {
    // Elements in the engine's types too; the child is renamed 'element' by toArrowType (pyarrow writes 'item').
    const el = normalizeColumn(d.children[0]!, `${where}[]`), type = array(el.type);
    const data = A.makeData({ type: toArrowType(type) as A.List, length: d.length, nullCount: d.nullCount, nullBitmap: bitmapOf(d), valueOffsets: d.valueOffsets, child: el.data });
    return { type, data };
  }
  if (A.DataType.isMap(t)) {
    // Keys and values in the engine's types; the entries renamed to Arrow's (DuckDB writes key_value).
    const e = d.children[0]!, k = normalizeColumn(e.children[0]!, `${where}.key`), v = normalizeColumn(e.children[1]!, `${where}.value`);
    const type = map(k.type, v.type);
    return { type, data: mapColumn(type, d.valueOffsets as Int32Array, k.data, v.data, d.length, bitmapOf(d), d.nullCount) };
  }
  if (A.DataType.isTimestamp(t)) {
    if (t.unit === A.TimeUnit.MILLISECOND) return { type: timestamp, data: retype(d, toArrowType(timestamp)) };
    const per = [1000n, 1n, 1000n, 1000000n][t.unit]!; // SECOND multiplies, the others divide
    const src = d.values as BigInt64Array, out = new BigInt64Array(d.length);
    for (let i = 0; i < d.length; i++) {
      const v = src[i]!;
      if (t.unit === A.TimeUnit.SECOND) out[i] = v * per;
      else { const q = v / per; out[i] = v < 0n && q * per !== v ? q - 1n : q; }
    }
    return { type: timestamp, data: fixed(d, timestamp, out) };
  }
  if (A.DataType.isInt(t)) {
    if (t.bitWidth === 64) {
      if (t.isSigned) return { type: long, data: d };
      const src = d.values as BigUint64Array, out = new BigInt64Array(d.length);
      for (let i = 0; i < d.length; i++) {
        const v = src[i]!;
        if (v > 9223372036854775807n && isValid(d, i)) {
          throw new AnalysisError(`${where}: unsigned 64-bit value ${v} does not fit in a long (sluice has no unsigned types); cast it to DOUBLE or DECIMAL when writing the file.`);
        }
        out[i] = BigInt.asIntN(64, v);
      }
      return { type: long, data: fixed(d, long, out) };
    }
    if (t.bitWidth === 32 && t.isSigned) return { type: int, data: d };
    if (t.bitWidth === 32) {
      const src = d.values as Uint32Array, out = new BigInt64Array(d.length);
      for (let i = 0; i < d.length; i++) out[i] = BigInt(src[i]!);
      return { type: long, data: fixed(d, long, out) };
    }
    return { type: int, data: fixed(d, int, Int32Array.from(d.values as Int8Array | Int16Array | Uint8Array | Uint16Array)) };
  }
  if (A.DataType.isFloat(t)) {
    if (t.precision === A.Precision.DOUBLE) return { type: double, data: d };
    const src = d.values as Float32Array | Uint16Array;
    const out = t.precision === A.Precision.SINGLE ? Float64Array.from(src) : Float64Array.from(src, (h) => halfToNumber(h));
    return { type: double, data: fixed(d, double, out) };
  }
  if (A.DataType.isDecimal(t) && t.bitWidth === 128 && t.precision <= MAX_PRECISION && t.scale >= 0 && t.scale <= t.precision) {
    return { type: decimal(t.precision, t.scale), data: d };
  }
  if (A.DataType.isDecimal(t)) {
    // Past Spark's decimal(38, s) (a Decimal256, a negative scale): a double keeps about 15 significant digits.
    const words = d.values as Uint32Array, per = t.bitWidth / 32, out = new Float64Array(d.length);
    const scale = 10 ** t.scale;
    for (let i = 0; i < d.length; i++) {
      let v = 0n;
      for (let w = per - 1; w >= 0; w--) v = (v << 32n) | BigInt(words[i * per + w]!);
      out[i] = Number(BigInt.asIntN(t.bitWidth, v)) / scale;
    }
    return { type: double, data: fixed(d, double, out) };
  }
  if (A.DataType.isDate(t)) {
    if (t.unit === A.DateUnit.DAY) return { type: date, data: d };
    const v = A.makeVector(d), out = new Int32Array(d.length);
    for (let i = 0; i < d.length; i++) { const ms = v.get(i) as Date | number | null; if (ms !== null) out[i] = Math.floor(Number(ms) / 86400000); }
    return { type: date, data: fixed(d, date, out) };
  }
  if (A.DataType.isLargeUtf8(t) || A.DataType.isLargeBinary(t)) {
    const off = d.valueOffsets as unknown as BigInt64Array, offsets = new Int32Array(d.length + 1);
    for (let i = 0; i <= d.length; i++) offsets[i] = Number(off[i]!);
    const type = A.DataType.isLargeUtf8(t) ? fromArrowType(new A.Utf8()) : fromArrowType(new A.Binary());
    return { type, data: A.makeData({ type: toArrowType(type), length: d.length, nullCount: d.nullCount, nullBitmap: bitmapOf(d), valueOffsets: offsets, data: d.values as Uint8Array } as never) as A.Data };
  }
  if (A.DataType.isDictionary(t)) {
    throw new AnalysisError(`${where}: dictionary-encoded Arrow columns are not supported; write the column as plain strings.`);
  }
  let type: DataType;
  try {
    type = fromArrowType(t);
  } catch (e) {
    throw new AnalysisError(`${where}: ${(e as Error).message}`, { cause: e });
  }
  return { type, data: d };
}

function bitmapOf(d: A.Data): Uint8Array | undefined {
  return d.nullCount > 0 ? d.nullBitmap : undefined;
}

function retype(d: A.Data, type: A.DataType): A.Data {
  return A.makeData({ type, length: d.length, nullCount: d.nullCount, nullBitmap: bitmapOf(d), data: d.values } as never) as A.Data;
}

function fixed(d: A.Data, type: DataType, values: BigInt64Array | Int32Array | Float64Array): A.Data {
  return A.makeData({ type: toArrowType(type), length: d.length, nullCount: d.nullCount, nullBitmap: bitmapOf(d), data: values } as never) as A.Data;
}

function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
