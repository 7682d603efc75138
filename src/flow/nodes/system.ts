// system_datetime (spec §5.1): the local wall clock, from the injected clock for determinism.

import type { PureLogic } from '../types.js';
import { type NodeDefinition, pureNodes } from './definition.js';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Python `datetime.now().astimezone().isoformat()`: offset always, microseconds only when non-zero. */
function localIso(d: Date, offsetMinutes: number): string {
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const ms = d.getMilliseconds();
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${ms ? `.${pad(ms * 1000, 6)}` : ''}`;
  const abs = Math.abs(offsetMinutes);
  return `${date}T${time}${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Like the reference: the locale from LC_ALL / LANG / LC_CTYPE (`en_US.UTF-8` → `en_US`). */
function processLocale(): string {
  const env = process.env.LC_ALL || process.env.LANG || process.env.LC_CTYPE;
  if (env) return env.split('.', 1)[0];
  return Intl.DateTimeFormat().resolvedOptions().locale.replace('-', '_');
}

const systemDatetime: PureLogic = (_inputs, nc) => {
  const now = new Date(nc.ctx.nowMs());
  const offset = 0 - now.getTimezoneOffset(); // not `-x`, which yields -0 in UTC
  const timezone = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
    .formatToParts(now)
    .find((p) => p.type === 'timeZoneName')?.value ?? '';
  return { iso: localIso(now, offset), timezone, utc_offset_minutes: offset, locale: processLocale() };
};

export const SYSTEM_NODES: NodeDefinition[] = pureNodes({ system_datetime: systemDatetime });
