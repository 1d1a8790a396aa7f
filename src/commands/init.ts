import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../paths.js';
import { ExitError, EXIT } from '../sdk/index.js';
import type { GlobalOptions } from './context.js';

const STARTER = `# nhi-audit configuration. Paths are relative to this file. Credentials are never written here:
# name environment variables or files, or let each SDK use its standard chain (AWS profiles/SSO, ...).
# yaml-language-server: $schema=SCHEMA_PATH
organization: Example Corp
output: ./evidence

sources:
  - name: aws
    connector: aws-iam
    region: us-east-1
    # credentials: { profile: audit }          # or accessKeyIdEnv / secretAccessKeyEnv
    organizations: { discover: true }           # read every active account of the organization
    assumeRole:
      roleName: NhiAuditReadOnly                # a read-only audit role in each member account
      # externalIdEnv: NHI_AUDIT_EXTERNAL_ID

enrich:
  ownerTagKeys: [owner, Owner]
  # owners: owners.csv                         # identity,owner (identity may be a glob)
  # hrRoster: hr-roster.csv                    # person,status,terminated_at
  # approvals: approvals.csv                   # identity,ticket,requester,approver,approved_at
  # privilegedAccess: privileged-access.csv    # identity,approver,ticket,recertified_at

# waivers: waivers.yaml                        # control, identity, reason, ticket, approver, expires

controls:
  credential-rotated: { maxAgeDays: 90 }
  credential-unused: { maxIdleDays: 90, graceDays: 7 }

signing:
  privateKeyFile: keys/nhi-audit.key           # from \`nhi-audit keys generate --out keys\`
`;

/** The installed CLI's own schema, as a path from the config's folder: it resolves wherever the CLI is installed. */
function schemaReference(configFile: string): string {
  const relative = path.relative(path.dirname(path.resolve(configFile)), path.join(packageRoot(), 'nhi-audit.schema.json')).split(path.sep).join('/');
  return relative.startsWith('.') || path.isAbsolute(relative) ? relative : `./${relative}`;
}

export default async function init(options: { force?: boolean }, globals: GlobalOptions): Promise<number> {
  try {
    await writeFile(globals.config, STARTER.replace('SCHEMA_PATH', schemaReference(globals.config)), { flag: options.force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ExitError(EXIT.usage, `${globals.config} already exists; use --force to overwrite it`);
    }
    throw error;
  }
  process.stdout.write(`Wrote ${globals.config}. Next: nhi-audit keys generate --out keys, then nhi-audit check\n`);
  return EXIT.ok;
}
