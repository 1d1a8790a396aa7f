import type { RawPage, RawPages } from '../../src/sdk/index.js';
import { keysFromReport, parseCredentialReport } from './credential-report.js';
import { stoppedPartway } from './listing.js';
import type { AccessKeyLike, AccountSnapshot, GroupDetailLike, ManagedPolicyLike, RoleDetailLike, UserDetailLike } from './normalize.js';
import { organizationFromRaw, policiesOver } from './organization.js';
import { parsePolicyDocument, type PolicyDocument } from './policy.js';
import { serviceLastAccessedFromRaw } from './service-last-accessed.js';
import { unusedAccessFromRaw } from './unused-access.js';

interface GaadBody {
  IsTruncated?: boolean;
  Marker?: string;
  /** Left in an offline export of one page (`--max-items`). */
  NextToken?: string;
  UserDetailList?: UserDetailLike[];
  GroupDetailList?: GroupDetailLike[];
  RoleDetailList?: RoleDetailLike[];
  Policies?: ManagedPolicyLike[];
}

/** AWS managed policy documents are read once per source, in whichever account needed them first. */
async function awsManagedPolicies(raw: RawPages): Promise<Record<string, PolicyDocument>> {
  const documents: Record<string, PolicyDocument> = {};
  for (const scope of raw.scopes()) {
    for (const page of await raw.pages(scope, 'GetPolicyVersion')) {
      const arn = page.parameters.PolicyArn;
      const document = (page.body as { PolicyVersion?: { Document?: unknown } }).PolicyVersion?.Document;
      if (typeof arn === 'string' && document !== undefined) documents[arn] = parsePolicyDocument(document);
    }
  }
  return documents;
}

const gaadIds = (body: GaadBody): string[] =>
  [...(body.UserDetailList ?? []), ...(body.RoleDetailList ?? []), ...(body.Policies ?? [])]
    .map((entity) => entity.Arn ?? '')
    .concat((body.GroupDetailList ?? []).map((group) => `group/${group.GroupName}`));

/**
 * The account snapshots a pack's raw pages hold, as the client built them when it read the account, one at a time:
 * an account is normalized before the next is built, so the snapshots are never all held (at 100 000 identities
 * they came to about 120 MiB beside the pages and identities, all marked by every full collection).
 */
export async function* snapshotsFromRaw(raw: RawPages): AsyncGenerator<AccountSnapshot> {
  const managed = await awsManagedPolicies(raw);
  const organization = await organizationFromRaw(raw);
  for (const accountId of raw.scopes().filter((s) => /^\d{12}$/.test(s))) {
    const gaad = await raw.pages(accountId, 'GetAccountAuthorizationDetails');
    // A listing that stopped partway: the collection read nothing of the account.
    if (gaad.length === 0 || stoppedPartway(gaad, gaadIds)) continue;
    const snapshot: AccountSnapshot = {
      accountId,
      users: [],
      groups: [],
      roles: [],
      policies: [],
      awsManagedPolicies: managed,
      credentialReport: null,
      accessKeys: {},
      refs: { entities: {} },
    };
    const policies = organization && policiesOver(organization, accountId);
    if (policies) snapshot.serviceControlPolicies = policies;
    for (const page of gaad) {
      const body = page.body as GaadBody;
      body.UserDetailList?.forEach((u, i) => u.Arn && (snapshot.refs.entities[u.Arn] = `${page.path}#/body/UserDetailList/${i}`));
      body.RoleDetailList?.forEach((r, i) => r.Arn && (snapshot.refs.entities[r.Arn] = `${page.path}#/body/RoleDetailList/${i}`));
      snapshot.users.push(...(body.UserDetailList ?? []));
      snapshot.groups.push(...(body.GroupDetailList ?? []));
      snapshot.roles.push(...(body.RoleDetailList ?? []));
      snapshot.policies.push(...(body.Policies ?? []));
    }
    const [report] = await raw.pages(accountId, 'GetCredentialReport');
    const csv = (report?.body as { Content?: unknown } | undefined)?.Content;
    if (report && typeof csv === 'string') {
      snapshot.credentialReport = parseCredentialReport(csv);
      snapshot.refs.credentialReport = report.path;
    }
    const listed = await raw.pages(accountId, 'ListAccessKeys');
    if (listed.length > 0) {
      const byUser = new Map<string, RawPage[]>();
      for (const page of listed) byUser.set(String(page.parameters.UserName), [...(byUser.get(String(page.parameters.UserName)) ?? []), page]);
      const keyIds = (body: { AccessKeyMetadata?: AccessKeyLike[] }) => (body.AccessKeyMetadata ?? []).map((key) => key.AccessKeyId ?? '');
      // As in the collection, a user whose key listing stopped partway has no keys on record.
      for (const [user, pages] of byUser) {
        if (!stoppedPartway(pages, keyIds)) snapshot.accessKeys[user] = pages.flatMap((page) => (page.body as { AccessKeyMetadata?: AccessKeyLike[] }).AccessKeyMetadata ?? []);
      }
    } else if (snapshot.credentialReport && (gaad.some((p) => 'file' in p.parameters) || report?.parameters.accessKeyIds === false)) {
      // An offline export, or a source with `accessKeyIds: false`, never called ListAccessKeys: its keys came from the report's slots.
      snapshot.accessKeys = keysFromReport(snapshot.credentialReport);
    }
    const unusedAccess = await unusedAccessFromRaw(raw, accountId);
    if (unusedAccess) snapshot.unusedAccess = unusedAccess;
    const serviceLastAccessed = await serviceLastAccessedFromRaw(raw, accountId);
    if (serviceLastAccessed) snapshot.serviceLastAccessed = serviceLastAccessed;
    yield snapshot;
  }
}
