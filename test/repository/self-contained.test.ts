// The repository stands alone: no file under src/, test/, bench/ or demo/ names a path outside
// it (such as the steering workspace's folder beside the clone), so a clone in any folder runs everything;
// no file cites documents that live outside it, and every reference into docs/ lands on a section that exists.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FOLDERS = ['src', 'test', 'bench', 'demo', 'bin'];
const SKIP = new Set(['node_modules', 'dist', 'results']);
const SOURCE = /\.(ts|mts|mjs|js|html|json|wgsl)$/;

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else if (SOURCE.test(name)) out.push(path);
  }
  return out;
}

/** Relative paths in string literals ('…', "…", `…`) that climb with ../, and where they lead. */
export function pathsOutside(text: string, fileDir: string, root: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(['"`])((?:\.\.?\/)+[^'"`\s]*)\1/g)) {
    const target = resolve(fileDir, match[2].replace(/\?.*$/, ''));
    const rel = relative(root, target);
    if (rel === '..' || rel.startsWith(`..${sep}`)) found.push(match[2]);
  }
  // new URL('…', import.meta.url) and fileURLToPath(new URL(…)) resolve against the file too (caught above);
  // an absolute path into the workspace's shared folder is caught here.
  for (const match of text.matchAll(/['"`]\/[^'"`]*\/shared\/(golden|data|spec|paper)\b[^'"`]*['"`]/g)) found.push(match[0]);
  return found;
}

/** Every text file of the repository: tracked by git or not ignored by it (without git: found on disk), minus node_modules, dist and package-lock.json. */
function repositoryTextFiles(): string[] {
  let paths: string[];
  try {
    paths = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\0').filter(Boolean);
  } catch {
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((name) => {
      if (name === '.git' || name === 'node_modules' || name === 'dist') return [];
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [relative(ROOT, path)];
    });
    paths = walk(ROOT);
  }
  return paths
    .filter((p) => !p.split(/[\\/]/).some((part) => part === 'node_modules' || part === 'dist') && p !== 'package-lock.json')
    .filter((p) => existsSync(join(ROOT, p)) && !readFileSync(join(ROOT, p)).subarray(0, 8000).includes(0));
}

// The two documents that once lived outside the repository, and the outside folder that held them
// (assembled, so that this file does not name them itself).
const OUTSIDE_DOCS = new RegExp(
  [...['ALGORITHM', 'DESIGN'].map((name) => `\\b${name}\\.md\\b`), `(?:shared|\\.\\.)/${'spec'}/`].join('|'),
  'g',
);

/** Names of documents outside the repository that `text` cites. */
export function outsideDocuments(text: string): string[] {
  return [...text.matchAll(OUTSIDE_DOCS)].map((m) => m[0]);
}

/** A reference into docs/: the page (path from the root) and the section number, as written. */
export interface DocsReference {
  page: string;
  section: string | null;
  text: string;
}

/**
 * The references into docs/ in `text` of the file at `file` (relative to the root): the path of a
 * Markdown page under docs/, optionally followed by sections (`§4`, `§4.5`, `§5–§6`, `§4.1, §4.2`);
 * inside docs/ also a bare page name with a section.
 */
export function docsReferences(text: string, file: string): DocsReference[] {
  const inDocs = file.startsWith('docs/');
  const page = inDocs ? /(?<![\w./-])((?:docs\/)?[\w-]+\.md)((?:\s*(?:,|–|-|and)?\s*§\d+(?:\.\d+)*)*)/g : /(?<![\w./-])(docs\/[\w-]+\.md)((?:\s*(?:,|–|-|and)?\s*§\d+(?:\.\d+)*)*)/g;
  const out: DocsReference[] = [];
  for (const m of text.matchAll(page)) {
    const path = m[1].startsWith('docs/') ? m[1] : `docs/${m[1]}`;
    const sections = [...m[2].matchAll(/§(\d+(?:\.\d+)*)/g)].map((s) => s[1]);
    // Inside docs/, a bare page name counts only with a section (README.md, say, is the root's too).
    if (inDocs && !m[1].startsWith('docs/') && sections.length === 0) continue;
    if (sections.length === 0) out.push({ page: path, section: null, text: m[0] });
    for (const section of sections) out.push({ page: path, section, text: m[0].trim() });
  }
  return out;
}

/** The section numbers that headings of a docs page declare (`## §4 …`, `### §4.5 …`). */
export function sectionHeadings(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/^#{1,6}\s+§(\d+(?:\.\d+)*)(?![\d.])/gm)].map((m) => m[1]));
}

/** The references in `text` that do not resolve: a page that does not exist, or a section it has no heading for. */
export function brokenReferences(text: string, file: string, readPage: (page: string) => string | null): string[] {
  const broken: string[] = [];
  for (const ref of docsReferences(text, file)) {
    const page = readPage(ref.page);
    if (page === null) broken.push(`${ref.text}: no page ${ref.page}`);
    else if (ref.section !== null && !sectionHeadings(page).has(ref.section)) broken.push(`${ref.text}: ${ref.page} has no heading §${ref.section}`);
  }
  return broken;
}

function readRepositoryPage(page: string): string | null {
  const path = join(ROOT, page);
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

describe('the repository is self-contained', () => {
  it('finds a path that leaves the repository (the check can fail)', () => {
    const dir = join(ROOT, 'test', 'helpers');
    // The offending paths are assembled here so that this file does not name one itself.
    const outside = ['..', '..', '..', 'shared', 'golden', 'x.json'].join('/');
    expect(pathsOutside(`readFileSync(new URL('${outside}', import.meta.url))`, dir, ROOT)).toHaveLength(1);
    expect(pathsOutside(`import x from '../fixtures/golden/a.json'`, dir, ROOT)).toHaveLength(0);
    const absolute = ['', 'work', 'shared', 'data', 'x.csv'].join('/');
    expect(pathsOutside(`const p = "${absolute}"`, dir, ROOT)).toHaveLength(1);
  });

  it('no file under src/, test/, bench/, demo/ or bin/ names a path outside the repository', () => {
    const offenders: string[] = [];
    for (const folder of FOLDERS) {
      for (const file of files(join(ROOT, folder))) {
        for (const p of pathsOutside(readFileSync(file, 'utf8'), dirname(file), ROOT)) offenders.push(`${relative(ROOT, file)}: ${p}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('finds citations of outside documents and broken references into docs/ (the check can fail)', () => {
    const name = ['ALGORITHM', 'md'].join('.');
    expect(outsideDocuments(`// the u-block (${name} §4.4)`)).toEqual([name]);
    expect(outsideDocuments(`see ${['..', 'spec', 'x.md'].join('/')}`)).toHaveLength(1);
    expect(outsideDocuments('// the u-block (docs/method.md §4.4)')).toEqual([]);
    // Made-up pages, assembled so that this file holds no reference into docs/ itself.
    const doc = (name: string): string => ['docs', name].join('/');
    const pages: Record<string, string> = { [doc('m.md')]: '# M\n\n## §1 One\n\n### §1.2 Two\n\n## §10 Ten\n' };
    const read = (p: string): string | null => pages[p] ?? null;
    expect(brokenReferences(`// see ${doc('m.md')} §1, §1.2 and §10`, 'src/a.ts', read)).toEqual([]);
    expect(brokenReferences(`// see ${doc('m.md')} §1.3`, 'src/a.ts', read)).toHaveLength(1);
    expect(brokenReferences(`// see ${doc('m.md')} §5–§6`, 'src/a.ts', read)).toHaveLength(2);
    expect(brokenReferences(`// see ${doc('gone.md')} §1`, 'src/a.ts', read)).toHaveLength(1);
    expect(brokenReferences('see [m.md §2](m.md)', doc('x.md'), read)).toHaveLength(1);
    expect(brokenReferences('see m.md §2', 'src/a.ts', read)).toEqual([]);
  });

  it('no file in the repository cites a document outside it, and every reference into docs/ resolves', () => {
    const files = repositoryTextFiles();
    expect(files).toContain('docs/method.md');
    const outside: string[] = [];
    const broken: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const name of outsideDocuments(text)) outside.push(`${file}: ${name}`);
      for (const b of brokenReferences(text, file, readRepositoryPage)) broken.push(`${file}: ${b}`);
    }
    expect(outside).toEqual([]);
    expect(broken).toEqual([]);
  });

  it('the commands recorded in committed experiment results name no absolute path of the machine they ran on', () => {
    const results = repositoryTextFiles().filter((p) => /^bench\/results\/experiments\/.+\/results\.json$/.test(p));
    expect(results.length).toBeGreaterThan(0);
    const absolute: string[] = [];
    for (const file of results) {
      const { commands } = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as { commands: string[] };
      for (const command of commands) {
        for (const word of command.split(/\s+|=/)) if (word.startsWith('/') || /^'\//.test(word)) absolute.push(`${file}: ${command}`);
      }
    }
    expect(absolute).toEqual([]);
  });
});
