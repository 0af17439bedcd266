// Node ESM loader hook: `import text from './file.wgsl?raw'` yields the file's text,
// the same contract Vite (and so vitest and the demo) gives, so shader imports work
// identically in the CLI, the tests and the browser.
import { readFile } from 'node:fs/promises';

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && url.endsWith('?raw')) {
    const text = await readFile(new URL(url.slice(0, -'?raw'.length)), 'utf8');
    return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  return nextLoad(url, context);
}
