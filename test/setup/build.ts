// vitest global setup: the compiled package (dist/) is what the CLI's bin, the pool threads of
// the package and the package tests run, so it is rebuilt before the tests whenever a source
// file is newer than the last build; the package tests share one `npm pack` of it per run
// (test/helpers/package.ts packs on first use into the folder named here, and reuses it); and
// the browser tests share one Vite build of the demo per run (test/demo/helpers.ts, likewise).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const STAMP = join(REPO, 'dist', '.built');

/** The newest modification time under dir (files only). */
function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const s = statSync(path);
    t = Math.max(t, s.isDirectory() ? newest(path) : s.mtimeMs);
  }
  return t;
}

export default function setup(): () => void {
  const sources = Math.max(newest(join(REPO, 'src')), newest(join(REPO, 'shaders')), statSync(join(REPO, 'package.json')).mtimeMs);
  if (!existsSync(STAMP) || statSync(STAMP).mtimeMs < sources) {
    execFileSync(process.execPath, [join(REPO, 'bin', 'build.mjs')], { cwd: REPO, stdio: 'inherit' });
  }
  const packDir = mkdtempSync(join(tmpdir(), 'alm-rnn-pack-'));
  process.env.ALM_RNN_PACK_DIR = packDir;
  const demoBuildDir = mkdtempSync(join(tmpdir(), 'alm-rnn-demo-build-'));
  process.env.ALM_RNN_DEMO_BUILD_DIR = demoBuildDir;
  return () => {
    rmSync(packDir, { recursive: true, force: true });
    rmSync(demoBuildDir, { recursive: true, force: true });
  };
}
