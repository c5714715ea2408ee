/**
 * Nexmark q9 (winning bids) as a transformWithState keyed by auction. Flink's q9 is a ROW_NUMBER
 * over a join that retracts its answer as bids come; in append mode an auction's winner is final
 * once its auction has expired: the highest bid with `bid.dateTime BETWEEN auction.dateTime AND
 * auction.expires` (ties: the earliest bid, then the first to arrive). The processor holds the
 * auction and its best bid so far, and an event-time timer at `expires` emits the winner and
 * clears the key, so the state holds only open auctions.
 *
 * A bid whose auction has not arrived yet (event times out of order, or a bid after its auction
 * expired) waits in a list, with one timer at the latest waiting bid's time: once the watermark
 * passes it, an auction any of them could belong to (opened at or before the bid) would be late,
 * so the list is dropped then and nothing waits for good. One timer rather than one per bid: a
 * timer that re-read and re-wrote the list per bid made q9 quadratic in the bids after an expiry
 * (the state's JSON codec was 24% of q9's CPU); the earlier bids that wait longer are harmless,
 * as the auction that arrives is checked against each bid's time.
 */
import { StatefulProcessor, type ExpiredTimerInfo, type ListState, type StatefulProcessorHandle, type TimerValues, type ValueState } from '../../src/index.ts';

/** One input row: an auction (event_type 1) or a bid (2), flattened, keyed by the auction's id. */
export interface AuctionOrBid extends Record<string, unknown> {
  id: bigint; event_type: number; dateTime: Date;
  itemName: string | null; description: string | null; initialBid: bigint | null; reserve: bigint | null; expires: Date | null;
  seller: bigint | null; category: bigint | null; auction_extra: string | null;
  bidder: bigint | null; price: bigint | null; bid_extra: string | null;
}

export interface WinningBid extends Record<string, unknown> {
  id: bigint; itemName: string; description: string; initialBid: bigint; reserve: bigint; dateTime: Date; expires: Date;
  seller: bigint; category: bigint; extra: string; auction: bigint; bidder: bigint; price: bigint; bid_dateTime: Date; bid_extra: string;
}

export const WINNING_BID_SCHEMA = 'id LONG, itemName STRING, description STRING, initialBid LONG, reserve LONG, dateTime TIMESTAMP, '
  + 'expires TIMESTAMP, seller LONG, category LONG, extra STRING, auction LONG, bidder LONG, price LONG, bid_dateTime TIMESTAMP, bid_extra STRING';

/** What the state keeps, as JSON (numbers in ms; ids and prices are below 2^53). */
interface AuctionState { itemName: string; description: string; initialBid: number; reserve: number; dateTime: number; expires: number; seller: number; category: number; extra: string }
interface BidState { bidder: number; price: number; t: number; extra: string }

const ms = (d: Date | null): number => (d as Date).getTime();
/** Flink's ORDER BY price DESC, dateTime ASC; on a full tie the bid held first stays. */
const beats = (b: BidState, best: BidState | undefined): boolean => !best || b.price > best.price || (b.price === best.price && b.t < best.t);

export class WinningBids extends StatefulProcessor<{ id: bigint }, AuctionOrBid, WinningBid> {
  private auction!: ValueState<AuctionState>;
  private best!: ValueState<BidState>;
  private early!: ListState<BidState>;
  /** The latest waiting bid's time: the one timer of a key whose auction is unknown. */
  private earlyUntil!: ValueState<number>;

  init(handle: StatefulProcessorHandle): void {
    this.auction = handle.getValueState<AuctionState>('auction');
    this.best = handle.getValueState<BidState>('best');
    this.early = handle.getListState<BidState>('early');
    this.earlyUntil = handle.getValueState<number>('earlyUntil');
  }

  handleInputRows(_key: { id: bigint }, rows: readonly AuctionOrBid[]): Iterable<WinningBid> {
    const h = this.getHandle();
    let a = this.auction.get();
    const bids: BidState[] = [];
    for (const r of rows) {
      if (r.event_type === 1 && !a) {
        a = {
          itemName: r.itemName!, description: r.description!, initialBid: Number(r.initialBid), reserve: Number(r.reserve),
          dateTime: ms(r.dateTime), expires: ms(r.expires), seller: Number(r.seller), category: Number(r.category), extra: r.auction_extra!,
        };
        this.auction.update(a);
        // The waiting bids came first (ties go to the first to arrive); their timer is deleted before
        // the expiry timer is registered, as the two may be at the same ms.
        if (this.earlyUntil.exists()) {
          bids.unshift(...this.early.get());
          this.early.clear();
          h.deleteTimer(this.earlyUntil.get()!);
          this.earlyUntil.clear();
        }
        h.registerTimer(a.expires);
      } else if (r.event_type === 2) {
        bids.push({ bidder: Number(r.bidder), price: Number(r.price), t: ms(r.dateTime), extra: r.bid_extra! });
      }
    }
    if (!a) {
      if (!bids.length) return [];
      this.early.appendList(bids);
      const until = this.earlyUntil.get(), latest = Math.max(until ?? -Infinity, ...bids.map((b) => b.t));
      if (latest !== until) {
        if (until !== undefined) h.deleteTimer(until);
        h.registerTimer(latest);
        this.earlyUntil.update(latest);
      }
      return [];
    }
    let best = this.best.get();
    const before = best;
    for (const b of bids) if (b.t >= a.dateTime && b.t <= a.expires && beats(b, best)) best = b;
    if (best !== before) this.best.update(best!);
    return [];
  }

  override *handleExpiredTimer(key: { id: bigint }, _tv: TimerValues, info: ExpiredTimerInfo): Iterable<WinningBid> {
    const at = info.getExpiryTimeInMs(), a = this.auction.get();
    if (!a) {
      // The waiting bids' timer: none of them can meet their auction any more.
      this.early.clear();
      this.earlyUntil.clear();
      return;
    }
    if (at !== a.expires) return;
    const b = this.best.get();
    this.auction.clear();
    this.best.clear();
    if (!b) return;
    yield {
      id: key.id, itemName: a.itemName, description: a.description, initialBid: BigInt(a.initialBid), reserve: BigInt(a.reserve),
      dateTime: new Date(a.dateTime), expires: new Date(a.expires), seller: BigInt(a.seller), category: BigInt(a.category), extra: a.extra,
      auction: key.id, bidder: BigInt(b.bidder), price: BigInt(b.price), bid_dateTime: new Date(b.t), bid_extra: b.extra,
    };
  }
}
