/**
 * Unbiased pass@k for one instance with c of n attempts resolved (Chen et al., 2021):
 * 1 − C(n−c, k)/C(n, k), computed as a product so it stays exact for large n.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (k < 1 || k > n) throw new RangeError(`pass@k needs 1 ≤ k ≤ n, got k=${k}, n=${n}`);
  if (n - c < k) return 1;
  let allFail = 1;
  for (let i = n - c + 1; i <= n; i++) allFail *= 1 - k / i;
  return 1 - allFail;
}
