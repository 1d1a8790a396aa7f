import { existsAt, toWire, type DatasetView } from './dataset.js';
import { denied, googleError, listingOf, paginate, positionOf, projectAliases, type Request } from './routes.js';

/**
 * Recommender v1 `insights.list` for `google.iam.policy.Insight` and IAM v1 `roles.get` for predefined roles, from
 * each project's `x-recommender` and the dataset's `predefinedRoles`.
 */
export function usageRoute(method: string, url: URL, path: string, view: DatasetView): Request | undefined {
  let m: RegExpMatchArray | null;
  if (method === 'GET' && (m = path.match(/^\/v1\/projects\/([^/]+)\/locations\/global\/insightTypes\/([^/]+)\/insights$/))) {
    const [ref, type] = [m[1]!, m[2]!];
    const project = view.project(ref);
    const listing = listingOf(url, 'insights');
    return {
      operation: 'recommender.insights.list',
      resource: project?.project.projectId ?? ref,
      resourceAliases: projectAliases(ref, project),
      position: positionOf(method, url, listing),
      listing,
      records: { field: 'insights', identifying: 'name' },
      handle: () => {
        if (!project) return denied('recommender.iamPolicyInsights.list', `projects/${ref}`);
        if (type !== 'google.iam.policy.Insight') return googleError(400, `Insight type ${type} is not supported by this sandbox.`);
        // A project the dataset says nothing about has the Recommender API off.
        const recommender = project['x-recommender'] ?? { enabled: false, insights: [] };
        if (!recommender.enabled) {
          return googleError(403, 'Recommender API has not been used in this project before or it is disabled.', [
            { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'SERVICE_DISABLED', domain: 'googleapis.com', metadata: { service: 'recommender.googleapis.com' } },
          ]);
        }
        const insights = recommender.insights.filter((insight) => existsAt(insight, view.now)).map(toWire) as Array<{ name: string }>;
        insights.sort((a, b) => a.name.localeCompare(b.name));
        return paginate(insights, listing, url, { default: 100, max: 1000 });
      },
    };
  }
  if (method === 'GET' && (m = path.match(/^\/v1\/(roles\/[^/]+)$/))) {
    const name = m[1]!;
    return {
      operation: 'iam.roles.get',
      resource: name,
      resourceAliases: [name],
      position: positionOf(method, url),
      records: { identifying: 'name' },
      handle: () => {
        const role = view.dataset.predefinedRoles.find((candidate) => candidate.name === name);
        return role ? { status: 200, body: toWire(role) } : googleError(404, `The role named ${name} was not found.`);
      },
    };
  }
  return undefined;
}
