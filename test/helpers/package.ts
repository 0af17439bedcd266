// Helpers of the package tests (test/package/): pack the repository as `npm pack` does for a
// release, and install the tarball into fresh consumer projects in a temporary folder, as a
// user's `npm install alm-rnn` would. Dev tools the consumers need (TypeScript, Vite, Dawn for
// WebGPU in Node) are linked from this repository's node_modules rather than downloaded.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** A packed tarball of the repository in its own temporary folder. */
export interface Packed {
  /** Path of the .tgz. */
  tarball: string;
  /** The folder holding it and the consumers made from it; remove() deletes it. */
  dir: string;
  remove(): void;
}

/**
 * The repository packed by `npm pack`, in a new temporary folder for this test file's consumers.
 * Under vitest the tarball is made once per run (test/setup/build.ts has built dist/ and names a
 * folder for it) and shared by the package tests; alone, it is packed here (`prepare` builds).
 */
export function packRepository(): Packed {
  const dir = mkdtempSync(join(tmpdir(), 'alm-rnn-consumers-'));
  const shared = process.env.ALM_RNN_PACK_DIR;
  const packDir = shared ?? dir;
  let tgz = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
  if (!tgz) {
    // With the shared folder dist/ is fresh (the setup built it), so prepare need not run again.
    execFileSync(NPM, ['pack', '--pack-destination', packDir, '--silent', ...(shared ? ['--ignore-scripts'] : [])], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    tgz = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
  }
  if (!tgz) throw new Error(`npm pack wrote no tarball into ${packDir}`);
  return { tarball: join(packDir, tgz), dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Options of createConsumer. */
export interface ConsumerOptions {
  /** package.json fields besides name, private and type. */
  packageJson?: Record<string, unknown>;
  /** Packages of this repository's node_modules to link into the consumer's (e.g. 'webgpu', 'vite'). */
  link?: string[];
  /** Files to write, by path relative to the consumer. */
  files?: Record<string, string>;
}

/**
 * Makes a consumer project `name` beside the tarball and installs the tarball into it with npm
 * (no registry access: the package has no required dependencies).
 */
export function createConsumer(packed: Packed, name: string, options: ConsumerOptions = {}): string {
  const dir = join(packed.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module', ...options.packageJson }, null, 2));
  execFileSync(NPM, ['install', packed.tarball, '--offline', '--no-audit', '--no-fund', '--no-package-lock', '--silent'], {
    cwd: dir, stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const pkg of options.link ?? []) {
    const target = join(dir, 'node_modules', pkg);
    mkdirSync(join(target, '..'), { recursive: true });
    symlinkSync(join(REPO, 'node_modules', pkg), target, 'dir');
  }
  for (const [path, text] of Object.entries(options.files ?? {})) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** A bin of this repository's dev dependencies (tsc, vite, publint, attw). */
export function repoBin(name: string): string {
  return join(REPO, 'node_modules', '.bin', name);
}
