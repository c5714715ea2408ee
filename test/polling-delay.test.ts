// spark.sql.streaming.pollingDelay: how long an idle default trigger waits before polling again.
import { describe, expect, it } from 'vitest';
import { OptionError } from '../src/errors.ts';
import { pollingDelayMs } from '../src/runtime/polling-delay.ts';

describe('pollingDelay', () => {
  it("is Spark's 10 ms unless set", () => {
    expect(pollingDelayMs(new Map())).toBe(10);
  });
  it('takes Spark durations and plain milliseconds, under the Spark and the sluice key', () => {
    expect(pollingDelayMs(new Map([['spark.sql.streaming.pollingDelay', '250ms']]))).toBe(250);
    expect(pollingDelayMs(new Map([['spark.sql.streaming.pollingDelay', '1 second']]))).toBe(1000);
    expect(pollingDelayMs(new Map([['sluice.pollingDelay', '40']]))).toBe(40);
  });
  it('names the setting when the value is not a duration', () => {
    expect(() => pollingDelayMs(new Map([['spark.sql.streaming.pollingDelay', 'soon']]))).toThrow(OptionError);
    expect(() => pollingDelayMs(new Map([['spark.sql.streaming.pollingDelay', 'soon']]))).toThrow(/spark\.sql\.streaming\.pollingDelay/);
  });
});
