import type { RawPages } from '../../src/sdk/index.js';
import { parseCredentialReport } from './credential-report.js';
import { keysFromReport } from './export.js';
import type { AccessKeyLike, AccountSnapshot, GroupDetailLike, ManagedPolicyLike, RoleDetailLike, UserDetailLike } from './normalize.js';
import { organizationFromRaw, policiesOver } from './organization.js';
import { parsePolicyDocument, type PolicyDocument } from './policy.js';

interface GaadBody {
  IsTruncated?: boolean;
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

/** The account snapshots a pack's raw pages hold, as the client built them when it read the account. */
export async function snapshotsFromRaw(raw: RawPages): Promise<AccountSnapshot[]> {
  const managed = await awsManagedPolicies(raw);
  const organization = await organizationFromRaw(raw);
  const snapshots: AccountSnapshot[] = [];
  for (const accountId of raw.scopes().filter((s) => /^\d{12}$/.test(s))) {
    const gaad = await raw.pages(accountId, 'GetAccountAuthorizationDetails');
    // A listing whose last kept page was truncated failed partway: the collection read nothing of the account.
    if (gaad.length === 0 || (gaad.at(-1)!.body as GaadBody).IsTruncated) continue;
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
      const byUser = new Map<string, { keys: AccessKeyLike[]; truncated: boolean }>();
      for (const page of listed) {
        const body = page.body as { AccessKeyMetadata?: AccessKeyLike[]; IsTruncated?: boolean };
        const user = byUser.get(String(page.parameters.UserName)) ?? { keys: [], truncated: false };
        user.keys.push(...(body.AccessKeyMetadata ?? []));
        user.truncated = body.IsTruncated === true;
        byUser.set(String(page.parameters.UserName), user);
      }
      // As in the collection, a user whose key listing stopped partway has no keys on record.
      for (const [user, { keys, truncated }] of byUser) if (!truncated) snapshot.accessKeys[user] = keys;
    } else if (snapshot.credentialReport && gaad.some((p) => 'file' in p.parameters)) {
      // An offline export never called ListAccessKeys: its keys came from the report's slots.
      snapshot.accessKeys = keysFromReport(snapshot.credentialReport);
    }
    snapshots.push(snapshot);
  }
  return snapshots;
}
