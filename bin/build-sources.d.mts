// Types of build-sources.mjs for the TypeScript tests that import it.
export interface GeneratedModule {
  output: string;
  what: string;
  minify?: 'wgsl';
  constants: Array<[string, string]>;
}
export const GENERATED: GeneratedModule[];
export function stripWgsl(text: string): string;
export function renderModule(entry: GeneratedModule): Promise<string>;
export function buildSources(options?: { check?: boolean }): Promise<string[]>;
