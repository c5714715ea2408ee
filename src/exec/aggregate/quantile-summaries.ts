/**
 * Greenwald-Khanna quantile summaries as Spark's QuantileSummaries keeps them (its head buffer,
 * batch insert, COMPRESS, merge and query, with its constants), so percentile_approx answers
 * what Spark answers for the same values in one partition. Plain arrays of numbers, so the
 * aggregate can keep a summary in state store value columns.
 *
 * Hand-written because the npm quantile sketches (DDSketch in @datadog/sketches-js, t-digest
 * packages) answer with bucket midpoints or interpolations, not with input values, and would
 * not give Spark's answers.
 */
export interface Summary {
  /** The samples in increasing order, with GK's g (rank jump) and delta (rank span). */
  readonly values: number[];
  readonly g: number[];
  readonly delta: number[];
  /** Values inserted into the samples (not counting the head buffer). */
  readonly count: number;
}

/** Spark's QuantileSummaries.defaultCompressThreshold and defaultHeadSize. */
export const COMPRESS_THRESHOLD = 10000;
export const HEAD_SIZE = 50000;

export const emptySummary = (): Summary => ({ values: [], g: [], delta: [], count: 0 });

/** withHeadBufferInserted: the sorted head merged into the samples. */
export function insertHead(s: Summary, head: readonly number[], relativeError: number): Summary {
  if (!head.length) return s;
  const sorted = [...head].sort((a, b) => a - b);
  const values: number[] = [], g: number[] = [], delta: number[] = [];
  let count = s.count, si = 0;
  for (let k = 0; k < sorted.length; k++) {
    const x = sorted[k]!;
    while (si < s.values.length && s.values[si]! <= x) { values.push(s.values[si]!); g.push(s.g[si]!); delta.push(s.delta[si]!); si++; }
    count++;
    const d = values.length === 0 || (si === s.values.length && k === sorted.length - 1) ? 0 : Math.floor(2 * relativeError * count);
    values.push(x); g.push(1); delta.push(d);
  }
  for (; si < s.values.length; si++) { values.push(s.values[si]!); g.push(s.g[si]!); delta.push(s.delta[si]!); }
  return { values, g, delta, count };
}

/** compressImmut: merge neighbours whose combined rank uncertainty stays under the threshold. */
function compressSamples(s: Summary, mergeThreshold: number): Summary {
  const n = s.values.length;
  if (n === 0) return s;
  const rv: number[] = [], rg: number[] = [], rd: number[] = [];
  let hv = s.values[n - 1]!, hg = s.g[n - 1]!, hd = s.delta[n - 1]!;
  for (let i = n - 2; i >= 1; i--) {
    if (s.g[i]! + hg + hd < mergeThreshold) hg += s.g[i]!;
    else { rv.push(hv); rg.push(hg); rd.push(hd); hv = s.values[i]!; hg = s.g[i]!; hd = s.delta[i]!; }
  }
  rv.push(hv); rg.push(hg); rd.push(hd);
  if (s.values[0]! <= hv && n > 1) { rv.push(s.values[0]!); rg.push(s.g[0]!); rd.push(s.delta[0]!); }
  return { values: rv.reverse(), g: rg.reverse(), delta: rd.reverse(), count: s.count };
}

/** compress(): the head inserted, then COMPRESS at 2 * relativeError * count. */
export function compress(s: Summary, head: readonly number[], relativeError: number): Summary {
  const ins = insertHead(s, head, relativeError);
  return compressSamples(ins, 2 * relativeError * ins.count);
}

/** merge() of two compressed summaries with the same relative error. */
export function mergeSummaries(a: Summary, b: Summary, relativeError: number): Summary {
  if (b.count === 0) return a;
  if (a.count === 0) return b;
  const values: number[] = [], g: number[] = [], delta: number[] = [];
  const addA = Math.floor(2 * relativeError * b.count), addB = Math.floor(2 * relativeError * a.count);
  let i = 0, j = 0;
  while (i < a.values.length && j < b.values.length) {
    if (a.values[i]! < b.values[j]!) { values.push(a.values[i]!); g.push(a.g[i]!); delta.push(a.delta[i]! + (j > 0 ? addA : 0)); i++; }
    else { values.push(b.values[j]!); g.push(b.g[j]!); delta.push(b.delta[j]! + (i > 0 ? addB : 0)); j++; }
  }
  for (; i < a.values.length; i++) { values.push(a.values[i]!); g.push(a.g[i]!); delta.push(a.delta[i]!); }
  for (; j < b.values.length; j++) { values.push(b.values[j]!); g.push(b.g[j]!); delta.push(b.delta[j]!); }
  const count = a.count + b.count;
  return compressSamples({ values, g, delta, count }, 2 * relativeError * count);
}

/** query() on a compressed summary: a sample value, null when there is none. */
export function query(s: Summary, quantile: number, relativeError: number): number | null {
  const n = s.values.length;
  if (n === 0) return null;
  if (quantile <= relativeError) return s.values[0]!;
  if (quantile >= 1 - relativeError) return s.values[n - 1]!;
  const rank = Math.ceil(quantile * s.count);
  let maxSpan = 0;
  for (let i = 0; i < n; i++) maxSpan = Math.max(maxSpan, s.delta[i]! + s.g[i]!);
  const targetError = Math.floor(maxSpan / 2); // Spark's Long division
  let minRank = 0;
  for (let i = 0; i < n - 1; i++) {
    minRank += s.g[i]!;
    const maxRank = minRank + s.delta[i]!;
    if (maxRank - targetError <= rank && rank <= minRank + targetError) return s.values[i]!;
  }
  return s.values[n - 1]!;
}
