/**
 * from_json on the YSB record shape, in one process: 1M ad events (the same text as bench/yahoo.ts
 * makes) in one Binary column, decoded with the schema the pruned YSB query reads (ad_id,
 * event_type, event_time of 7 fields) and with all 7 fields, against a same-run baseline of
 * TextDecoder + JSON.parse per record.
 *
 *   npx tsx bench/ysb-from-json.ts [--records 1000000] [--rounds 5] [--only pruned,full,baseline]
 *
 * Prints one JSON line: the best round's CPU ms for each, and ns per record.
 */
import * as A from 'apache-arrow';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { decodeJson } from '../src/formats/json/decode.ts';
import { BytesBuilder } from '../src/data/builders.ts';
import { struct, string, timestamp } from '../src/data/types.ts';
import { mulberry32 } from '../test/support/prng.ts';

const { values: args } = parseArgs({ options: { records: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '5' }, only: { type: 'string' } } });
const N = Number(args.records), ROUNDS = Number(args.rounds);

const rnd = mulberry32(7);
const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
const uuid = (): string => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
const ADS = Array.from({ length: 1000 }, () => uuid()), USERS = Array.from({ length: 1000 }, () => uuid()), PAGES = Array.from({ length: 1000 }, () => uuid());
const AD_TYPES = ['banner', 'modal', 'sponsored-search', 'mail', 'mobile'], EVENT_TYPES = ['view', 'click', 'purchase'];
const pick = (xs: readonly string[]): string => xs[Math.floor(rnd() * xs.length)]!;
const T0 = Date.UTC(2024, 4, 1);

function makeInput(n: number): A.Data {
  const bb = new BytesBuilder(n, n * 256);
  for (let i = 0; i < n; i++) {
    bb.appendString(`{"user_id":"${pick(USERS)}","page_id":"${pick(PAGES)}","ad_id":"${pick(ADS)}","ad_type":"${pick(AD_TYPES)}",`
        + `"event_type":"${pick(EVENT_TYPES)}","event_time":"${new Date(T0 + i - Math.floor(rnd() * 2000)).toISOString()}",`
        + `"ip_address":"${1 + Math.floor(rnd() * 254)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}"}`);
  }
  return bb.finish('binary');
}

const pruned = struct({ ad_id: string, event_type: string, event_time: timestamp });
const full = struct({ user_id: string, page_id: string, ad_id: string, ad_type: string, event_type: string, event_time: timestamp, ip_address: string });

function baseline(input: A.Data): number {
  const buf = input.values as Uint8Array, offs = input.valueOffsets as Int32Array, dec = new TextDecoder();
  let views = 0;
  for (let i = 0; i < input.length; i++) {
    const o = JSON.parse(dec.decode(buf.subarray(offs[i], offs[i + 1]))) as { ad_id: string; event_type: string; event_time: string };
    if (o.event_type === 'view' && Date.parse(o.event_time) > 0 && o.ad_id.length > 0) views++;
  }
  return views;
}

const input = makeInput(N);
const bytes = (input.valueOffsets as Int32Array)[N]!;
const best: Record<string, number> = { pruned: Infinity, full: Infinity, baseline: Infinity };
for (let r = 0; r < ROUNDS; r++) {
  for (const who of r % 2 ? ['baseline', 'full', 'pruned'] : ['pruned', 'full', 'baseline']) {
    if (args.only && !args.only.split(',').includes(who)) continue;
    // CPU time, not wall: the machine is shared, and a descheduled round says nothing of the code
    const c0 = process.cpuUsage();
    if (who === 'baseline') baseline(input);
    else if (decodeJson(input, who === 'pruned' ? pruned : full).malformed.length !== 0) throw new Error('malformed YSB records');
    const c = process.cpuUsage(c0);
    best[who] = Math.min(best[who]!, (c.user + c.system) / 1000);
  }
}
const ms = (x: number): number => Number(x.toFixed(1));
console.log(JSON.stringify({
  records: N, bytesPerRecord: Math.round(bytes / N),
  prunedMs: ms(best.pruned!), fullMs: ms(best.full!), baselineMs: ms(best.baseline!),
  prunedNsPerRecord: Math.round((best.pruned! * 1e6) / N), nsPerByte: Number(((best.pruned! * 1e6) / bytes).toFixed(2)),
  ratioBaselinePruned: Number((best.baseline! / best.pruned!).toFixed(2)),
  loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
}));
