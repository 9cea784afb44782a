/** How the text reports print numbers: rates as percentages with one decimal, p-values to 3 significant digits. */
export const percent = (rate: number): string => `${(100 * rate).toFixed(1)}%`;
export const points = (difference: number): string => `${difference >= 0 ? "+" : ""}${(100 * difference).toFixed(1)}`;
export const interval = (i: { low: number; high: number }): string => `[${(100 * i.low).toFixed(1)}, ${(100 * i.high).toFixed(1)}]`;
export const pValue = (p: number): string => (p < 0.0001 ? p.toExponential(1) : p.toPrecision(3));
export const maybe = (value: number | null, digits = 0): string => (value === null ? "–" : value.toFixed(digits));
