/** Child process of `npm run fuzz`: fuzzes one decoder target, printing a heartbeat and then its result. */
import { decoderTargets } from './decoderTargets.js';
import { fuzzTarget } from './fuzzTarget.js';

const [name, inputs, seed] = [process.argv[2]!, Number(process.argv[3] ?? 1000), Number(process.argv[4] ?? 1)];
const target = (await decoderTargets()).find((t) => t.name === name);
if (!target) throw new Error(`no decoder target '${name}'`);
const result = await fuzzTarget(target, Math.min(inputs, target.maxInputs ?? inputs), {
  seed,
  onProgress: (done) => process.stdout.write(`progress ${done}\n`),
});
process.stdout.write(`result ${JSON.stringify(result)}\n`);
