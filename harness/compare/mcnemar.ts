/**
 * Exact McNemar test on the discordant pairs: b instances resolved only by A, c only by B.
 * Under H0 each discordant pair falls either way with probability 1/2, so the two-sided
 * p-value is min(1, 2·P(X ≤ min(b, c))) with X ~ Binomial(b + c, 1/2). The exact binomial,
 * not the χ² approximation: after one training stage b + c is often small.
 */
export function mcnemarExactP(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  // Sum C(n, i)/2^n for i ≤ k in log space, so n in the thousands does not underflow term by term.
  const log2n = n * Math.LN2;
  let logChoose = 0;
  let tail = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) logChoose += Math.log(n - i + 1) - Math.log(i);
    tail += Math.exp(logChoose - log2n);
  }
  return Math.min(1, 2 * tail);
}
