// Host services for `baton inspect` of the geo-search plugins. Their register() resolves
// `baton.example.env` (what src/engine/engine.ts registers on the host's container); inspect only
// runs register() and the compat checks, so an engine without PostgreSQL and DuckDB stands in: the
// plugins then register their file CDC output and memory storage under the same keys.
//
//   npx baton inspect <v2-artifact> --against <v1-artifact> --trust <key.pub> \
//     --services examples/plugins/inspect-services.js
import { MemoryStore } from '@baton/kinds';

/** Registers what the plugins resolve, on the container `baton inspect` passes. */
export default function registerServices(container, { directory }) {
  container.register('baton.example.env', {
    useValue: {
      dataDirectory: directory, // a scratch directory inspect removes afterwards
      store: new MemoryStore(),
    },
  });
}
