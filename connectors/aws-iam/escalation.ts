/**
 * Privilege-escalation methods: sets of actions which, allowed together on every resource, let a principal give
 * itself more access. These are Rhino Security Labs' methods (Spencer Gietzen, "AWS IAM Privilege Escalation –
 * Methods and Mitigation") under the names cloudsplaining gives them. A method that passes a role names the
 * service the role is passed to, so iam:PassRole limited to other services (iam:PassedToService) does not
 * complete it.
 */
export interface EscalationMethod {
  name: string;
  actions: readonly string[];
  /** The service principal iam:PassRole must be allowed to pass to, when the method passes a role. */
  passRoleTo?: string;
}

export const ESCALATION_METHODS: readonly EscalationMethod[] = [
  // Permissions on other users
  { name: 'CreateAccessKey', actions: ['iam:CreateAccessKey'] },
  { name: 'CreateLoginProfile', actions: ['iam:CreateLoginProfile'] },
  { name: 'UpdateLoginProfile', actions: ['iam:UpdateLoginProfile'] },
  { name: 'AddUserToGroup', actions: ['iam:AddUserToGroup'] },
  // Permissions on policies
  { name: 'CreateNewPolicyVersion', actions: ['iam:CreatePolicyVersion'] },
  { name: 'SetExistingDefaultPolicyVersion', actions: ['iam:SetDefaultPolicyVersion'] },
  { name: 'AttachUserPolicy', actions: ['iam:AttachUserPolicy'] },
  { name: 'AttachGroupPolicy', actions: ['iam:AttachGroupPolicy'] },
  { name: 'AttachRolePolicy', actions: ['iam:AttachRolePolicy'] },
  { name: 'PutUserPolicy', actions: ['iam:PutUserPolicy'] },
  { name: 'PutGroupPolicy', actions: ['iam:PutGroupPolicy'] },
  { name: 'PutRolePolicy', actions: ['iam:PutRolePolicy'] },
  // Updating a role's trust policy
  { name: 'UpdateRolePolicyToAssumeIt', actions: ['iam:UpdateAssumeRolePolicy'] },
  // Passing an existing role to a new resource that runs code
  { name: 'CreateEC2WithExistingIP', actions: ['iam:PassRole', 'ec2:RunInstances'], passRoleTo: 'ec2.amazonaws.com' },
  {
    name: 'PassExistingRoleToNewLambdaThenInvoke',
    actions: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'],
    passRoleTo: 'lambda.amazonaws.com',
  },
  {
    name: 'PassExistingRoleToNewLambdaThenTriggerWithNewDynamo',
    actions: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:CreateEventSourceMapping', 'dynamodb:CreateTable', 'dynamodb:PutItem'],
    passRoleTo: 'lambda.amazonaws.com',
  },
  {
    name: 'PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo',
    actions: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:CreateEventSourceMapping'],
    passRoleTo: 'lambda.amazonaws.com',
  },
  { name: 'PassExistingRoleToNewGlueDevEndpoint', actions: ['iam:PassRole', 'glue:CreateDevEndpoint'], passRoleTo: 'glue.amazonaws.com' },
  {
    name: 'PassExistingRoleToCloudFormation',
    actions: ['iam:PassRole', 'cloudformation:CreateStack'],
    passRoleTo: 'cloudformation.amazonaws.com',
  },
  {
    name: 'PassExistingRoleToNewDataPipeline',
    actions: ['iam:PassRole', 'datapipeline:CreatePipeline'],
    passRoleTo: 'datapipeline.amazonaws.com',
  },
  // Changing code that already runs as a role
  { name: 'UpdateExistingGlueDevEndpoint', actions: ['glue:UpdateDevEndpoint'] },
  { name: 'EditExistingLambdaFunctionWithRole', actions: ['lambda:UpdateFunctionCode'] },
];

/** Actions that mint a credential or console password for a user. */
export const CREDENTIAL_CREATION_ACTIONS = ['iam:CreateAccessKey', 'iam:CreateLoginProfile', 'iam:UpdateLoginProfile'];

/**
 * IAM writes that change no one's permissions: a service-linked role can be assumed only by its service and
 * carries the policy AWS defines for it, so every *FullAccess managed policy may create one. iam:PassRole is
 * judged on its own (passrole-any), with the services it is limited to.
 */
export const NOT_IAM_WRITES = ['iam:CreateServiceLinkedRole', 'iam:DeleteServiceLinkedRole', 'iam:PassRole'];
