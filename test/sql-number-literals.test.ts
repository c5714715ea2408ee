// Number literals in SQL expression strings, typed as Spark 3.5 types them (non-ANSI, and
// spark.sql.legacy.exponentLiteralAsDecimal.enabled=false): the cases of Spark's
// sql-tests/results/literals.sql.out that apply (each literal's column name, type and value), and
// mixed arithmetic against columns with Spark's result types (DecimalPrecision, allowPrecisionLoss=true).
// Not ported: 1Y/1S (tinyint/smallint) and 1F (float), types sluice does not have (they read as int and double).
import { describe, expect, it } from 'vitest';
import { Session, ParseError, types as T } from '../src/index.ts';

const session = Session.builder().appName('sql-number-literals-test').getOrCreate();
const schema = T.struct({ i: T.int, l: T.long, d: T.double, price: T.long, amount: T.decimal(10, 2) });
const row = { i: 3, l: 7n, d: 0.2, price: 1000n, amount: '12.34' };

/**
 * `select <sql>, ...` over one row: [name, type, value] of each column, as Spark's golden file lists
 * them. One select each, since select() refuses two columns of one name (`select .1111, 0.1111`).
 */
function select(...sql: string[]): [string, string, unknown][] {
  return sql.map((s) => {
    const df = session.createDataFrame([row], schema).selectExpr(s), f = df.schema.fields[0]!;
    return [f.name, T.typeToString(f.type), df.collect()[0]![f.name]];
  });
}

describe("literals.sql.out: integers", () => {
  it('int, then bigint past int range, then decimal(n,0) past bigint range; the minus is part of the literal', () => {
    expect(select('1', '-1')).toEqual([['1', 'int', 1], ['-1', 'int', -1]]);
    expect(select('2147483647', '-2147483648')).toEqual([['2147483647', 'int', 2147483647], ['-2147483648', 'int', -2147483648]]);
    expect(select('9223372036854775807', '-9223372036854775808')).toEqual([
      ['9223372036854775807', 'long', 9223372036854775807n], ['-9223372036854775808', 'long', -9223372036854775808n]]);
    expect(select('9223372036854775808', '-9223372036854775809')).toEqual([
      ['9223372036854775808', 'decimal(19,0)', '9223372036854775808'], ['-9223372036854775809', 'decimal(19,0)', '-9223372036854775809']]);
  });
  it('L is bigint, and refused past its range', () => {
    expect(select('1L', '2147483648L')).toEqual([['1', 'long', 1n], ['2147483648', 'long', 2147483648n]]);
    expect(select('9223372036854775807L', '-9223372036854775808L')).toEqual([
      ['9223372036854775807', 'long', 9223372036854775807n], ['-9223372036854775808', 'long', -9223372036854775808n]]);
    expect(() => select('9223372036854775808L')).toThrow(ParseError);
  });
  it('more than 38 digits is refused, with or without a point', () => {
    expect(() => select('1234567890123456789012345678901234567890')).toThrow(ParseError);
    expect(() => select('1234567890123456789012345678901234567890.0')).toThrow(/more than a decimal holds \(38\)/);
  });
});

describe('literals.sql.out: a point and no exponent is a decimal of its digits', () => {
  it('select 0.3, -0.8, .5, -.18, 0.1111, .1111', () => {
    expect(select('0.3', '-0.8', '.5', '-.18', '0.1111', '.1111')).toEqual([
      ['0.3', 'decimal(1,1)', '0.3'], ['-0.8', 'decimal(1,1)', '-0.8'], ['0.5', 'decimal(1,1)', '0.5'],
      ['-0.18', 'decimal(2,2)', '-0.18'], ['0.1111', 'decimal(4,4)', '0.1111'], ['0.1111', 'decimal(4,4)', '0.1111']]);
  });
  it('select 0.3 F, 0.4 D, 0.5 BD: a suffix after a space is an alias', () => {
    expect(select('0.3 F', '0.4 D', '0.5 BD')).toEqual([['F', 'decimal(1,1)', '0.3'], ['D', 'decimal(1,1)', '0.4'], ['BD', 'decimal(1,1)', '0.5']]);
  });
  it('SELECT 3.14, -3.14 are decimal(3,2); with an exponent, doubles', () => {
    expect(select('3.14', '-3.14', '3.14e8', '3.14e-8', '-3.14e8', '-3.14e-8', '3.14e+8', '3.14E8', '3.14E-8').map(([, t, v]) => [t, v])).toEqual([
      ['decimal(3,2)', '3.14'], ['decimal(3,2)', '-3.14'], ['double', 3.14e8], ['double', 3.14e-8], ['double', -3.14e8],
      ['double', -3.14e-8], ['double', 3.14e8], ['double', 3.14e8], ['double', 3.14e-8]]);
  });
  it('the digits as written count: 1.50 is decimal(3,2), 123. decimal(3,0), 0.00 decimal(2,2), 100.0 decimal(4,1)', () => {
    expect(select('1.50', '123.', '0.00', '100.0')).toEqual([
      ['1.50', 'decimal(3,2)', '1.50'], ['123', 'decimal(3,0)', '123'], ['0.00', 'decimal(2,2)', '0.00'], ['100.0', 'decimal(4,1)', '100.0']]);
  });
});

