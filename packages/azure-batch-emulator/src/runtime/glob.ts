import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';

const WILD = /[*?[]/;

export interface Match {
  file: string;
  /** Path below the pattern's fixed prefix; the blob name (under destination.path) when wildcards are used. */
  relative: string;
}

function segmentToRegex(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        // `**/` matches zero or more directories; a trailing `**` anything.
        if (pattern[i + 2] === '/') {
          out += '(?:.*/)?';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
      } else {
        let body = pattern.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        out += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else {
      out += c.replace(/[.+^${}()|\\]/g, '\\$&');
    }
  }
  return out;
}

async function walk(dir: string, depth: number, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const full = join(dir, e.name);
    if (e.isDirectory()) {
      if (depth > 1) await walk(full, depth - 1, out);
    } else if (e.isFile()) {
      out.push(full);
    }
  }
}

/**
 * Expands an output file pattern relative to the working directory: `*`, `**`, `?` and `[...]`,
 * and relative parents such as `../stdout.txt`. Matches outside `root` are ignored.
 */
export async function expandPattern(
  pattern: string,
  workingDir: string,
  root: string,
): Promise<Match[]> {
  const segments = pattern
    .replace(/\\/g, '/')
    .split('/')
    .filter((s) => s !== '' && s !== '.');
  const fixed: string[] = [];
  while (fixed.length < segments.length && !WILD.test(segments[fixed.length])) {
    fixed.push(segments[fixed.length]);
  }
  const base = resolve(workingDir, ...fixed);
  const inside = (p: string) => p === root || p.startsWith(root + sep);
  if (!inside(base)) return [];

  if (fixed.length === segments.length) {
    try {
      return (await stat(base)).isFile() ? [{ file: base, relative: basename(base) }] : [];
    } catch {
      return [];
    }
  }
  const rest = segments.slice(fixed.length);
  const regex = new RegExp(`^${segmentToRegex(rest.join('/'))}$`);
  const depth = rest.some((s) => s.includes('**')) ? Infinity : rest.length;
  const files: string[] = [];
  await walk(base, depth, files);
  return files
    .map((file) => ({ file, relative: relative(base, file).split(sep).join('/') }))
    .filter((m) => regex.test(m.relative))
    .sort((a, b) => a.relative.localeCompare(b.relative));
}
