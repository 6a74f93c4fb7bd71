/** Test helper: a plugin whose one surface is a PostgreSQL CDC output named `pg-sink`. */
import { definePlugin } from '@baton/core';
import type { PluginDefinition } from '@baton/core';
import { postgresCdcOutput } from '../sink/postgresCdcOutput.js';

/** Version `version` of the `pg-sink` plugin, writing into the database at `sinkUrl`. */
export function sinkPlugin(sinkUrl: string, version: string): PluginDefinition {
  return definePlugin({
    name: 'pg-sink',
    version,
    register(r) {
      r.cdcOutput(postgresCdcOutput({ name: 'pg-sink', url: sinkUrl }));
    },
  });
}
