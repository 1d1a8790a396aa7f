import { ApiError, intParam, pageOf, requiredStringParam, stringParam, validationError, type Operation, type OperationContext } from './api.js';
import { parseAwsDate, type AnalyzerData, type UnusedAccessFindingData } from './dataset.js';
import type { RestRoute } from './protocol.js';

/**
 * IAM Access Analyzer (REST-JSON): ListAnalyzers, and an analyzer's unused-access findings with ListFindingsV2 and
 * GetFindingV2, from each account's `accessAnalyzer`. Paths and bodies are the ones the SDK's model declares.
 */

export const accessAnalyzerRoutes: readonly RestRoute[] = [
  { method: 'GET', path: /^\/analyzer$/, operation: 'ListAnalyzers' },
  { method: 'POST', path: /^\/findingv2$/, operation: 'ListFindingsV2' },
  { method: 'GET', path: /^\/findingv2\/(?<id>[^/]+)$/, operation: 'GetFindingV2' },
];

const ANALYZER_TYPES = ['ACCOUNT', 'ORGANIZATION', 'ACCOUNT_UNUSED_ACCESS', 'ORGANIZATION_UNUSED_ACCESS', 'ACCOUNT_INTERNAL_ACCESS', 'ORGANIZATION_INTERNAL_ACCESS'];
const FILTER_KEYS = ['findingType', 'status', 'resource', 'resourceType', 'resourceOwnerAccount'];
const PAGE = { min: 1, max: 100, fallback: 100 };

/** AWS's wire form of a timestamp in this service: RFC 3339 without milliseconds. */
function timestamp(value: string): string {
  return parseAwsDate(value).toISOString().replace('.000Z', 'Z');
}

function notAfter(value: string, now: Date): boolean {
  return parseAwsDate(value).getTime() <= now.getTime();
}

function analyzerArn(context: OperationContext, analyzer: AnalyzerData): string {
  return `arn:aws:access-analyzer:us-east-1:${context.account.id}:analyzer/${analyzer.name}`;
}

/** The caller account's analyzers as of `now`; AccessDeniedException when the dataset denies the operation. */
function analyzers(context: OperationContext, operation: string): AnalyzerData[] {
  const data = context.state.dataset.accounts[context.account.id]?.accessAnalyzer;
  if (data?.['x-deniedOperations']?.includes(operation as 'ListAnalyzers')) {
    throw new ApiError(403, 'AccessDeniedException', 'You do not have sufficient access to perform this action.');
  }
  return (data?.analyzers ?? []).filter((analyzer) => notAfter(analyzer.createdAt, context.state.now));
}

function findAnalyzer(context: OperationContext, operation: string): AnalyzerData {
  const arn = requiredStringParam(context, 'analyzerArn');
  const analyzer = analyzers(context, operation).find((candidate) => analyzerArn(context, candidate) === arn);
  if (!analyzer) throw new ApiError(404, 'ResourceNotFoundException', `Analyzer ${arn} not found`);
  return analyzer;
}

function findingsOf(context: OperationContext, analyzer: AnalyzerData): UnusedAccessFindingData[] {
  return (analyzer['x-findings'] ?? []).filter((finding) => notAfter(finding.createdAt, context.state.now));
}

function summary(context: OperationContext, finding: UnusedAccessFindingData) {
  return {
    id: finding.id,
    findingType: finding.findingType,
    resource: finding.resource,
    resourceType: finding.resourceType,
    resourceOwnerAccount: context.account.id,
    status: finding.status,
    createdAt: timestamp(finding.createdAt),
    updatedAt: timestamp(finding.updatedAt),
    analyzedAt: timestamp(finding.analyzedAt),
  };
}

/** ListFindingsV2's filter: criteria by field, each `eq` or `neq` over the finding summary's values. */
function matches(filter: unknown, fields: Record<string, string>): boolean {
  if (filter === undefined) return true;
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) throw validationError('access-analyzer', 'filter must be a map of criteria');
  return Object.entries(filter as Record<string, { eq?: unknown; neq?: unknown }>).every(([key, criterion]) => {
    if (!FILTER_KEYS.includes(key)) throw validationError('access-analyzer', `Invalid filter key ${key}`);
    const value = fields[key] ?? '';
    const eq = Array.isArray(criterion?.eq) ? criterion.eq : undefined;
    const neq = Array.isArray(criterion?.neq) ? criterion.neq : undefined;
    return (!eq || eq.includes(value)) && (!neq || !neq.includes(value));
  });
}

function withoutField(items: unknown, field: string): Record<string, unknown>[] {
  return (items as Record<string, unknown>[]).map(({ [field]: _dropped, ...item }) => item);
}

export const accessAnalyzerOperations: Record<string, Operation> = {
  ListAnalyzers: {
    paging: { token: 'nextToken', lists: ['analyzers'], truncatedFlag: false },
    dropField: (result) => ({ ...result, analyzers: withoutField(result.analyzers, 'arn') }),
    run(context) {
      const type = stringParam(context, 'type');
      if (type !== undefined && !ANALYZER_TYPES.includes(type)) {
        throw validationError('access-analyzer', `Value '${type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [${ANALYZER_TYPES.join(', ')}]`);
      }
      const listed = analyzers(context, 'ListAnalyzers').filter((analyzer) => type === undefined || analyzer.type === type);
      const page = pageOf(context, listed, 'nextToken', intParam(context, 'maxResults', PAGE));
      return {
        analyzers: page.items.map((analyzer) => ({
          arn: analyzerArn(context, analyzer),
          name: analyzer.name,
          type: analyzer.type,
          createdAt: timestamp(analyzer.createdAt),
          status: analyzer.status,
          ...(analyzer.configuration ? { configuration: analyzer.configuration } : {}),
          tags: {},
        })),
        nextToken: page.next,
      };
    },
  },

  ListFindingsV2: {
    paging: { token: 'nextToken', lists: ['findings'], truncatedFlag: false },
    dropField: (result) => ({ ...result, findings: withoutField(result.findings, 'id') }),
    run(context) {
      const analyzer = findAnalyzer(context, 'ListFindingsV2');
      const filter = context.parameters.filter;
      const listed = findingsOf(context, analyzer)
        .map((finding) => summary(context, finding))
        .filter((finding) => matches(filter, finding));
      const page = pageOf(context, listed, 'nextToken', intParam(context, 'maxResults', PAGE));
      return { findings: page.items, nextToken: page.next };
    },
  },

  GetFindingV2: {
    paging: { token: 'nextToken', lists: ['findingDetails'], truncatedFlag: false },
    dropField: (result) => {
      const { resource: _resource, ...rest } = result;
      return rest;
    },
    run(context) {
      const analyzer = findAnalyzer(context, 'GetFindingV2');
      const id = requiredStringParam(context, 'id');
      const finding = findingsOf(context, analyzer).find((candidate) => candidate.id === id);
      if (!finding) throw new ApiError(404, 'ResourceNotFoundException', `Finding ${id} not found`);
      const page = pageOf(context, finding.findingDetails, 'nextToken', intParam(context, 'maxResults', PAGE));
      const details = page.items.map((detail) => JSON.parse(JSON.stringify(detail), (key, value: unknown) => (key === 'lastAccessed' && typeof value === 'string' ? timestamp(value) : value)) as unknown);
      return { ...summary(context, finding), findingDetails: details, nextToken: page.next };
    },
  },
};
