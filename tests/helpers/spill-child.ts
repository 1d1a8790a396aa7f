// Spills one record, says where, and waits to be signalled (tests/engine/spill.test.ts).
import { SpillFolder, SpillWriter } from '../../src/engine/spill.js';

const writer = new SpillWriter<{ id: string }>(new SpillFolder(), 'rows.jsonl');
writer.write({ id: 'a' });
writer.finish(true);
process.stdout.write('spilled\n');
setInterval(() => undefined, 1000);
