// Origin allowlist (spec security §1.5): `*` allows all, patterns with `*`, `?` or `[` are
// case-sensitive shell globs with Python fnmatchcase semantics, anything else must be equal.
//
// Not picomatch: it is a path matcher, so `?` never crosses `/`, `[!a]` is not a negated class,
// and braces/extglobs/backslash escapes would give origin patterns meanings fnmatch does not have.
// fnmatch's grammar is small enough to translate exactly.

export type OriginCheck = (origin: string) => boolean;

export function originAllowlist(patterns: readonly string[]): OriginCheck {
  if (patterns.includes('*')) return () => true;
  const exact = new Set(patterns.filter((p) => !/[*?[]/.test(p)));
  const globs = patterns.filter((p) => /[*?[]/.test(p)).map(fnmatchRegExp);
  return (origin) => exact.has(origin) || globs.some((re) => re.test(origin));
}

const escapeRe = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/** Port of Python's fnmatch.translate; an unusable pattern matches nothing. */
export function fnmatchRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i++]!;
    if (c === '*') {
      while (pattern[i] === '*') i++;
      re += '.*';
    } else if (c === '?') {
      re += '.';
    } else if (c === '[') {
      let j = i;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) {
        re += '\\[';
        continue;
      }
      let set = pattern.slice(i, j).replace(/\\/g, '\\\\');
      i = j + 1;
      if (set === '') re += '(?!)';
      else if (set === '!') re += '.';
      else {
        if (set[0] === '!') set = `^${set.slice(1)}`;
        else if (set[0] === '^' || set[0] === '[') set = `\\${set}`;
        re += `[${set.replace(/]/g, '\\]')}]`;
      }
    } else {
      re += escapeRe(c);
    }
  }
  try {
    return new RegExp(`^${re}$`, 's');
  } catch {
    return /(?!)/;
  }
}
