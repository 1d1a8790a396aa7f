import { asOf, type Dataset } from './dataset.js';

/*
 * The GraphQL query the connector sends (RepositoryInventory), answered from the dataset in the shape
 * GitHub's schema gives it; a test validates the query itself against @octokit/graphql-schema.
 */

const CODEOWNERS_ALIASES = {
  codeownersGithub: '.github/CODEOWNERS',
  codeownersRoot: 'CODEOWNERS',
  codeownersDocs: 'docs/CODEOWNERS',
} as const;

export function repositoryInventory(dataset: Dataset, now: Date, query: string, variables: Record<string, unknown>): unknown {
  if (typeof variables.org !== 'string' || variables.org.toLowerCase() !== dataset.org.login.toLowerCase()) {
    return {
      data: { organization: null },
      errors: [
        {
          type: 'NOT_FOUND',
          path: ['organization'],
          locations: [{ line: 3, column: 5 }],
          message: `Could not resolve to an Organization with the login of '${String(variables.org)}'.`,
        },
      ],
    };
  }
  const first = Number(/repositories\(\s*first:\s*(\d+)/.exec(query)?.[1] ?? 100);
  const environmentsFirst = Number(/environments\(\s*first:\s*(\d+)/.exec(query)?.[1] ?? 100);
  const repositories = asOf(dataset.repositories, now).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const start = cursorPosition(variables.after);
  const page = repositories.slice(start, start + first);
  const end = start + page.length - 1;
  return {
    data: {
      organization: {
        repositories: {
          totalCount: repositories.length,
          pageInfo: { hasNextPage: end + 1 < repositories.length, endCursor: page.length ? cursor(end) : null },
          nodes: page.map((repo) => {
            const environments = asOf(repo.environments, now);
            return {
              name: repo.name,
              databaseId: repo.id,
              isArchived: repo.archived,
              visibility: repo.visibility.toUpperCase(),
              deployKeys: { totalCount: asOf(repo.deploy_keys, now).length },
              environments: {
                totalCount: environments.length,
                nodes: environments.slice(0, environmentsFirst).map((environment) => ({ name: environment.name })),
              },
              ...Object.fromEntries(
                Object.entries(CODEOWNERS_ALIASES).map(([alias, path]) => [alias, repo.codeowners?.path === path ? { text: repo.codeowners.text } : null]),
              ),
            };
          }),
        },
      },
    },
  };
}

/** A cursor names the last item of a page; the page it leads to starts after it. */
function cursor(index: number, nonce?: number): string {
  return Buffer.from(`cursor:${index}${nonce === undefined ? '' : `:${nonce}`}`).toString('base64');
}

/** Where the page a cursor leads to starts; the first page has no cursor. */
export function cursorPosition(after: unknown): number {
  return typeof after === 'string' ? Number(Buffer.from(after, 'base64').toString('utf8').split(':')[1]) + 1 : 0;
}

/** A cursor unlike any given before that leads to `position` again. */
export function freshCursor(position: number, nonce: number): string {
  return cursor(position - 1, nonce);
}
