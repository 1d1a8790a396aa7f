import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { collectionVerdict } from '../sdk/index.js';
import { stableStringify } from '../stable-json.js';
import { sortResultSet } from './sorted.js';
import { summarize } from './summary.js';
import type { ControlInForce, ResultSet, Writer } from './types.js';

/**
 * NIST OSCAL assessment-results (1.1.3, valid against 1.2.2 as well) for GRC tools: one result per run, an
 * observation per control in force with the pack's files as relevant evidence, a finding per failing control,
 * and the framework mappings as reviewed-control selections. Identifiers are name-based UUIDs, so the same run
 * gives the same bytes.
 */

const OSCAL_VERSION = '1.1.3';
const NS = 'https://github.com/nhi-audit/nhi-audit/ns/oscal';

/** A version-5-shaped UUID from a name: stable across runs, as OSCAL asks of identifiers that persist. */
function nameUuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\n')).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** OSCAL's token: a letter or `_` first, then letters, digits, `.`, `-`, `_`. */
const TOKEN = /^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$/u;

/** A framework's requirement id as an OSCAL control id: kept when it is a token, else prefixed with the framework. */
export function oscalControlId(framework: string, id: string): string {
  if (TOKEN.test(id)) return id;
  const slug = framework.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '');
  const candidate = `${slug}-${id.replace(/[^\p{L}\p{N}._-]+/gu, '-')}`;
  return TOKEN.test(candidate) ? candidate : `_${candidate}`;
}

function prop(name: string, value: string) {
  return { name, ns: NS, value };
}

function frameworkSelections(controls: readonly ControlInForce[]) {
  const byFramework = new Map<string, Set<string>>();
  for (const control of controls) {
    for (const mapping of control.mappings) {
      const key = mapping.version ? `${mapping.framework} ${mapping.version}` : mapping.framework;
      const ids = byFramework.get(key) ?? new Set<string>();
      for (const id of mapping.ids) ids.add(oscalControlId(mapping.framework, id));
      byFramework.set(key, ids);
    }
  }
  return [...byFramework.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .filter(([, ids]) => ids.size > 0)
    .map(([framework, ids]) => ({
      description: `${framework}: requirements the nhi-audit controls evidence`,
      props: [prop('framework', framework)],
      'include-controls': [...ids].sort().map((id) => ({ 'control-id': id })),
    }));
}

function mappedControls(control: ControlInForce): string[] {
  return control.mappings.flatMap((m) => m.ids.map((id) => `${m.framework}${m.version ? ` ${m.version}` : ''}: ${id}`));
}

function render(results: ResultSet, pack: string | undefined): unknown {
  const sorted = sortResultSet(results);
  const summary = summarize(sorted);
  const verdict = collectionVerdict(sorted.sources);
  const runKey = [sorted.tool.name, sorted.organization ?? '', sorted.asOf, sorted.cycle ?? ''];
  const planUuid = nameUuid(...runKey, 'assessment-plan');
  const inPack = (file: string) => (pack === undefined ? undefined : posix.join(pack, file));
  const evidence = (file: string, description: string) =>
    pack === undefined ? { description: `${description} (${file} in the evidence pack)` } : { href: inPack(file), description };

  const observations = summary.controls.map(({ control, counts }) => ({
    uuid: nameUuid(...runKey, 'observation', control.id),
    title: control.title,
    description: `${control.id} (${control.severity}): ${counts.pass} pass, ${counts.fail} fail, ${counts.excepted} excepted by waiver, ${counts['not-applicable']} not applicable.`,
    props: [prop('control-id', control.id), prop('severity', control.severity), ...mappedControls(control).map((m) => prop('mapped-control', m))],
    methods: ['TEST'],
    types: ['control-objective'],
    'relevant-evidence': [
      evidence('findings.json', `every finding of ${control.id}, with the facts each used`),
      evidence('inventory.json', 'the population the control was tested over'),
      evidence('controls.json', `the options and severity ${control.id} ran with`),
    ],
    collected: sorted.asOf,
  }));

  const findings = summary.controls
    .filter(({ counts }) => counts.fail > 0)
    .map(({ control, counts }) => {
      const failing = summary.failing.filter((f) => f.controlId === control.id);
      const listed = failing.slice(0, 10).map((f) => (f.credentialId ? `${f.identityId} [${f.credentialId}]` : f.identityId));
      return {
        uuid: nameUuid(...runKey, 'finding', control.id),
        title: `${control.title}: not satisfied`,
        description: `${counts.fail} failing finding${counts.fail === 1 ? '' : 's'}: ${listed.join(', ')}${counts.fail > listed.length ? `, and ${counts.fail - listed.length} more` : ''}. ${control.remediation}`,
        props: [prop('severity', control.severity), ...mappedControls(control).map((m) => prop('mapped-control', m))],
        target: { type: 'objective-id', 'target-id': control.id, status: { state: 'not-satisfied', reason: 'fail' } },
        'related-observations': [{ 'observation-uuid': nameUuid(...runKey, 'observation', control.id) }],
      };
    });

  const result = {
    uuid: nameUuid(...runKey, 'result'),
    title: `Non-human identity control tests${sorted.cycle ? `, cycle ${sorted.cycle}` : ''}`,
    description: `${sorted.identities.length} identities from ${sorted.sources.length} sources tested by ${sorted.controls.length} controls as of ${sorted.asOf}. Collection: ${verdict}.`,
    start: sorted.asOf,
    end: sorted.asOf,
    props: [
      prop('collection-verdict', verdict),
      ...sorted.sources.map((s) => prop('source-verdict', `${s.source}: ${s.verdict}`)),
    ],
    'reviewed-controls': {
      'control-selections': [
        sorted.controls.length > 0
          ? { description: 'The nhi-audit controls in force for this run', 'include-controls': sorted.controls.map((c) => ({ 'control-id': c.id })) }
          : // OSCAL needs a selection; with every control off, the run reviewed what the catalog in force holds: nothing.
            { description: 'No nhi-audit control was in force for this run', 'include-all': {} },
        ...frameworkSelections(sorted.controls),
      ],
    },
    ...(observations.length > 0 ? { observations } : {}),
    ...(findings.length > 0 ? { findings } : {}),
    ...(verdict === 'incomplete'
      ? { remarks: `The collection is incomplete (${summary.incompleteSources.map((s) => s.source).join(', ')}): these results do not cover the whole population.` }
      : {}),
  };

  return {
    'assessment-results': {
      uuid: nameUuid(...runKey, 'assessment-results'),
      metadata: {
        title: `${sorted.tool.name} assessment results${sorted.organization ? `: ${sorted.organization}` : ''}${sorted.cycle ? `, ${sorted.cycle}` : ''}`,
        'last-modified': sorted.asOf,
        version: sorted.tool.version,
        'oscal-version': OSCAL_VERSION,
      },
      'import-ap': { href: `#${planUuid}` },
      results: [result],
      'back-matter': {
        resources: [
          {
            uuid: planUuid,
            title: 'Assessment plan: the nhi-audit control catalog in force',
            description: 'The controls, options, severities and framework mappings this run tested, as recorded in the evidence pack.',
            ...(pack === undefined ? {} : { rlinks: [{ href: inPack('controls.json'), 'media-type': 'application/json' }] }),
          },
        ],
      },
    },
  };
}

const oscal: Writer = {
  id: 'oscal',
  fileName: 'assessment-results.json',
  boundedLists: true,
  render: (results, options) => `${stableStringify(render(results, options?.pack), 2)}\n`,
};

export default oscal;
