import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { connectors } from '../connectors/index.js';
import { configJsonSchema, loadConfig, validateConfig } from '../src/config.js';
import { controls } from '../src/controls/index.js';
import { ConfigError } from '../src/sdk/index.js';

const registries = { connectors, controls };
const source = { name: 'aws', connector: 'aws-iam' };

function problems(raw: unknown): string[] {
  return validateConfig(raw, registries).problems.map((p) => `${p.path}: ${p.message}`);
}

describe('config validation', () => {
  it('accepts a minimal config and fills defaults', () => {
    const { config } = validateConfig({ sources: [source] }, registries);
    expect(config?.output).toBe('./evidence');
    expect(config?.sources[0]).toMatchObject({ name: 'aws', connector: 'aws-iam', region: 'us-east-1', concurrency: 4 });
    expect(config?.retentionYears).toBe(7);
  });

  it('fills the enrichment tag conventions, and keeps them when only some are set', () => {
    expect(validateConfig({ sources: [source] }, registries).config?.enrich).toEqual({
      ownerTagKeys: ['owner', 'Owner', 'nhi-audit:owner'],
      environmentTagKeys: ['environment', 'Environment', 'env'],
      vendorTagKeys: ['vendor', 'Vendor', 'nhi-audit:vendor'],
      expiryTagKeys: ['expires-at', 'expires', 'nhi-audit:expires-at'],
      breakGlassTagKeys: ['break-glass', 'breakglass', 'emergency', 'nhi-audit:break-glass'],
      approvalTagKeys: ['approval', 'change-ticket', 'nhi-audit:approval'],
    });
    const { config } = validateConfig({ sources: [source], enrich: { ownerTagKeys: ['team'], approvals: 'approvals.csv' } }, registries);
    expect(config?.enrich).toMatchObject({ ownerTagKeys: ['team'], approvals: 'approvals.csv', expiryTagKeys: ['expires-at', 'expires', 'nhi-audit:expires-at'] });
    expect(problems({ sources: [source], enrich: { hrroster: 'hr.csv' } })).toEqual([expect.stringMatching(/^enrich: Unrecognized key: "hrroster"/)]);
  });

  it('sets a control off, or overrides its options and severity', () => {
    const { config } = validateConfig({ sources: [source], controls: { 'approval-recorded': 'off', 'break-glass-time-bounded': { maxHours: 4, severity: 'critical' } } }, registries);
    expect(config?.controls).toEqual({ 'approval-recorded': { enabled: false, options: {} }, 'break-glass-time-bounded': { enabled: true, severity: 'critical', options: { maxHours: 4 } } });
  });

  it('names the path of every problem, all at once', () => {
    const found = problems({
      sources: [
        { ...source, region: 5, accounts: [{ id: '1234' }] },
        { name: 'gh', connector: 'bitbucket' },
        { ...source },
      ],
      controls: { 'credential-rotated': { maxAgeDays: -1 }, 'no-such-control': 'off' },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^sources\[0\]\.region: /),
        expect.stringMatching(/^sources\[0\]\.accounts\[0\]\.id: an AWS account id is 12 digits/),
        expect.stringMatching(/^sources\[1\]\.connector: unknown connector "bitbucket"; known: aws-iam/),
        expect.stringMatching(/^sources\[2\]\.name: "aws" is used by another source/),
        expect.stringMatching(/^controls\.credential-rotated\.maxAgeDays: /),
        expect.stringMatching(/^controls\.no-such-control: unknown control/),
      ]),
    );
  });

  it('refuses what looks like a secret where an env var name belongs', () => {
    expect(problems({ sources: [{ ...source, credentials: { secretAccessKeyEnv: 'wJalrXUtnFEMI/K7MDENG' } }] })).toEqual([
      'sources[0].credentials.secretAccessKeyEnv: the name of an environment variable, not its value',
    ]);
  });

  it('turns a control off, or overrides its severity and options', () => {
    const { config } = validateConfig({ sources: [source], controls: { 'owner-assigned': 'off', 'credential-rotated': { severity: 'critical', maxAgeDays: 30 } } }, registries);
    expect(config?.controls).toEqual({
      'owner-assigned': { enabled: false, options: {} },
      'credential-rotated': { enabled: true, severity: 'critical', options: { maxAgeDays: 30 } },
    });
  });

  it('rejects unknown top-level keys', () => {
    expect(problems({ sources: [source], sorces: [] })).toEqual([expect.stringMatching(/sorces/)]);
  });
});

describe('loadConfig', () => {
  async function write(text: string): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nhi-config-'));
    const file = path.join(dir, 'nhi-audit.yaml');
    await writeFile(file, text);
    return file;
  }

  it('reports YAML syntax errors with line and column, naming the file', async () => {
    const file = await write('sources:\n  - name: aws\n    connector: [aws-iam\n');
    const error = await loadConfig(file, registries).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(new RegExp(`^${file.replace(/[.\\/]/g, '\\$&')}: line \\d+, column \\d+: `));
  });

  it('reports a missing file with the fix', async () => {
    await expect(loadConfig('/nonexistent/nhi-audit.yaml', registries)).rejects.toThrow(/nhi-audit init/);
  });

  it('resolves relative paths against the config file', async () => {
    const file = await write('sources:\n  - name: aws\n    connector: aws-iam\n');
    expect((await loadConfig(file, registries)).baseDir).toBe(path.dirname(file));
  });
});

describe('the generated JSON Schema', () => {
  it('accepts the demo configuration, a connector package\'s source among them, and rejects a built-in source\'s unknown field', async () => {
    const ajv = new Ajv2020.default({ strict: false, allErrors: true });
    const validate = ajv.compile(configJsonSchema(registries) as object);
    const demo = parse(await readFile(path.resolve(import.meta.dirname, '../fixtures/demo-org/nhi-audit.yaml'), 'utf8'));
    expect(validate(demo), ajv.errorsText(validate.errors)).toBe(true);
    expect(demo.sources.map((s: { connector: string }) => s.connector)).toContain('snowflake');
    expect(validate({ sources: [{ name: 'aws', connector: 'aws-iam', regoin: 'us-east-1' }] })).toBe(false);
  });
});
