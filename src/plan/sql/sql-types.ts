import { type DataType, boolean, int, long, double, string, binary, timestamp, date, decimal } from '../../data/types.ts';

/**
 * Spark SQL's type names as CAST(x AS type) and `x::type` spell them. The engine has no byte,
 * short or float columns: tinyint/smallint read as int, float as double, char(n)/varchar(n) as
 * string (as Spark itself does for casts). decimal(p,s) is exact; the parser reads its size.
 */
const sqlTypes: Record<string, DataType> = {
  boolean, bool: boolean,
  tinyint: int, byte: int, smallint: int, short: int, int, integer: int,
  bigint: long, long,
  float: double, real: double, double, decimal: decimal(), dec: decimal(), numeric: decimal(),
  string, varchar: string, char: string, character: string,
  binary, timestamp, timestamp_ltz: timestamp, timestamp_ntz: timestamp, date,
};

/** Names that take a parenthesised size: decimal(10,2), varchar(20). */
export const sizedTypes = new Set(['decimal', 'dec', 'numeric', 'varchar', 'char', 'character']);

export function sqlType(name: string): DataType | undefined {
  return sqlTypes[name.toLowerCase()];
}

export function sqlTypeNames(): string[] {
  return Object.keys(sqlTypes);
}
