import { describe, expect, it } from "vitest";
import { clusterBootstrapInterval, pairedBootstrapBinaryInterval, pairedBootstrapInterval } from "../../harness/compare/bootstrap.ts";
import { mcnemarExactP } from "../../harness/compare/mcnemar.ts";
import { passAtK } from "../../harness/compare/pass-at-k.ts";
import { quantile } from "../../harness/compare/quantiles.ts";
import { wilsonInterval } from "../../harness/compare/wilson-interval.ts";

/**
 * Expected values computed independently, with Python's math.comb and fractions.Fraction
 * (exact rationals), from the formulas in shared/reference/regression-stats.md; the script's
 * results are written out here.
 */
describe("Wilson score interval", () => {
  // (p + z²/2n)/(1 + z²/n) ± z·√(p(1−p)/n + z²/4n²)/(1 + z²/n), z = 1.959963984540054
  it.each([
    [73, 500, 0.11774876682646929, 0.1796492662203097],
    [231, 500, 0.41875629515879303, 0.505823154716285],
    [5, 10, 0.236593090512564, 0.7634069094874361],
    [1, 1, 0.20654931437723745, 1.0],
    [0, 2, 0.0, 0.6576197724933469],
  ])("%i of %i", (x, n, low, high) => {
    const interval = wilsonInterval(x, n);
    expect(interval.low).toBeCloseTo(low, 12);
    expect(interval.high).toBeCloseTo(high, 12);
  });
});

describe("exact McNemar test", () => {
  it.each([
    [5, 0, 1 / 16], // 2·(1/2)^5: the reference's worked example
    [0, 5, 1 / 16],
    [6, 0, 1 / 32],
    [10, 3, 189 / 2048], // 2·378/8192
    [7, 7, 1],
    [0, 0, 1],
    [40, 60, 0.05688793364098079],
    [120, 150, 0.0773893989802185],
  ])("b=%i c=%i", (b, c, p) => {
    expect(mcnemarExactP(b, c)).toBeCloseTo(p, 12);
  });

  it("stays finite for thousands of discordant pairs", () => {
    const p = mcnemarExactP(1500, 1600);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(0.1);
  });
});

describe("pass@k (unbiased estimator)", () => {
  it.each([
    [5, 2, 1, 0.4], // c/n
    [5, 2, 2, 0.7], // 1 − C(3,2)/C(5,2) = 1 − 3/10
    [10, 3, 4, 5 / 6], // 1 − C(7,4)/C(10,4) = 1 − 35/210
    [5, 0, 3, 0],
    [5, 4, 2, 1], // n − c < k
  ])("n=%i c=%i k=%i", (n, c, k, expected) => {
    expect(passAtK(n, c, k)).toBeCloseTo(expected, 12);
  });
  it("rejects k outside 1..n", () => {
    expect(() => passAtK(3, 1, 4)).toThrow(/1 ≤ k ≤ n/);
  });
});

describe("bootstrap intervals", () => {
  it("paired: matches the normal approximation of the resampled mean difference", () => {
    // n = 500, 10 instances only A, 30 only B: Δ = 0.04; per-instance variance (b+c)/n − Δ² =
    // 0.0784, so the mean's sd is √(0.0784/500) = 0.012522 and the 95% interval ≈ 0.04 ± 0.02454.
    const d = new Float64Array(500);
    for (let i = 0; i < 10; i++) d[i] = -1;
    for (let i = 10; i < 40; i++) d[i] = 1;
    const interval = pairedBootstrapInterval(d, { seed: 7 });
    expect(interval.low).toBeCloseTo(0.0155, 2);
    expect(Math.abs(interval.low - 0.0155)).toBeLessThan(0.003);
    expect(Math.abs(interval.high - 0.0645)).toBeLessThan(0.003);
  });

  it("paired, two single runs: the multinomial draw gives the interval of resampling instances", () => {
    // Same case as above, by the exact shortcut: within the bootstrap's own resampling noise of it.
    const shortcut = pairedBootstrapBinaryInterval(10, 30, 500, { seed: 7 });
    expect(Math.abs(shortcut.low - 0.0155)).toBeLessThan(0.003);
    expect(Math.abs(shortcut.high - 0.0645)).toBeLessThan(0.003);
    const d = new Float64Array(500);
    for (let i = 0; i < 10; i++) d[i] = -1;
    for (let i = 10; i < 40; i++) d[i] = 1;
    const direct = pairedBootstrapInterval(d, { seed: 8 });
    expect(Math.abs(shortcut.low - direct.low)).toBeLessThanOrEqual(0.004);
    expect(Math.abs(shortcut.high - direct.high)).toBeLessThanOrEqual(0.004);
    // Extremes: all discordant one way gives the point −1; nothing discordant gives 0.
    expect(pairedBootstrapBinaryInterval(6, 0, 6)).toEqual({ low: -1, high: -1 });
    expect(pairedBootstrapBinaryInterval(0, 0, 500)).toEqual({ low: 0, high: 0 });
    // Large n: no underflow (full SWE-bench, 2294 instances, half discordant).
    const big = pairedBootstrapBinaryInterval(600, 547, 2294);
    expect(big.low).toBeLessThan(-0.023);
    expect(big.high).toBeGreaterThan(-0.023);
    expect(big.high - big.low).toBeLessThan(0.1);
  });

  it("paired: no discordant pair gives the point interval [0, 0]; the same seed gives the same interval", () => {
    expect(pairedBootstrapInterval(new Float64Array(100))).toEqual({ low: 0, high: 0 });
    const d = Float64Array.from({ length: 200 }, (_, i) => Math.sin(i)); // continuous, so two seeds cannot tie
    expect(pairedBootstrapInterval(d, { seed: 3 })).toEqual(pairedBootstrapInterval(d, { seed: 3 }));
    expect(pairedBootstrapInterval(d, { seed: 3 })).not.toEqual(pairedBootstrapInterval(d, { seed: 4 }));
  });

  it("cluster: two one-instance clusters resolved and not → resampled rates 0, ½, 1 with ¼, ½, ¼", () => {
    const interval = clusterBootstrapInterval([
      { resolved: 1, total: 1 },
      { resolved: 0, total: 1 },
    ]);
    expect(interval).toEqual({ low: 0, high: 1 });
  });

  it("cluster: is wider than Wilson when one big cluster carries the rate", () => {
    // One repository of 200 all resolved, nine of 20 with none resolved: rate 0.5, but it rests on one cluster.
    const clusters = [{ resolved: 200, total: 200 }, ...Array.from({ length: 9 }, () => ({ resolved: 0, total: 20 }))];
    const cluster = clusterBootstrapInterval(clusters);
    const wilson = wilsonInterval(200, 380);
    expect(cluster.high - cluster.low).toBeGreaterThan(3 * (wilson.high - wilson.low));
  });
});

describe("quantiles (linear interpolation, numpy's default)", () => {
  it("median and p90", () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7, 12);
    expect(quantile([], 0.5)).toBeNull();
  });
});
