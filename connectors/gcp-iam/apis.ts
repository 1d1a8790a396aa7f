/**
 * Google's API clients and their request layer, loaded when a client is made: with google-auth-library they are
 * most of what loading the connector would cost every command, collecting from Google Cloud or not.
 */
export async function googleApis() {
  const [{ iam }, { cloudresourcemanager }, { createAPIRequest }] = await Promise.all([
    import('@googleapis/iam'),
    import('@googleapis/cloudresourcemanager'),
    import('googleapis-common'),
  ]);
  return { iam, cloudresourcemanager, createAPIRequest };
}

export type GoogleApis = Awaited<ReturnType<typeof googleApis>>;
