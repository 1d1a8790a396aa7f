import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { controls } from '../../src/controls/index.js';
import { loadFrameworks, mappingsFor } from '../../src/evidence/frameworks.js';
import { frameworksDir } from '../../src/paths.js';

const frameworks = loadFrameworks(frameworksDir());
const controlIds = controls.map((c) => c.meta.id);

describe('framework mappings shipped in evidence-templates/frameworks/', () => {
  it('hold the frameworks of the catalog, sorted by framework and version', () => {
    expect(frameworks.map((f) => `${f.framework} ${f.version}`)).toEqual([
      'CIS AWS Foundations 3.0',
      'CIS AWS Foundations 7.0',
      'CIS GCP Foundations 3.0',
      'CIS GitHub 1.2',
      'NIST CSF 2.0',
      'OWASP NHI Top 10 2025',
      'SOC 2 TSC 2017',
      'SOX ITGC COSO 2013',
    ]);
  });

  it('name only controls that exist', () => {
    const unknown = frameworks.flatMap((f) => f.requirements.flatMap((r) => r.controls.filter((id) => !controlIds.includes(id)).map((id) => `${f.framework} ${f.version} ${r.id}: ${id}`)));
    expect(unknown).toEqual([]);
  });

  it.each(controlIds)('%s evidences a SOX ITGC requirement and one of another framework', (id) => {
    const mapped = mappingsFor(id, frameworks).map((m) => m.framework);
    expect(mapped).toContain('SOX ITGC');
    expect(mapped.filter((f) => f !== 'SOX ITGC').length).toBeGreaterThan(0);
  });

  it('follow the CIS AWS renumbering: IAM moved to section 2 and v7.0 has no single-active-key item', () => {
    expect(mappingsFor('credential-rotated', frameworks).filter((m) => m.framework === 'CIS AWS Foundations')).toEqual([
      { framework: 'CIS AWS Foundations', version: '3.0', ids: ['1.14'] },
      { framework: 'CIS AWS Foundations', version: '7.0', ids: ['2.12'] },
    ]);
    expect(mappingsFor('single-active-key', frameworks).filter((m) => m.framework === 'CIS AWS Foundations')).toEqual([{ framework: 'CIS AWS Foundations', version: '3.0', ids: ['1.13'] }]);
  });

  it('map NIST CSF 2.0 to PR.AA only (PR.AC is withdrawn)', () => {
    const ids = frameworks.find((f) => f.framework === 'NIST CSF')!.requirements.map((r) => r.id);
    expect(ids).toEqual(['PR.AA-01', 'PR.AA-03', 'PR.AA-05']);
  });
});

describe('loadFrameworks', () => {
  async function dirWith(name: string, content: unknown): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nhi-frameworks-'));
    await writeFile(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
    return dir;
  }
  const framework = { framework: 'X', version: '1', description: 'd', source: 's', requirements: [{ id: 'A', title: 't', controls: ['owner-assigned'] }] };

  it('gives a control the requirements that list it, per framework and version', async () => {
    const loaded = loadFrameworks(await dirWith('x.json', framework));
    expect(mappingsFor('owner-assigned', loaded)).toEqual([{ framework: 'X', version: '1', ids: ['A'] }]);
    expect(mappingsFor('owner-active', loaded)).toEqual([]);
  });

  it('names the file and path of a bad requirement', async () => {
    const dir = await dirWith('x.json', { ...framework, requirements: [{ id: 'A', title: 't', controls: [] }, { id: 'A', title: 't', controls: ['Owner Assigned'] }] });
    const message = (() => {
      try {
        loadFrameworks(dir);
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toContain(`${path.join(dir, 'x.json')}: requirements[0].controls: `);
    expect(message).toContain(`${path.join(dir, 'x.json')}: requirements[1].controls[0]: a control id`);
  });

  it('refuses a requirement listed twice and a file that is not JSON', async () => {
    const twice = await dirWith('x.json', { ...framework, requirements: [...framework.requirements, ...framework.requirements] });
    expect(() => loadFrameworks(twice)).toThrow('requirements[1].id: "A" is listed twice');
    const broken = await dirWith('y.json', '{ "framework": ');
    expect(() => loadFrameworks(broken)).toThrow(`${path.join(broken, 'y.json')}: not JSON: `);
  });
});
