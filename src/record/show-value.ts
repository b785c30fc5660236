/**
 * A value as it appears in an error line, the same in the experiment files' checks and the
 * run-folder reader (both name the field and show what they found): strings quoted, numbers as
 * written (NaN, Infinity included), objects as compact JSON — at most 60 characters, however
 * large, deep or cyclic the value (the printer never walks more than it shows).
 */
export function showValue(value: unknown): string {
  const limit = 60;
  const text = preview(value, limit + 1, new Set());
  return text.length > limit ? `${text.slice(0, limit - 3)}…` : text;
}

function preview(value: unknown, budget: number, ancestors: Set<object>): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > budget ? value.slice(0, budget) : value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return String(value);
  if (ancestors.has(value)) return '<cycle>';
  const inner = new Set(ancestors).add(value);
  const parts: string[] = [];
  let used = 2;
  const entries: [string | null, unknown][] = Array.isArray(value) ? value.map((item) => [null, item]) : Object.entries(value);
  for (const [key, item] of entries) {
    if (used >= budget) {
      parts.push('…');
      break;
    }
    const shown = `${key === null ? '' : `${JSON.stringify(key.slice(0, budget))}:`}${preview(item, budget - used, inner)}`;
    parts.push(shown);
    used += shown.length + 1;
  }
  return Array.isArray(value) ? `[${parts.join(',')}]` : `{${parts.join(',')}}`;
}
