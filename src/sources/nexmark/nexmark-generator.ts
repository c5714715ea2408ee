import * as A from 'apache-arrow';
import { makeBatch, type Batch } from '../../data/batch.ts';
import { toArrowType, int as intType, timestamp as tsType, type Struct } from '../../data/types.ts';
import type { NexmarkConfig } from './nexmark-config.ts';
import { EventRandom, seededRandom } from './event-random.ts';
import { auctionType, bidType, nexmarkSchema, personType, AUCTION, BID, PERSON } from './nexmark-schema.ts';

// The Nexmark generator (nexmark/nexmark nexmark-flink generator/, after Beam's NexmarkGenerator),
// writing Arrow columns directly: no event objects. Event number k (0-based, the source's offset)
// gets event id = its out-of-order-adjusted number, and the id decides its kind (id mod total
// proportion: the first personProportion are people, the next auctionProportion auctions, the rest
// bids), its person/auction ids and its random stream. Ids start at 1000 and categories at 10, as in
// the spec, so small runs still find matches.

const FIRST_PERSON_ID = 1000, FIRST_AUCTION_ID = 1000, FIRST_CATEGORY_ID = 10;
const NUM_CATEGORIES = 5, PERSON_ID_LEAD = 10, AUCTION_ID_LEAD = 10;
const HOT_SELLER_RATIO = 100, HOT_AUCTION_RATIO = 100, HOT_BIDDER_RATIO = 100;
const HOT_CHANNELS_RATIO = 2, CHANNELS_NUMBER = 10_000, MIN_STRING_LENGTH = 3;
const US_STATES = 'AZ,CA,ID,OR,WA,WY'.split(',');
const US_CITIES = 'Phoenix,Los Angeles,San Francisco,Boise,Portland,Bend,Redmond,Seattle,Kent,Cheyenne'.split(',');
const FIRST_NAMES = 'Peter,Paul,Luke,John,Saul,Vicky,Kate,Julie,Sarah,Deiter,Walter'.split(',');
const LAST_NAMES = 'Shultz,Abrams,Spencer,White,Bartels,Walton,Smith,Jones,Noris'.split(',');
const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];

const enc = new TextEncoder();
const bytes = (s: string): Uint8Array => enc.encode(s);
const CHAR_A = 97, SPACE = 32, UNDERSCORE = 95;

/** Tables drawn once per seed: the extra-string pool and the channel URLs, as the spec's static ones. */
interface Tables {
  extraPool: Uint8Array;
  hotUrls: Uint8Array[];
  channels: Uint8Array[];
  channelUrls: Uint8Array[];
}
const tablesBySeed = new Map<number, Tables>();

function randomChars(r: EventRandom, maxLength: number, special: number, out: Uint8Array, at: number): number {
  // StringsGenerator.nextString, then trim(): the special char only trims when it is a space.
  const len = MIN_STRING_LENGTH + r.nextInt(maxLength - MIN_STRING_LENGTH);
  let p = at;
  for (let i = 0; i < len; i++) out[p++] = r.nextInt(13) === 0 ? special : CHAR_A + r.nextInt(26);
  if (special !== SPACE) return p - at;
  let s = at;
  while (s < p && out[s] === SPACE) s++;
  while (p > s && out[p - 1] === SPACE) p--;
  if (s > at) out.copyWithin(at, s, p);
  return p - s;
}

function tables(seed: number): Tables {
  let t = tablesBySeed.get(seed);
  if (t) return t;
  const r = seededRandom(seed, 1);
  const extraPool = new Uint8Array(1024 * 1024);
  for (let i = 0; i < extraPool.length; i++) extraPool[i] = CHAR_A + r.nextInt(26);
  const scratch = new Uint8Array(16);
  const part = (): string => new TextDecoder().decode(scratch.subarray(0, randomChars(r, 5, UNDERSCORE, scratch, 0)));
  const baseUrl = (): string => `https://www.nexmark.com/${part()}/${part()}/${part()}/item.htm?query=1`;
  const hotUrls = HOT_CHANNELS.map(() => bytes(baseUrl()));
  const channels: Uint8Array[] = [], channelUrls: Uint8Array[] = [];
  for (let i = 0; i < CHANNELS_NUMBER; i++) {
    let url = baseUrl();
    // Math.abs(Integer.reverse(i)), as the spec's channel ids.
    if (r.nextInt(10) > 0) url += `&channel_id=${Math.abs(reverseBits(i))}`;
    channels.push(bytes(`channel-${i}`));
    channelUrls.push(bytes(url));
  }
  t = { extraPool, hotUrls, channels, channelUrls };
  tablesBySeed.set(seed, t);
  return t;
}