describe('literals.sql.out: doubles and BD', () => {
  it('select 1D, 1.2D, 1e10, 1.5e5, .10D, 0.10D, .1e5, .9e+2, 0.9e+2, 900e-1, 9.e+1 (and negated)', () => {
    const sql = ['1D', '1.2D', '1e10', '1.5e5', '.10D', '0.10D', '.1e5', '.9e+2', '0.9e+2', '900e-1', '9.e+1'];
    const want = [1, 1.2, 1e10, 150000, 0.1, 0.1, 10000, 90, 90, 90, 90];
    expect(select(...sql).map(([, t, v]) => [t, v])).toEqual(want.map((v) => ['double', v]));
    expect(select(...sql.slice(0, 7).map((s) => `-${s}`)).map(([, t, v]) => [t, v])).toEqual(want.slice(0, 7).map((v) => ['double', -v]));
    expect(select('123456789012345678901234567890123456789e10d', '123456789012345678901234567890123456789.1e10d').map(([, t, v]) => [t, v]))
      .toEqual([['double', 1.2345678901234568e48], ['double', 1.2345678901234568e48]]);
  });
  it('.e3 and 1E309 are refused', () => {
    expect(() => select('.e3')).toThrow(ParseError);
    expect(() => select('1E309')).toThrow(ParseError);
    expect(() => select('-1E309')).toThrow(ParseError);
  });
  it('select 90912830918230182310293801923652346786BD, 123.0E-28BD, 123.08BD; 1.20E-38BD is refused', () => {
    expect(select('90912830918230182310293801923652346786BD', '123.0E-28BD', '123.08BD')).toEqual([
      ['90912830918230182310293801923652346786', 'decimal(38,0)', '90912830918230182310293801923652346786'],
      ['1.230E-26', 'decimal(29,29)', '0.00000000000000000000000001230'], ['123.08', 'decimal(5,2)', '123.08']]);
    expect(() => select('1.20E-38BD')).toThrow(ParseError);
  });
});

describe('arithmetic against decimal literals, with Spark’s result types', () => {
  it('an int column times 1.5 is decimal(13,1); a double column plus 0.1 a double; a bigint price * 0.908 decimal(24,3)', () => {
    expect(select('i * 1.5', 'd + 0.1', 'price * 0.908', '0.908 * price').map(([, t, v]) => [t, v])).toEqual([
      ['decimal(13,1)', '4.5'], ['double', 0.2 + 0.1], ['decimal(24,3)', '908.000'], ['decimal(24,3)', '908.000']]);
  });
  it('decimal columns keep exact digits: amount * 1.1 is decimal(13,3), amount + 0.005 decimal(12,3), amount / 2.0 decimal(15,6)', () => {
    expect(select('amount * 1.1', 'amount + 0.005', 'amount / 2.0').map(([, t, v]) => [t, v])).toEqual([
      ['decimal(13,3)', '13.574'], ['decimal(12,3)', '12.345'], ['decimal(15,6)', '6.170000']]);
  });
  it('a decimal literal meets a double literal as a double, and a bigint column with a bigint literal stays bigint', () => {
    expect(select('1.5 * 2.0D', 'l * 2L', 'l + 9223372036854775808').map(([, t, v]) => [t, v])).toEqual([
      ['double', 3], ['long', 14n], ['decimal(21,0)', '9223372036854775815']]);
  });
  it('CASE WHEN and coalesce over decimal literals meet in the wider decimal (a CASE over decimals used to crash reading its conditions)', () => {
    expect(select('CASE WHEN i > 1 THEN 1.5 ELSE 2.25 END', 'CASE WHEN i > 5 THEN 1.5 ELSE i END', 'coalesce(NULL, 0.5)').map(([, t, v]) => [t, v])).toEqual([
      ['decimal(3,2)', '1.50'], ['decimal(11,1)', '3.0'], ['decimal(1,1)', '0.5']]);
  });
  it('comparisons and filters read 1.5 = 1.50 as equal', () => {
    expect(select('1.5 = 1.50', 'i > 2.9', 'd < 0.25').map(([, , v]) => v)).toEqual([true, true, true]);
  });
});
