import { ApiError, intParam, requiredStringParam, stringParam, validationError, type Operation } from './api.js';
import { syntheticId, type PrincipalRegistry } from './auth.js';

/** STS (awsQuery, 2011-06-15): who am I, and sessions in the accounts that carry the audit role. */

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[^/]+\/)*([^/]+)$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const DEFAULT_MAX_SESSION_SECONDS = 3600;
const CHAINED_MAX_SESSION_SECONDS = 3600;

export function createStsOperations(principals: PrincipalRegistry): Record<string, Operation> {
  return {
    GetCallerIdentity: {
      dropField: ({ Arn: _arn, ...rest }) => rest,
      run({ principal }) {
        return { UserId: principal.userId, Account: principal.accountId, Arn: principal.arn };
      },
    },

    AssumeRole: {
      dropField: (result) => {
        const { AccessKeyId: _id, ...credentials } = result.Credentials as Record<string, unknown>;
        return { ...result, Credentials: credentials };
      },
      run(context) {
        const roleArn = requiredStringParam(context, 'RoleArn');
        const sessionName = requiredStringParam(context, 'RoleSessionName');
        if (!SESSION_NAME.test(sessionName)) {
          throw validationError(
            'sts',
            `Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]{2,64}`,
          );
        }
        const duration = intParam(context, 'DurationSeconds', { min: 900, max: 43200, fallback: 3600 });
        const [, accountId = '', roleName = ''] = ROLE_ARN.exec(roleArn) ?? [];
        const target = context.state.dataset.accounts[accountId];
        const auditRole = target?.auditRole;
        const externalId = stringParam(context, 'ExternalId');
        if (!auditRole || auditRole.roleName !== roleName || (auditRole.externalId !== undefined && auditRole.externalId !== externalId)) {
          throw new ApiError(403, 'AccessDenied', `User: ${context.principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
        }
        const role = context.state.views.get(accountId)?.roles.find((candidate) => candidate.RoleName === roleName);
        const chained = context.principal.sessionToken !== undefined;
        const maxSeconds = chained ? CHAINED_MAX_SESSION_SECONDS : (role?.MaxSessionDuration ?? DEFAULT_MAX_SESSION_SECONDS);
        if (duration > maxSeconds) {
          throw new ApiError(
            400,
            'ValidationError',
            chained
              ? 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.'
              : 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
          );
        }
        const roleId = role?.RoleId ?? syntheticId('AROA', roleArn);
        const session = principals.issueSession(accountId, roleName, roleId, sessionName);
        return {
          Credentials: {
            AccessKeyId: session.accessKeyId,
            SecretAccessKey: session.secretAccessKey,
            SessionToken: session.sessionToken,
            // Wall-clock time, not the dataset's `now`: the SDK refreshes credentials it sees as expired.
            Expiration: new Date(Date.now() + duration * 1000),
          },
          AssumedRoleUser: { AssumedRoleId: session.userId, Arn: session.arn },
        };
      },
    },
  };
}
