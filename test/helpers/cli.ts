// Runs the alm-rnn command line as a user would (a child process), for CLI tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/alm-rnn.mjs', import.meta.url));

/** What a finished CLI process produced. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `alm-rnn ...args` and returns the child process. */
export function startCli(args: string[], cwd?: string): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `alm-rnn ...args` to completion. */
export function runCli(args: string[], cwd?: string): Promise<CliResult> {
  return collect(startCli(args, cwd));
}

/** Collects a child's output until it exits. */
export function collect(child: ChildProcess): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '', stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
