import type { GateSection } from "./compare-report.ts";

/**
 * The CI gate: a regression only when the drop is both significant (p < alpha) and at least
 * `minDropPoints` percentage points; never on the raw delta alone, since with 500 instances a
 * couple of points is within noise.
 */
export function regressionGate(input: {
  baseline: string;
  candidate: string;
  difference: number;
  pValue: number;
  alpha: number;
  minDropPoints: number;
}): GateSection {
  const points = input.difference * 100;
  const dropped = points < 0 && -points >= input.minDropPoints;
  const significant = input.pValue < input.alpha;
  const regressed = dropped && significant;
  const reason = regressed
    ? `dropped ${(-points).toFixed(1)} points (≥ ${input.minDropPoints}) with p = ${input.pValue.toPrecision(3)} < ${input.alpha}`
    : points >= 0
      ? `no drop (${points >= 0 ? "+" : ""}${points.toFixed(1)} points)`
      : !significant
        ? `drop of ${(-points).toFixed(1)} points is not significant (p = ${input.pValue.toPrecision(3)} ≥ ${input.alpha})`
        : `drop of ${(-points).toFixed(1)} points is below --min-drop ${input.minDropPoints}`;
  return {
    baseline: input.baseline,
    candidate: input.candidate,
    alpha: input.alpha,
    min_drop_points: input.minDropPoints,
    difference_points: points,
    p_value: input.pValue,
    regressed,
    reason,
  };
}
