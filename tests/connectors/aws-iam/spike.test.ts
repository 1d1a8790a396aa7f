import { test, expect } from 'vitest';
import { readFile } from 'node:fs/promises';
import { IAMClient, GetAccountAuthorizationDetailsCommand, GetAccountSummaryCommand, GenerateCredentialReportCommand, GetCredentialReportCommand } from '@aws-sdk/client-iam';
import { STSClient, GetCallerIdentityCommand, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { OrganizationsClient, ListAccountsCommand } from '@aws-sdk/client-organizations';
import { startAwsSandbox } from '../../../connectors/aws-iam/sandbox.js';

test('spike', async () => {
  const gaad = JSON.parse(await readFile('/work/shared/external/cloudsplaining/example-authz-details.json', 'utf8'));
  const sb = await startAwsSandbox({
    baseCredentials: { accessKeyId: 'AKIAFAKE000000000001', accountId: '012345678901', arn: 'arn:aws:iam::012345678901:user/nhi-audit-collector' },
    organization: { managementAccountId: '012345678901', accounts: [{ Id: '012345678901', Arn: 'arn:aws:organizations::012345678901:account/o-x/012345678901', Email: 'a@x', Name: 'mgmt', State: 'ACTIVE', JoinedMethod: 'CREATED', JoinedTimestamp: '2019-01-01T00:00:00Z' }] },
    accounts: { '012345678901': { authorizationDetails: gaad, auditRole: { roleName: 'NhiAuditReadOnly' } } },
  });
  const cfg = { region: 'us-east-1', endpoint: sb.url, credentials: { accessKeyId: sb.baseCredentials.accessKeyId, secretAccessKey: sb.baseCredentials.secretAccessKey } };
  const iam = new IAMClient(cfg);
  const r = await iam.send(new GetAccountAuthorizationDetailsCommand({ MaxItems: 5 }));
  console.log(JSON.stringify(r, null, 1).slice(0, 3000));
  console.log(await iam.send(new GetAccountSummaryCommand({})));
  console.log(await iam.send(new GenerateCredentialReportCommand({})));
  try { await iam.send(new GetCredentialReportCommand({})); } catch (e) { console.log((e as Error).name, (e as Error).message, (e as any).$metadata); }
  console.log(await iam.send(new GenerateCredentialReportCommand({})));
  const rep = await iam.send(new GetCredentialReportCommand({}));
  console.log(new TextDecoder().decode(rep.Content), rep.GeneratedTime);
  const sts = new STSClient(cfg);
  console.log(await sts.send(new GetCallerIdentityCommand({})));
  const ar = await sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::012345678901:role/NhiAuditReadOnly', RoleSessionName: 'nhi' }));
  console.log(ar);
  const sts2 = new STSClient({ ...cfg, credentials: { accessKeyId: ar.Credentials!.AccessKeyId!, secretAccessKey: ar.Credentials!.SecretAccessKey!, sessionToken: ar.Credentials!.SessionToken! } });
  console.log(await sts2.send(new GetCallerIdentityCommand({})));
  const org = new OrganizationsClient(cfg);
  console.log(await org.send(new ListAccountsCommand({})));
  console.log(sb.calls);
  await sb.close();
});
