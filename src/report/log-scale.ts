/**
 * Log axes that tell the truth. Exactly-zero (underflowed) and non-finite values cannot sit on a
 * log axis; instead of dropping them (which makes a vanished gradient look merely small) or
 * crashing, they are drawn at a marked floor ("0") or ceiling ("NaN/∞") outside the data's range,
 * and the chart says so. The axis spans the positive values actually shown.
 */
import type { RecordedNumber } from '../record/metrics.js';
import { decodeNumber } from '../record/metrics.js';

export type ValueKind = 'value' | 'zero' | 'nonfinite' | 'offscale';

export interface LogPlacement {
  /** Where the value is drawn on the log axis. */
  position: number;
  kind: ValueKind;
  /** The value as text, for tooltips: "3.2e-7", "0", "NaN". */
  label: string;
}

export interface LogAxis {
  /** Domain of the log scale: the positive values, with a little room, plus floor/ceiling bands when used. */
  domain: [number, number];
  /** Where zeros are drawn. */
  floor: number;
  /** Where NaN and ±Infinity are drawn. */
  ceiling: number;
  hasZeros: boolean;
  hasNonFinite: boolean;
  /** Values above `above` (see logAxis) were put on the top line instead of stretching the axis. */
  hasOffScale: boolean;
  place(value: RecordedNumber | number | null | undefined, offScaleAllowed?: boolean): LogPlacement | null;
  /** A sentence for the subtitle when zeros or non-finite values are present, else ''. */
  note: string;
}

export function valueLabel(value: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  return magnitude >= 1e-3 && magnitude < 1e4 ? Number(value.toPrecision(4)).toString() : value.toExponential(3);
}

const superscripts: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/**
 * Tick labels for a log axis spanning [low, high]. Within 0.001…10,000 plain decimals read best;
 * beyond, the default formatter mixes "1,000,000" with "1e-8" on one axis, so every tick is
 * written the same way as a power of ten ("10⁻⁸", "2×10⁻⁵"; only the powers of ten are labelled
 * over three decades or more). Returns a vega expression, or undefined to keep the default.
 */
export function logTickLabelExpression(low: number, high: number): string | undefined {
  const plainRange = low >= 1e-3 && high <= 1e4;
  // Within one decade the ticks are not powers of ten (1.2e5, 1.4e5…): three significant digits.
  if (Math.log10(high / low) < 1) {
    if (plainRange) return "format(datum.value, '.3~r')";
    const scientific = "format(datum.value, '.2e')";
    const mantissa = `replace(replace(split(${scientific}, 'e')[0], regexp('0+$'), ''), regexp('[.]$'), '')`;
    return `${mantissa} + '×10' + ${superscriptExponent(scientific)}`;
  }
  if (plainRange) return undefined;
  const scientific = "format(datum.value, '.0e')";
  const mantissa = `split(${scientific}, 'e')[0]`;
  const exponent = superscriptExponent(scientific);
  // Over three decades or more the in-between ticks (2×, 5×…) only crowd the powers of ten.
  if (Math.log10(high / low) >= 3) return `${mantissa} === '1' ? '10' + ${exponent} : ''`;
  return `(${mantissa} === '1' ? '' : ${mantissa} + '×') + '10' + ${exponent}`;
}

/** The exponent of a vega `format(…, '…e')` expression, in superscript digits. */
function superscriptExponent(scientific: string): string {
  let exponent = `toString(toNumber(split(${scientific}, 'e')[1]))`;
  for (const [plain, raised] of Object.entries(superscripts)) exponent = `replace(${exponent}, regexp('${plain}', 'g'), '${raised}')`;
  return exponent;
}

/**
 * Tick positions for a log axis narrower than one decade, where the log scale's own ticks are
 * too few: 3 to 6 round values (steps of 1, 2 or 5 × a power of ten) inside [low, high]; null
 * over a decade or more.
 */
export function narrowLogTicks(low: number, high: number): number[] | null {
  if (!(low > 0) || !(high > low) || Math.log10(high / low) >= 1) return null;
  const rough = (high - low) / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => (high - low) / candidate <= 6) ?? 10 * power;
  const ticks: number[] = [];
  for (let value = Math.ceil(low / step) * step; value <= high * (1 + 1e-12); value += step) ticks.push(Number(value.toPrecision(12)));
  return ticks.length >= 2 ? ticks : null;
}

/**
 * Builds the axis for a set of values (null / undefined values are simply absent). `offScale`
 * values (a diverged run's) take part only up to the largest of the others: above it they are
 * drawn on the top line, so one blown-up run does not squeeze every other curve into a line.
 */
export function logAxis(values: Iterable<RecordedNumber | number | null | undefined>, offScale: Iterable<RecordedNumber | number | null | undefined> = []): LogAxis {
  let low = Infinity;
  let high = 0;
  let hasZeros = false;
  let hasNonFinite = false;
  for (const raw of values) {
    if (raw === null || raw === undefined) continue;
    const value = decodeNumber(raw);
    if (!Number.isFinite(value)) hasNonFinite = true;
    else if (value <= 0) hasZeros = true;
    else {
      low = Math.min(low, value);
      high = Math.max(high, value);
    }
  }
  let hasOffScale = false;
  const capped = high > 0 ? high : Infinity;
  for (const raw of offScale) {
    if (raw === null || raw === undefined) continue;
    const value = decodeNumber(raw);
    if (!Number.isFinite(value)) hasNonFinite = true;
    else if (value <= 0) hasZeros = true;
    else if (value > capped) hasOffScale = true;
    else {
      low = Math.min(low, value);
      high = Math.max(high, value);
    }
  }
  if (high === 0) {
    low = 1e-3;
    high = 1;
  }
  const decades = Math.log10(high / low);
  const padding = Math.max(0.05, decades * 0.04);
  const floor = low / 10 ** (padding + 0.5);
  const ceiling = high * 10 ** (padding + 0.5);
  const domain: [number, number] = [
    hasZeros ? floor / 10 ** 0.15 : low / 10 ** padding,
    hasNonFinite || hasOffScale ? ceiling * 10 ** 0.15 : high * 10 ** padding,
  ];
  const notes: string[] = [];
  if (hasZeros) notes.push('▼ on the dashed floor line: exactly 0 (underflow), which a log axis cannot show');
  if (hasNonFinite) notes.push('✕ on the top line: NaN or infinite');
  if (hasOffScale) notes.push('▲ on the top line: a diverged run above this scale (value in the tooltip)');
  return {
    domain,
    floor,
    ceiling,
    hasZeros,
    hasNonFinite,
    hasOffScale,
    note: notes.join('; '),
    place(raw, offScaleAllowed = false) {
      if (raw === null || raw === undefined) return null;
      const value = decodeNumber(raw);
      if (!Number.isFinite(value)) return { position: ceiling, kind: 'nonfinite', label: valueLabel(value) };
      if (value <= 0) return { position: floor, kind: 'zero', label: valueLabel(value) };
      if (offScaleAllowed && value > capped) return { position: ceiling, kind: 'offscale', label: `${valueLabel(value)} (off scale)` };
      return { position: value, kind: 'value', label: valueLabel(value) };
    },
  };
}