function reverseBits(i: number): number {
  let x = i >>> 0, y = 0;
  for (let k = 0; k < 32; k++) { y = (y << 1) | (x & 1); x >>>= 1; }
  return y | 0;
}

const NAMES = FIRST_NAMES.flatMap((f) => LAST_NAMES.map((l) => bytes(`${f} ${l}`)));
const CITIES = US_CITIES.map(bytes), STATES = US_STATES.map(bytes), HOT_CHANNEL_BYTES = HOT_CHANNELS.map(bytes);
const CARD_DIGITS = Array.from({ length: 10_000 }, (_, i) => bytes(String(i).padStart(4, '0')));

/** Event numbering and times (GeneratorConfig), for one config and base time. */
export class NexmarkTimeline {
  readonly total: number;
  /** Microseconds between event times. */
  readonly interEventDelayUs: number;
  constructor(readonly config: NexmarkConfig, readonly baseTime: number) {
    this.total = config.personProportion + config.auctionProportion + config.bidProportion;
    this.interEventDelayUs = 1_000_000 / config.eventsPerSecond;
  }
  /** Event number k with its out-of-order jitter: a permutation within groups of outOfOrderGroupSize. */
  adjusted(k: number): number {
    const n = this.config.outOfOrderGroupSize;
    if (n === 1) return k;
    return Math.floor(k / n) * n + ((k * 953) % n);
  }
  timestampFor(eventNumber: number): number {
    return this.baseTime + Math.floor(Math.floor(eventNumber * this.interEventDelayUs) / 1000);
  }
  /** How many events have an event time <= t, in order of event number (rate limiting). */
  eventsDueBy(t: number): number {
    if (t < this.baseTime) return 0;
    return Math.floor(((t - this.baseTime + 1) * 1000) / this.interEventDelayUs);
  }
  kindOf(id: number): number {
    const rem = id % this.total;
    const c = this.config;
    return rem < c.personProportion ? PERSON : rem < c.personProportion + c.auctionProportion ? AUCTION : BID;
  }
  lastBase0PersonId(id: number): number {
    const c = this.config;
    let epoch = Math.floor(id / this.total), offset = id % this.total;
    if (offset >= c.personProportion) offset = c.personProportion - 1;
    return epoch * c.personProportion + offset;
  }
  lastBase0AuctionId(id: number): number {
    const c = this.config;
    let epoch = Math.floor(id / this.total), offset = id % this.total;
    if (offset < c.personProportion) { epoch--; offset = c.auctionProportion - 1; }
    else if (offset >= c.personProportion + c.auctionProportion) offset = c.auctionProportion - 1;
    else offset -= c.personProportion;
    return epoch * c.auctionProportion + offset;
  }
  nextBase0PersonId(id: number, r: EventRandom): number {
    const numPeople = this.lastBase0PersonId(id) + 1;
    const active = Math.min(numPeople, this.config.numActivePeople);
    return numPeople - active + r.nextLong(active + PERSON_ID_LEAD);
  }
  nextBase0AuctionId(id: number, r: EventRandom): number {
    const max = this.lastBase0AuctionId(id);
    const min = Math.max(max - this.config.numInFlightAuctions, 0);
    return min + r.nextLong(max - min + 1 + AUCTION_ID_LEAD);
  }
}

const nextPrice = (r: EventRandom): number => Math.round(Math.pow(10, r.nextDouble() * 6) * 100);

/** A long column written as two 32-bit words (little-endian, values 0..2^53), without a BigInt per value. */
class Longs {
  readonly big: BigInt64Array;
  private readonly words: Int32Array;
  constructor(n: number) { this.big = new BigInt64Array(n); this.words = new Int32Array(this.big.buffer); }
  set(i: number, v: number): void { this.words[2 * i] = v | 0; this.words[2 * i + 1] = Math.floor(v / 4294967296); }
}

/**
 * A string child column: offsets and bytes only, its validity the struct's bitmap. The shared
 * BytesBuilder would keep a validity bit per value again, and grow-check its offsets, whose size is
 * known here (one per event).
 */
