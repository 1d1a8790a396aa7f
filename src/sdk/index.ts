export * from './collection.js';
export * from './connector.js';
export * from './control.js';
export * from './errors.js';
export * from './faults.js';
export * from './glob.js';
export * from './inventory.js';
export * from './log.js';
export * from './package.js';
export * from './recertification.js';
export * from './systems.js';
export * from './testing.js';
export * from './version.js';
/** The zod a connector package writes its settings schema with: the same one the engine validates with. */
export { z } from 'zod';
