import { quantileOfSorted } from "./quantiles.ts";
import { seededRandom } from "./seeded-random.ts";
import type { Interval } from "./wilson-interval.ts";

export const DEFAULT_RESAMPLES = 10_000;
export const DEFAULT_SEED = 20_240_607;

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
}

function percentileInterval(estimates: Float64Array): Interval {
  estimates.sort();
  return { low: quantileOfSorted(estimates, 0.025), high: quantileOfSorted(estimates, 0.975) };
}

/**
 * Paired bootstrap of a mean difference: resample instances with replacement, keeping each
 * instance's pair of outcomes together (its difference B − A: −1, 0 or 1 for single runs, a
 * difference of solve rates for groups of seeds); the 2.5th and 97.5th percentiles of the
 * resampled means bound the difference.
 */
export function pairedBootstrapInterval(differences: Float64Array, options: BootstrapOptions = {}): Interval {
  const n = differences.length;
  if (n === 0) return { low: 0, high: 0 };
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const random = seededRandom(options.seed ?? DEFAULT_SEED);
  const estimates = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += differences[(random() * n) | 0]!;
    estimates[r] = sum / n;
  }
  return percentileInterval(estimates);
}

/** Cumulative distribution of Binomial(m, p), built in log space so large m cannot underflow. */
function binomialCdf(m: number, p: number): Float64Array {
  const cdf = new Float64Array(m + 1);
  if (p <= 0) return cdf.fill(1);
  if (p >= 1) {
    cdf[m] = 1;
    return cdf;
  }
  const logRatio = Math.log(p) - Math.log1p(-p);
  let logPmf = m * Math.log1p(-p);
  let sum = 0;
  for (let k = 0; k <= m; k++) {
    if (k > 0) logPmf += Math.log(m - k + 1) - Math.log(k) + logRatio;
    sum += Math.exp(logPmf);
    cdf[k] = sum;
  }
  for (let k = 0; k <= m; k++) cdf[k]! /= sum;
  return cdf;
}

/** The smallest k with cdf[k] ≥ u. */
function inverseCdf(cdf: Float64Array, u: number): number {
  let low = 0;
  let high = cdf.length - 1;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (cdf[mid]! >= u) high = mid;
    else low = mid + 1;
  }
  return low;
}

/**
 * The paired bootstrap of two single runs, drawn exactly but without touching each instance:
 * resampling n instances with replacement only matters through how many draws land on "only A"
 * (b of n) and "only B" (c of n) instances, which is Multinomial(n; b/n, c/n, rest). So each
 * resample draws B* ~ Binomial(n, b/n), then C* ~ Binomial(n − B*, c/(n − b)), and
 * Δ* = (C* − B*)/n — the same distribution as pairedBootstrapInterval over −1/0/+1
 * differences, at a cost independent of n.
 */
export function pairedBootstrapBinaryInterval(onlyA: number, onlyB: number, n: number, options: BootstrapOptions = {}): Interval {
  if (n === 0) return { low: 0, high: 0 };
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const random = seededRandom(options.seed ?? DEFAULT_SEED);
  const first = binomialCdf(n, onlyA / n);
  const rest = n - onlyA;
  const second = new Map<number, Float64Array>();
  const estimates = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    const b = inverseCdf(first, random());
    const m = n - b;
    let table = second.get(m);
    if (!table) second.set(m, (table = binomialCdf(m, rest === 0 ? 0 : onlyB / rest)));
    const c = inverseCdf(table, random());
    estimates[r] = (c - b) / n;
  }
  return percentileInterval(estimates);
}

/**
 * Cluster bootstrap of a resolved rate: resample whole clusters (repositories) with
 * replacement and take resolved / total over the drawn clusters. It answers "this model on
 * tasks like these", where the plain interval answers "on exactly these instances"; Verified
 * is 231/500 django, so the instances are not independent draws.
 */
export function clusterBootstrapInterval(
  clusters: ReadonlyArray<{ resolved: number; total: number }>,
  options: BootstrapOptions = {},
): Interval {
  const k = clusters.length;
  if (k === 0) return { low: 0, high: 1 };
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const random = seededRandom(options.seed ?? DEFAULT_SEED);
  const resolvedOf = Float64Array.from(clusters, (c) => c.resolved);
  const totalOf = Float64Array.from(clusters, (c) => c.total);
  const estimates = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let resolved = 0;
    let total = 0;
    for (let i = 0; i < k; i++) {
      const drawn = (random() * k) | 0;
      resolved += resolvedOf[drawn]!;
      total += totalOf[drawn]!;
    }
    estimates[r] = total === 0 ? 0 : resolved / total;
  }
  return percentileInterval(estimates);
}
