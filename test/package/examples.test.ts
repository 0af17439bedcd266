// The documentation runs as written: README's library example (the first ```js block of its
// "Use it as a library" section, extracted from README.md) and the Node example script run
// verbatim in a fresh project that installed the packed package, so neither can drift from the API.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer, packRepository, REPO, type Packed } from '../helpers/package.ts';

/** The first ```js block after the heading `## Use it as a library`. */
export function readmeLibraryExample(readme: string): string {
  const section = readme.split(/^## /m).find((s) => s.startsWith('Use it as a library'));
  if (!section) throw new Error('README.md has no "## Use it as a library" section');
  const block = /```js\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('the "Use it as a library" section has no ```js block');
  return block[1];
}

let packed: Packed;
let consumer: string;

beforeAll(() => {
  packed = packRepository();
  consumer = createConsumer(packed, 'examples', {
    files: {
      'readme-example.mjs': readmeLibraryExample(readFileSync(join(REPO, 'README.md'), 'utf8')),
      'forecast.mjs': readFileSync(join(REPO, 'examples/node/forecast.mjs'), 'utf8'),
    },
  });
}, 180_000);

afterAll(() => packed?.remove());

function run(script: string, args: string[] = []) {
  return spawnSync(process.execPath, [script, ...args], { cwd: consumer, encoding: 'utf8', timeout: 60_000 });
}

describe('the documentation runs against the installed package', () => {
  it('finds the example in README.md (the extraction can fail)', () => {
    expect(() => readmeLibraryExample('# x\n## Use it as a library\nno code\n')).toThrow(/no ```js block/);
    expect(readmeLibraryExample(readFileSync(join(REPO, 'README.md'), 'utf8'))).toContain("from 'alm-rnn'");
  });

  it("README's library example runs verbatim: trains, predicts, saves and reloads the model", () => {
    const res = run('readme-example.mjs');
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/TrainErr \d\.\d+e-\d+, TestErr \d\.\d+e-\d+ \(outer-cap/);
    const model = JSON.parse(readFileSync(join(consumer, 'model.json'), 'utf8'));
    expect(model.format).toBe('alm-rnn/elman@1');
    // The reloaded model predicts what the trained one did: the last line prints both.
    const last = res.stdout.trim().split('\n').at(-1)!;
    const [a, b] = last.split('] ] [').map((s) => s.replace(/[[\]\s]/g, ''));
    expect(a).toBe(b);
  });

  it('examples/node/forecast.mjs trains on sp500; stopped by SIGINT it keeps a checkpoint, and run again it resumes to the unbroken run\'s numbers', async () => {
    const unbroken = run('forecast.mjs', ['12']);
    expect(unbroken.status, unbroken.stderr).toBe(0);
    expect(unbroken.stdout).toMatch(/^backend: /m);
    expect(unbroken.stdout).toMatch(/outer-cap after 12 outer iterations/);
    expect(unbroken.stdout).toMatch(/test MSE \d\.\d+e[-+]\d+ in raw units over 44 of 437 steps/);
    expect(existsSync(join(consumer, 'sp500-model.json'))).toBe(true);
    expect(existsSync(join(consumer, 'forecast.checkpoint.json'))).toBe(false);
    const errors = (out: string) => /TrainErr [\d.]+, TestErr [\d.]+/.exec(out)?.[0];

    // A real SIGINT once the third outer iteration is reported.
    const child = spawn(process.execPath, ['forecast.mjs', '12'], { cwd: consumer });
    let out = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!sent && /^k=\s*3 /m.test(out)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(out).toMatch(/stopped after \d+ outer iterations/);
    expect(existsSync(join(consumer, 'forecast.checkpoint.json'))).toBe(true);

    const resumed = run('forecast.mjs', ['12']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/outer-cap after 12 outer iterations/);
    expect(errors(resumed.stdout)).toBe(errors(unbroken.stdout));
    expect(existsSync(join(consumer, 'forecast.checkpoint.json'))).toBe(false);
  });

  it('the examples ran against the packed package, which ships dist/ and not the sources or tests', () => {
    expect(existsSync(join(consumer, 'node_modules/alm-rnn/dist/index.node.js'))).toBe(true);
    expect(existsSync(join(consumer, 'node_modules/alm-rnn/LICENSE'))).toBe(true);
    expect(existsSync(join(consumer, 'node_modules/alm-rnn/src'))).toBe(false);
    expect(existsSync(join(consumer, 'node_modules/alm-rnn/test'))).toBe(false);
    expect(existsSync(join(consumer, 'node_modules/alm-rnn/bench'))).toBe(false);
  });
});
