import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

/** Every project-internal module a file imports, as a path from the repository root. */
function internalImports(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"`]([^'"`]+)['"`]/g)].map((m) => m[1]!);
  return specifiers
    .filter((s) => s.startsWith('.'))
    .map((s) => path.relative(root, path.resolve(path.dirname(path.join(root, file)), s)).replace(/\.js$/, '.ts'));
}

/** Where each layer may import from (paths from the repository root, as prefixes). */
const rules: { layer: RegExp; allowed: (file: string, target: string) => boolean; why: string }[] = [
  { layer: /^src\/sdk\//, allowed: (_f, t) => t.startsWith('src/sdk/'), why: 'the contracts import nothing but zod' },
  { layer: /^src\/controls\//, allowed: (_f, t) => t.startsWith('src/sdk/') || t.startsWith('src/controls/'), why: 'controls are pure functions over the contracts' },
  {
    layer: /^connectors\/[^/]+\//,
    allowed: (f, t) => t.startsWith('src/sdk/') || t.startsWith(`${f.split('/').slice(0, 2).join('/')}/`),
    why: 'a connector imports only the sdk and its own folder',
  },
  {
    layer: /^src\/(writers|evidence|engine)\//,
    allowed: (_f, t) => /^src\/(sdk|writers|evidence|engine)\//.test(t) || /^src\/(stable-json|redact|parse|paths|config|terminal|system-errors)\.ts$/.test(t),
    why: 'the engine, evidence and writers do not reach into commands, controls or connectors (the CLI passes them in)',
  },
  { layer: /^src\/(stable-json|redact|parse|paths|log|config|terminal|system-errors)\.ts$/, allowed: (_f, t) => /^src\/(sdk\/|stable-json|redact|parse|terminal)/.test(t), why: 'shared helpers sit below everything but the sdk' },
];

describe('architecture', () => {
  const files = [...sourceFiles('src'), ...sourceFiles('connectors')];

  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(files).toContain('src/sdk/inventory.ts');
  });

  it.each(rules.map((r) => [r.why, r] as const))('%s', (_why, rule) => {
    const violations = files
      .filter((file) => rule.layer.test(file))
      .flatMap((file) => internalImports(file).filter((t) => !rule.allowed(file, t)).map((t) => `${file} imports ${t}`));
    expect(violations).toEqual([]);
  });

  it('only the CLI reaches the commands', () => {
    const violations = files
      .filter((file) => !file.startsWith('src/commands/') && file !== 'src/cli.ts')
      .flatMap((file) => internalImports(file).filter((t) => t.startsWith('src/commands/') || t === 'src/cli.ts').map((t) => `${file} imports ${t}`));
    expect(violations).toEqual([]);
  });

  it('the sdk and controls import no Node built-ins (no file system, network or clock access by construction)', () => {
    const offenders = files
      .filter((f) => /^src\/(sdk|controls)\//.test(f))
      .filter((f) => /from\s+['"](node:|fs|http|https|net|child_process)/.test(readFileSync(path.join(root, f), 'utf8')) || /Date\.now\(|new Date\(\)/.test(readFileSync(path.join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});

describe('what runs once per finding', () => {
  it('no control builds an object with a member after a spread (a V8 slow path)', () => {
    // In Node 20's V8, `{ ...base, status }` takes 1-4 µs where a literal takes 0.1: with it, controls spent 7.6 s
    // of CPU judging 1.5 million findings, 1.3 s without. Write the members out, or Object.assign({}, base, { ... }).
    const offenders = sourceFiles('src/controls')
      .flatMap((f) => readFileSync(path.join(root, f), 'utf8').split('\n').flatMap((line, i) => (/\{\s*\.\.\.[\w.()]+\s*,/.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])));
    expect(offenders).toEqual([]);
  });
});

/** Modules a file imports when it loads (type-only and dynamic imports left out): relative ones resolved, packages as named. */
function loadedImports(file: string): { internal: string[]; packages: string[] } {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specifiers = [...text.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+['"]([^'"]+)['"]/gms)].map((m) => m[1]!);
  return {
    internal: specifiers.filter((s) => s.startsWith('.')).map((s) => path.relative(root, path.resolve(path.dirname(path.join(root, file)), s)).replace(/\.js$/, '.ts')),
    packages: specifiers.filter((s) => !s.startsWith('.') && !s.startsWith('node:')),
  };
}

describe('the commands that re-read a pack', () => {
  // An auditor's `verify` should not wait for every cloud SDK to load: the connectors load only when a command collects.
  const PROVIDER_SDKS = /^(@aws-sdk|@smithy|@octokit|googleapis|@googleapis|google-auth-library|@azure|@microsoft)\b/;

  it.each(['verify', 'diff', 'sample', 'reperform', 'report'])('%s loads no connector and no provider SDK', (command) => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const queue = [`src/commands/${command}.ts`];
    for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
      if (seen.has(file)) continue;
      seen.add(file);
      const imports = loadedImports(file);
      for (const name of imports.packages) packages.add(name);
      queue.push(...imports.internal);
    }
    expect(seen.size).toBeGreaterThan(5);
    expect([...seen].filter((f) => f.startsWith('connectors/'))).toEqual([]);
    expect([...packages].filter((name) => PROVIDER_SDKS.test(name))).toEqual([]);
  });
});

describe('connector packages (examples/, templates/)', () => {
  const packages = ['examples', 'templates'].flatMap((dir) =>
    readdirSync(path.join(root, dir), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `${dir}/${e.name}`),
  );

  it('finds the sample and the template', () => {
    expect(packages).toEqual(expect.arrayContaining(['examples/connector-snowflake', 'templates/connector']));
  });

  it.each(packages)('%s imports only nhi-audit/sdk, Node built-ins and its own files', (dir) => {
    const files = readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith('.js') && !e.parentPath.includes('node_modules'))
      .map((e) => path.join(e.parentPath, e.name));
    const violations = files.flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"`]([^'"`]+)['"`]/g)].map((m) => m[1]!);
      return specifiers
        .filter((s) => !(s === 'nhi-audit/sdk' || s.startsWith('node:') || (s.startsWith('.') && path.resolve(path.dirname(file), s).startsWith(path.join(root, dir)))))
        .map((s) => `${path.relative(root, file)} imports ${s}`);
    });
    expect(files.length).toBeGreaterThan(3);
    expect(violations).toEqual([]);
  });
});
