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
  const estimates = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let resolved = 0;
    let total = 0;
    for (let i = 0; i < k; i++) {
      const cluster = clusters[(random() * k) | 0]!;
      resolved += cluster.resolved;
      total += cluster.total;
    }
    estimates[r] = total === 0 ? 0 : resolved / total;
  }
  return percentileInterval(estimates);
}
