import { readFileSync } from 'node:fs';
import { IdentitySchema } from '../src/sdk/index.js';
const text = readFileSync(process.argv[2] + '/inventory.json', 'utf8');
let t = performance.now();
const objs = JSON.parse(text).identities;
console.log('parse', (performance.now() - t).toFixed(0), objs.length);
for (let r = 0; r < 3; r++) {
t = performance.now();
for (const o of objs) IdentitySchema.parse(o);
console.log('zod', (performance.now() - t).toFixed(0));
}
t = performance.now();
let n = 0; for (const o of objs) n += JSON.stringify(o).length;
console.log('stringify', (performance.now() - t).toFixed(0), n);
