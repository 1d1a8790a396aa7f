import type { Connector } from '../src/sdk/index.js';
import awsIam from './aws-iam/index.js';
import entraId from './entra-id/index.js';
import file from './file/index.js';
import gcpIam from './gcp-iam/index.js';
import github from './github/index.js';
import gitlab from './gitlab/index.js';

/** Every connector, sorted by id. Adding a connector is one import and one line here. */
export const connectors: readonly Connector[] = [awsIam, entraId, file, gcpIam, github, gitlab];
