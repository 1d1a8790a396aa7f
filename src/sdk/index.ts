export * from './collection.js';
export * from './connector.js';
export * from './control.js';
export * from './errors.js';
export * from './faults.js';
export * from './inventory.js';
export * from './log.js';
