// No server path in an error body: a message built from an fs or SQLite error ("ENAMETOOLONG:
// …, open '/srv/gateway/flows/…'") tells a client where the data lives. Paths under the
// server's own roots are replaced in every error body; in 5xx bodies every absolute path is.

import { homedir, tmpdir } from 'node:os';

export type Redactor = (text: string, anyAbsolute: boolean) => string;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ANY_ABSOLUTE = /(^|[\s'"(=,])\/[^\s'"(),]+/g;
const REDACTED = '<server path>';

/** A redactor for the given server directories (plus cwd, home and tmp). */
export function pathRedactor(dirs: string[]): Redactor {
  const roots = [...new Set([...dirs, process.cwd(), homedir(), tmpdir()].map((d) => d.replace(/\/+$/, '')).filter((d) => d.length > 1))];
  roots.sort((a, b) => b.length - a.length);
  const underRoot = roots.length === 0 ? null : new RegExp(`(?:${roots.map(escape).join('|')})(?![\\w.@-])[^\\s'"),:;]*`, 'g');
  return (text, anyAbsolute) => {
    const out = underRoot ? text.replace(underRoot, REDACTED) : text;
    return anyAbsolute ? out.replace(ANY_ABSOLUTE, `$1${REDACTED}`) : out;
  };
}
