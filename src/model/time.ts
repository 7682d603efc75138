// One canonical timestamp format everywhere we write: Python-compatible
// `YYYY-MM-DDTHH:mm:ss.ffffff+00:00` (spec §0.4). Comparisons always use parsed instants.

/** Format an epoch-milliseconds instant the way the reference gateway does. */
export function isoFromMs(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-01-09T12:34:56.123Z
  return `${iso.slice(0, 23)}000+00:00`;
}

export function nowIso(): string {
  return isoFromMs(Date.now());
}

/** Parse any ISO-8601 instant; a naive timestamp (no offset) is taken as UTC. Returns NaN if invalid. */
export function parseIsoMs(value: string): number {
  const s = value.trim();
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return NaN;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(s);
  // JS Date handles at most milliseconds; trim extra fractional digits.
  const normalized = s.replace(/(\.\d{3})\d+/, '$1');
  return Date.parse(hasZone || normalized.length <= 10 ? normalized : `${normalized}Z`);
}

/** The one source of "now" for a process; tests inject their own. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };
