/**
 * The plugin the fleet trials roll out (`fleet-trial`), built as signed bundled artifacts (what
 * `baton sign --bundle` makes): a scalar function `score` the members' clients call, the G-Counter
 * CRDT kind whose states the members exchange through PostgreSQL, and a fenced PostgreSQL CDC output.
 *
 * - `1.0.0` writes g-counter format 1 (and reads only format 1).
 * - `2.0.0` writes format 2 — except while the fleet's format phase is `mixed`, when it keeps writing
 *   format 1 (the host service `baton.fleet.formats`, Kafka's two-step upgrade), so 1.0.0 members
 *   still read its states; it reads both formats.
 * - `2.1.0` is 2.0.0 whose `register()` throws on member `m3`: a version that fails on process 3.
 *
 * Every member gives the plugin its environment as the host service {@link TRIAL_ENV}.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundlePluginDirectory } from '@baton/core/loader';
import { FLEET_FORMATS } from '@baton/fleet';

/** The plugin's name. */
export const TRIAL_PLUGIN = 'fleet-trial';
/** The host-service token of the member's {@link TrialEnv}. */
export const TRIAL_ENV = 'baton.fleet-trial.env';
/** The key of the plugin's scalar function. */
export const SCORE_FUNCTION = 'score';
/** The key of the plugin's CRDT kind (the members' exchanged state). */
export const CRDT_KIND = 'g-counter';
/** The key of the plugin's CDC output (the fenced PostgreSQL sink). */
export const SINK_OUTPUT = 'fleet-sink';

/** What a member gives the plugin (host service {@link TRIAL_ENV}). */
export interface TrialEnv {
  readonly memberId: string;
  /** The sink's database (it also holds the lease table). */
  readonly sinkUrl: string;
  /** The sink's output name in its tables. */
  readonly output: string;
  /** The CDC stream's lease (its row's key, and where the lease table is). */
  readonly stream: string;
  readonly leaseSchema: string;
  readonly leaseTable: string;
  /** The member's current lease token (read at each start of the sink writer). */
  readonly leaseToken: () => bigint;
}

/** The versions the trials build; `failOn` makes `register()` throw on that member. */
interface VersionSpec {
  readonly version: string;
  readonly format: 1 | 2;
  readonly failOn?: string;
}

const VERSIONS: readonly VersionSpec[] = [
  { version: '1.0.0', format: 1 },
  { version: '2.0.0', format: 2 },
  { version: '2.1.0', format: 2, failOn: 'm3' },
];

/** Modules the members share with the bundles (`loadPluginVersion`'s `shared`). */
const SHARED_MODULES = ['@baton/kinds', '@baton/postgres', 'apache-arrow'] as const;

/** The plugin module of one version (JavaScript, bundled by esbuild). */
function moduleSource(spec: VersionSpec): string {
  const crdt =
    spec.format === 1
      ? 'gCounter()'
      : // Phase `mixed`: the fleet's FleetFormats service pins the format 1.0.0 writes (its token written
        // in, so the plugin does not import @baton/fleet); without the service (no fleet) it writes format 2.
        `(r.scope.isRegistered(${JSON.stringify(FLEET_FORMATS)}, true)
          ? r.scope.resolve(${JSON.stringify(FLEET_FORMATS)}).forPlugin(r.plugin).crdtKind(gCounter({ format: 2 }), (format) => gCounter({ format }))
          : gCounter({ format: 2 }))`;
  const fail =
    spec.failOn === undefined
      ? ''
      : `if (env.memberId === ${JSON.stringify(spec.failOn)})
      throw new Error('${TRIAL_PLUGIN} ${spec.version} cannot start on member ' + env.memberId + ' (the trial\\'s failing version)');`;
  return `import { definePlugin } from '@baton/core';
import { gCounter } from '@baton/kinds';
import { postgresCdcOutput } from '@baton/postgres';
import { Int32, makeVector } from 'apache-arrow';

/** score(x) = 2x + 1, the same in every version (the clients check each answer). */
function score() {
  return {
    name: ${JSON.stringify(SCORE_FUNCTION)},
    returnType: new Int32(),
    invoke: async (args) => {
      const input = args[0];
      const out = new Int32Array(input.length);
      for (let i = 0; i < input.length; i++) out[i] = 2 * input.get(i) + 1;
      return makeVector(out);
    },
  };
}

export default definePlugin({
  name: ${JSON.stringify(TRIAL_PLUGIN)},
  version: ${JSON.stringify(spec.version)},
  register(r) {
    const env = r.scope.resolve(${JSON.stringify(TRIAL_ENV)});
    ${fail}
    r.scalarFunction(score());
    r.crdtKind(${crdt});
    r.cdcOutput(
      postgresCdcOutput({
        name: ${JSON.stringify(SINK_OUTPUT)},
        url: env.sinkUrl,
        output: env.output,
        fence: { stream: env.stream, schema: env.leaseSchema, table: env.leaseTable, token: () => env.leaseToken(), idleInTransactionTimeoutMs: 2000 },
      }),
    );
  },
});
`;
}

/** Where each version's signed artifact is (version → directory). */
export type TrialArtifacts = Readonly<Record<string, string>>;

/**
 * Writes each version's source under `root/src-<version>`, bundles and signs it into
 * `root/<version>` with `privateKeyPem`; returns version → artifact directory.
 */
export async function buildTrialArtifacts(root: string, privateKeyPem: string): Promise<TrialArtifacts> {
  const out: Record<string, string> = {};
  for (const spec of VERSIONS) {
    const source = join(root, `src-${spec.version}`);
    await mkdir(source, { recursive: true });
    await writeFile(join(source, 'index.js'), moduleSource(spec));
    await writeFile(
      join(source, 'baton-plugin.json'),
      JSON.stringify({
        name: TRIAL_PLUGIN,
        version: spec.version,
        entry: 'index.js',
        surfaces: [
          { kind: 'scalarFunction', key: SCORE_FUNCTION },
          { kind: 'crdtKind', key: CRDT_KIND },
          { kind: 'cdcOutput', key: SINK_OUTPUT },
        ],
      }),
    );
    const dir = join(root, spec.version);
    await bundlePluginDirectory(source, dir, { privateKeyPem, external: [...SHARED_MODULES] });
    out[spec.version] = dir;
  }
  return out;
}