class Strs {
  readonly offsets: Int32Array;
  bytes: Uint8Array;
  private pos = 0;
  private i = 0;
  constructor(n: number, byteCapacity: number) { this.offsets = new Int32Array(n + 1); this.bytes = new Uint8Array(byteCapacity); }
  private room(k: number): void {
    if (this.pos + k <= this.bytes.length) return;
    const b = new Uint8Array(Math.max(this.bytes.length * 2, this.pos + k)); b.set(this.bytes.subarray(0, this.pos)); this.bytes = b;
  }
  /** Part of the current value; end() closes it. */
  part(src: Uint8Array, s = 0, e = src.length): void {
    this.room(e - s);
    const out = this.bytes;
    if (e - s > 24) { out.set(src.subarray(s, e), this.pos); this.pos += e - s; return; }
    let p = this.pos;
    for (let k = s; k < e; k++) out[p++] = src[k]!;
    this.pos = p;
  }
  end(): void { this.offsets[++this.i] = this.pos; }
  put(src: Uint8Array, s = 0, e = src.length): void { this.part(src, s, e); this.offsets[++this.i] = this.pos; }
  /** A null (or empty) value. */
  none(): void { this.offsets[++this.i] = this.pos; }
  finish(n: number, nullCount: number, nullBitmap: Uint8Array | undefined): A.Data {
    return A.makeData({ type: new A.Utf8(), length: n, nullCount, nullBitmap, valueOffsets: this.offsets, data: this.bytes.subarray(0, this.pos) } as never) as A.Data;
  }
}

/** One struct column's builders: fixed-width children as typed arrays, strings by hand. */
class StructCols {
  readonly valid: Uint8Array;
  nullCount = 0;
  constructor(private readonly type: Struct, private readonly n: number, readonly longs: Longs[], readonly strs: Strs[]) {
    this.valid = new Uint8Array((n + 7) >> 3);
  }
  static make(type: Struct, n: number, longCount: number, strCount: number, avgBytes: number): StructCols {
    return new StructCols(type, n, Array.from({ length: longCount }, () => new Longs(n)),
      Array.from({ length: strCount }, () => new Strs(n, Math.ceil(n * avgBytes) + 64)));
  }
  /** n rows, all null (a kind the query does not read). */
  static none(type: Struct, n: number, order: readonly ('l' | 's')[]): A.Data {
    const cols = StructCols.make(type, n, order.filter((o) => o === 'l').length, order.filter((o) => o === 's').length, 0);
    for (let i = 0; i < n; i++) cols.skip();
    return cols.finish(order);
  }
  /** Row i is not this kind: null struct, and each child null too (a child read alone stays null). */
  skip(): void {
    this.nullCount++;
    for (const s of this.strs) s.none();
  }
  finish(order: readonly ('l' | 's')[], unread?: ReadonlySet<number>): A.Data {
    const n = this.n, nullBitmap = this.nullCount ? this.valid : undefined, nullCount = this.nullCount;
    let li = 0, si = 0;
    const children = this.type.fields.map((f, k) => {
      if (order[k] === 's') {
        const str = this.strs[si++]!;
        // A field not made: null in every row, its own bitmap all zeros.
        return unread?.has(k) ? str.finish(n, n, new Uint8Array((n + 7) >> 3)) : str.finish(n, nullCount, nullBitmap);
      }
      return A.makeData({ type: toArrowType(f.type), length: n, nullCount, nullBitmap, data: this.longs[li++]!.big } as never) as A.Data;
    });
    return A.makeData({ type: toArrowType(this.type) as A.Struct, length: n, nullCount, nullBitmap, children });
  }
}

const PERSON_ORDER = ['l', 's', 's', 's', 's', 's', 'l', 's'] as const;
const AUCTION_ORDER = ['l', 's', 's', 'l', 'l', 'l', 'l', 'l', 'l', 's'] as const;
const BID_ORDER = ['l', 'l', 'l', 's', 's', 'l', 's'] as const;

/**
 * What of the events to make (the columns the query reads): a kind not made is a null struct in
 * every row, a bid string field not made null in every row. Each event's draws come from its own
 * stream (EventRandom.reset per event), so skipping a kind leaves the other events as they were;
 * within a bid the channel and extra draws come last, so they are drawn only when a later field
 * that is made needs the stream to have passed them.
 */
