/**
 * Time-zone offsets from Node's Intl (its ICU carries the IANA tz data): the offset of a zone at an
 * instant, and the instant a wall-clock time in a zone names, by java.time's rules, which Spark's
 * from_utc_timestamp / to_utc_timestamp use. Zone names as Spark's getZoneId reads them: IANA ids,
 * fixed offsets (+08:00, GMT-8, UTC+5:30), and Java's SHORT_IDS (PST, JST, EST…).
 */

const HOUR_MS = 3_600_000;

/** java.time.ZoneId.SHORT_IDS, which Spark passes to ZoneId.of: PST is Los Angeles, EST a fixed -05:00. */
const SHORT_IDS: Record<string, string> = {
  ACT: 'Australia/Darwin', AET: 'Australia/Sydney', AGT: 'America/Argentina/Buenos_Aires', ART: 'Africa/Cairo', AST: 'America/Anchorage',
  BET: 'America/Sao_Paulo', BST: 'Asia/Dhaka', CAT: 'Africa/Harare', CNT: 'America/St_Johns', CST: 'America/Chicago', CTT: 'Asia/Shanghai',
  EAT: 'Africa/Addis_Ababa', ECT: 'Europe/Paris', IET: 'America/Indiana/Indianapolis', IST: 'Asia/Kolkata', JST: 'Asia/Tokyo',
  MIT: 'Pacific/Apia', NET: 'Asia/Yerevan', NST: 'Pacific/Auckland', PLT: 'Asia/Karachi', PNT: 'America/Phoenix', PRT: 'America/Puerto_Rico',
  PST: 'America/Los_Angeles', SST: 'Pacific/Guadalcanal', VST: 'Asia/Ho_Chi_Minh', EST: '-05:00', MST: '-07:00', HST: '-10:00',
};

/** A zone: its offset in ms at an instant. */
export interface Zone {
  readonly id: string;
  offsetAt(ms: number): number;
}

const zones = new Map<string, Zone | null>();

/** The zone named `name`, or null when neither Intl nor the offset forms know it. Cached per name. */
export function zoneOf(name: string): Zone | null {
  let z = zones.get(name);
  if (z === undefined) {
    z = makeZone(name);
    if (zones.size > 1024) zones.clear();
    zones.set(name, z);
  }
  return z;
}

function makeZone(name: string): Zone | null {
  const id = SHORT_IDS[name] ?? name;
  const fixed = /^(?:UTC|GMT|UT)?(?:([+-])(\d{1,2})(?::?(\d{2}))?(?::(\d{2}))?)?$/i.exec(id.trim());
  if (fixed && id.trim() !== '') {
    const [, sign, h = '0', m = '0', s = '0'] = fixed;
    const off = (sign === '-' ? -1 : 1) * ((+h * 60 + +m) * 60 + +s) * 1000;
    return +h > 18 || +m > 59 ? null : { id, offsetAt: () => off };
  }
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone: id, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short' });
  } catch { return null; }
  /** The zone's offset at `ms`, from the wall clock Intl shows for it (to the second). */
  const exact = (ms: number): number => {
    const p: Record<string, string> = {};
    for (const x of fmt.formatToParts(ms)) p[x.type] = x.value;
    const y = p.era === 'BC' || p.era === 'B' ? 1 - +p.year! : +p.year!;
    const d = new Date(0);
    d.setUTCFullYear(y, +p.month! - 1, +p.day!);
    d.setUTCHours(+p.hour!, +p.minute!, +p.second!, 0);
    return d.getTime() - Math.floor(ms / 1000) * 1000;
  };
  // Offsets per hour: when the hour's start and end agree, no transition falls inside it (zones
  // change at most twice a year), so every instant of that hour has it; else ask Intl per value.
  // Intl costs about a microsecond a call; a column of a year's timestamps asks it ~9k times, not 1M.
  const hours = new Map<number, number>();
  return {
    id,
    offsetAt(ms) {
      const h = Math.floor(ms / HOUR_MS);
      let o = hours.get(h);
      if (o === undefined) {
        const a = exact(h * HOUR_MS), b = exact(h * HOUR_MS + HOUR_MS - 1000);
        o = a === b ? a : NaN;
        if (hours.size > 100_000) hours.clear();
        hours.set(h, o);
      }
      return Number.isNaN(o) ? exact(ms) : o;
    },
  };
}

/**
 * The instant at which zone `z` shows wall-clock time `wall` (ms as if UTC), as java.time's
 * LocalDateTime.atZone: in an overlap (clocks set back) the earlier offset; in a gap (clocks set
 * forward) the time moved later by the gap's length.
 */
export function wallToInstant(z: Zone, wall: number): number {
  const before = z.offsetAt(wall - 86_400_000), after = z.offsetAt(wall + 86_400_000);
  const early = wall - before;
  if (before === after || z.offsetAt(early) === before) return early;
  const late = wall - after;
  return z.offsetAt(late) === after ? late : early;
}
