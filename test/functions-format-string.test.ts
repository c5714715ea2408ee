// format_string / printf: PySpark's docstring examples (python/pyspark/sql/functions/builtin.py),
// Spark's SQL examples, then the java.util.Formatter rules users meet (exec/functions/java-format.ts).
import { describe, expect, it } from 'vitest';
import { col, lit, expr, format_string, printf, types as T, Session, MemoryStream, AnalysisError, DataError } from '../src/index.ts';
import { selectRows } from './support/select-rows.ts';

const session = Session.builder().appName('format-string-test').getOrCreate();
let seq = 0;

describe('PySpark docstring examples', () => {
  it("format_string('%d %s', a, b) of (5, 'hello') is '5 hello'", async () => {
    const out = await selectRows(T.struct({ a: T.long, b: T.string }), [{ a: 5n, b: 'hello' }], format_string('%d %s', col('a'), col('b')).alias('v'));
    expect(out).toEqual([{ v: '5 hello' }]);
  });
  it("printf('a', 'b', 'c') of ('aa%d%s', 123, 'cc') is 'aa123cc'", async () => {
    const out = await selectRows(T.struct({ a: T.string, b: T.long, c: T.string }), [{ a: 'aa%d%s', b: 123n, c: 'cc' }], printf('a', 'b', 'c').alias('p'));
    expect(out).toEqual([{ p: 'aa123cc' }]);
  });
});

describe("Spark's SQL examples and Java's Formatter", () => {
  const s = T.struct({ i: T.int, l: T.long, d: T.double, s: T.string, b: T.boolean });
  const row = { i: -1, l: 1234567n, d: 1.005, s: 'ab', b: true };
  it('format_string / printf by name in expr()', async () => {
    const out = await selectRows(s, [row], expr(`format_string("Hello World %d %s", 100, "days") AS f`), expr(`printf("Hello World %d %s", 100, "days") AS p`));
    expect(out).toEqual([{ f: 'Hello World 100 days', p: 'Hello World 100 days' }]);
  });
  it('widths, flags, precision, hex, percent, argument indexes, Double.toString for %s', async () => {
    const cases: [string, ...string[]][] = [
      ['[%5s|%-5s|%.1s]', 's', 's', 's'], ['%.2f %f %.0f', 'd', 'd', 'd'], ['%x %X %o', 'i', 'l', 'l'], ['%,d %+d %08d %(d', 'l', 'l', 'i', 'l'],
      ['100%% %b %S', 'b', 's'], ['%2$s-%1$s', 's', 'i'], ['%(d|%(,.1f', 'i', 'd'], ['%s %s', 'd', 'l'], ['%10.3f|%-8.1f|', 'd', 'd'],
    ];
    const cols = cases.map(([f, ...args], k) => format_string(f, ...args).alias(`c${k}`));
    const out = (await selectRows(s, [row], ...cols))[0]!;
    expect(cases.map((_, k) => out[`c${k}`])).toEqual([
      '[   ab|ab   |a]', '1.01 1.005000 1', 'ffffffff 12D687 4553207', '1,234,567 +1234567 -0000001 1234567',
      '100% true AB', '-1-ab', '(1)|1.0', '1.005 1234567', '     1.005|1.0     |',
    ]);
  });
  it('a null argument prints null, a null format gives null; a double in %s is Java\'s 1.0E7', async () => {
    const out = await selectRows(T.struct({ f: T.string, x: T.string, d: T.double }), [{ f: null, x: null, d: 1e7 }],
      format_string('<%s>', 'x').alias('a'), printf('f', 'x').alias('b'), format_string('%s', 'd').alias('c'), format_string('%d', lit(null)).alias('n'));
    expect(out).toEqual([{ a: '<null>', b: null, c: '1.0E7', n: 'null' }]);
  });
});

describe('mistakes', () => {
  async function failure(build: (df: ReturnType<MemoryStream['toDF']>) => ReturnType<MemoryStream['toDF']>): Promise<unknown> {
    const stream = new MemoryStream(session, T.struct({ d: T.double, a: T.array(T.int) }));
    stream.addData([{ d: 1.5, a: [1] }]);
    return build(stream.toDF()).writeStream.format('memory').queryName(`fs${seq++}`).start()
      .then(async (q) => { try { await q.processAllAvailable(); return null; } catch (e) { return e; } finally { await q.stop().catch(() => undefined); } }, (e: unknown) => e);
  }
  it('an unsupported conversion in a literal format is refused when the query starts, naming it', async () => {
    const e = await failure((df) => df.select(format_string('%t', 'd')));
    expect(e).toBeInstanceOf(AnalysisError);
    expect((e as Error).message).toContain("'%t'");
  });
  it('an array argument is refused at analysis with what to do', async () => {
    const e = await failure((df) => df.select(format_string('%s', 'a')));
    expect(e).toBeInstanceOf(AnalysisError);
    expect((e as Error).message).toMatch(/array<int>.*cast it to string/);
  });
  it('%d of a double fails the batch as Java does, naming the conversion and the argument', async () => {
    const e = await failure((df) => df.select(format_string('%d', 'd')));
    expect(e).toBeInstanceOf(DataError);
    expect((e as Error).message).toContain("%d in '%d' cannot format argument 1, a double");
  });
});