export interface NexmarkRead {
  readonly person: boolean;
  readonly auction: boolean;
  readonly bid: boolean;
  /** bid.channel and bid.url */
  readonly bidChannel: boolean;
  readonly bidExtra: boolean;
}
export const READ_ALL: NexmarkRead = { person: true, auction: true, bid: true, bidChannel: true, bidExtra: true };

/** One all-null struct per kind and length, shared by the batches (they are immutable). */
const nullStructs = new Map<Struct, A.Data>();
function nullStruct(type: Struct, n: number, order: readonly ('l' | 's')[]): A.Data {
  let d = nullStructs.get(type);
  if (d?.length !== n) { d = StructCols.none(type, n, order); nullStructs.set(type, d); }
  return d;
}

/** Events [from, to) of the stream, as one batch of the nexmark table, with the columns `read` asks for. */
export function generateEvents(tl: NexmarkTimeline, from: number, to: number, read: NexmarkRead = READ_ALL): Batch {
  const c = tl.config, n = to - from, t = tables(c.seed), r = new EventRandom();
  const eventType = new Int32Array(n), dateTime = new Longs(n);
  // Longs: person id, dateTime; auction id, initialBid, reserve, dateTime, expires, seller, category; bid auction, bidder, price, dateTime.
  // String bytes sized by each kind's share of the events (bytes per row of the kind, times its
  // share), not room for every row of every kind, which would be allocated and zero-filled for nothing.
  const share = (prop: number): number => prop / tl.total;
  const made = (yes: boolean, type: Struct, longs: number, strs: number, avg: number): StructCols =>
    StructCols.make(type, yes ? n : 0, longs, strs, yes ? avg : 0);
  const p = made(read.person, personType, 2, 6, 40 * share(c.personProportion)), a = made(read.auction, auctionType, 7, 3, 200 * share(c.auctionProportion)),
    b = made(read.bid, bidType, 4, 3, ((read.bidChannel ? 50 : 0) + (read.bidExtra ? 70 : 0)) * share(c.bidProportion));
  const { person: readPerson, auction: readAuction, bid: readBid, bidChannel, bidExtra } = read;
  const [pName, pEmail, pCard, pCity, pState, pExtra] = p.strs as [Strs, Strs, Strs, Strs, Strs, Strs];
  const [aName, aDesc, aExtra] = a.strs as [Strs, Strs, Strs];
  const [bChannel, bUrl, bExtra] = b.strs as [Strs, Strs, Strs];
  const scratch = new Uint8Array(128);
  const pool = t.extraPool;
  const extra = (out: Strs, currentSize: number, avg: number): void => {
    // StringsGenerator.nextExtra: a slice of the pool, avg - currentSize ± 20% long.
    if (currentSize > avg) { out.put(pool, 0, 0); return; }
    const want = avg - currentSize, delta = Math.round(want * 0.2);
    const size = want - delta + (delta === 0 ? 0 : r.nextInt(2 * delta));
    const off = r.nextInt(pool.length - size);
    out.put(pool, off, off + size);
  };
  // Events of one auction's horizon (nextAuctionLengthMs): numInFlightAuctions auctions ahead.
  const eventsForAuctions = Math.floor((c.numInFlightAuctions * tl.total) / c.auctionProportion);

  for (let i = 0; i < n; i++) {
    const k = from + i, id = tl.adjusted(k), ts = tl.timestampFor(id);
    const kind = tl.kindOf(id);
    r.reset(c.seed, id);
    eventType[i] = kind;
    dateTime.set(i, ts);
    if (kind === PERSON && readPerson) {
      p.valid[i >> 3]! |= 1 << (i & 7);
      p.longs[0]!.set(i, tl.lastBase0PersonId(id) + FIRST_PERSON_ID);
      const name = NAMES[r.nextInt(FIRST_NAMES.length) * LAST_NAMES.length + r.nextInt(LAST_NAMES.length)]!;
      pName.put(name);
      let e = randomChars(r, 7, SPACE, scratch, 0);
      scratch[e++] = 64; // '@'
      e += randomChars(r, 5, SPACE, scratch, e);
      scratch.set(DOT_COM, e); e += 4;
      pEmail.put(scratch, 0, e);
      for (let q = 0; q < 4; q++) {
        if (q > 0) pCard.part(SPACE_BYTE);
        pCard.part(CARD_DIGITS[r.nextInt(CARD_DIGITS.length)]!);
      }
      pCard.end();
      const city = CITIES[r.nextInt(CITIES.length)]!, state = STATES[r.nextInt(STATES.length)]!;
      pCity.put(city);
      pState.put(state);
      p.longs[1]!.set(i, ts);
      extra(pExtra, 8 + name.length + e + 19 + city.length + state.length, c.avgPersonByteSize);
    } else if (readPerson) p.skip();
    if (kind === AUCTION && readAuction) {
      a.valid[i >> 3]! |= 1 << (i & 7);
      const L = a.longs;
      L[0]!.set(i, tl.lastBase0AuctionId(id) + FIRST_AUCTION_ID);
      const seller = r.nextInt(c.hotSellersRatio) > 0
        ? Math.floor(tl.lastBase0PersonId(id) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO
        : tl.nextBase0PersonId(id, r);
      L[5]!.set(i, seller + FIRST_PERSON_ID);
      L[6]!.set(i, FIRST_CATEGORY_ID + r.nextInt(NUM_CATEGORIES));
      const initialBid = nextPrice(r);
      L[1]!.set(i, initialBid);
      const horizonMs = tl.timestampFor(id + eventsForAuctions) - ts;
      L[4]!.set(i, ts + 1 + r.nextLong(Math.max(horizonMs * 2, 1)));
      const nameLen = randomChars(r, 20, SPACE, scratch, 0);
      aName.put(scratch, 0, nameLen);
      const descLen = randomChars(r, 100, SPACE, scratch, 0);
      aDesc.put(scratch, 0, descLen);
      L[2]!.set(i, initialBid + nextPrice(r));
      L[3]!.set(i, ts);
      extra(aExtra, 8 + nameLen + descLen + 40, c.avgAuctionByteSize);
    } else if (readAuction) a.skip();
    if (kind === BID && readBid) {
      b.valid[i >> 3]! |= 1 << (i & 7);
      const L = b.longs;
      const auction = r.nextInt(c.hotAuctionRatio) > 0
        ? Math.floor(tl.lastBase0AuctionId(id) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO
        : tl.nextBase0AuctionId(id, r);
      L[0]!.set(i, auction + FIRST_AUCTION_ID);
      // Beam adds FIRST_PERSON_ID once; nexmark/nexmark's BidGenerator adds it twice (bidders from
      // 2000, never a person's id), which would leave q3/q8-style joins on bidder empty.
      const bidder = r.nextInt(c.hotBiddersRatio) > 0
        ? Math.floor(tl.lastBase0PersonId(id) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1
        : tl.nextBase0PersonId(id, r);
      L[1]!.set(i, bidder + FIRST_PERSON_ID);
      L[2]!.set(i, nextPrice(r));
      L[3]!.set(i, ts);
      if (bidChannel || bidExtra) {
        if (r.nextInt(HOT_CHANNELS_RATIO) > 0) {
          const h = r.nextInt(HOT_CHANNELS.length);
          if (bidChannel) { bChannel.put(HOT_CHANNEL_BYTES[h]!); bUrl.put(t.hotUrls[h]!); }
        } else {
          const ch = r.nextInt(CHANNELS_NUMBER);
          if (bidChannel) { bChannel.put(t.channels[ch]!); bUrl.put(t.channelUrls[ch]!); }
        }
        if (bidExtra) extra(bExtra, 32, c.avgBidByteSize);
      }
    } else if (readBid) b.skip();
  }
  const bidUnread = new Set<number>();
  if (!bidChannel) { bidUnread.add(3); bidUnread.add(4); }
  if (!bidExtra) bidUnread.add(6);
  const columns = [
    A.makeData({ type: toArrowType(intType) as A.Int32, length: n, nullCount: 0, data: eventType }),
    readPerson ? p.finish(PERSON_ORDER) : nullStruct(personType, n, PERSON_ORDER),
    readAuction ? a.finish(AUCTION_ORDER) : nullStruct(auctionType, n, AUCTION_ORDER),
    readBid ? b.finish(BID_ORDER, bidUnread) : nullStruct(bidType, n, BID_ORDER),
    A.makeData({ type: toArrowType(tsType) as A.TimestampMillisecond, length: n, nullCount: 0, data: dateTime.big } as never) as A.Data,
  ];
  return makeBatch(nexmarkSchema, columns, n);
}

const DOT_COM = bytes('.com'), SPACE_BYTE = bytes(' ');
