import { postgresServer } from '@baton/postgres';
import { runScenario } from './fleetTrials.js';
const t0 = performance.now();
const server = await postgresServer({ postgresFlags: ['-c', 'fsync=off', '-c', 'full_page_writes=off'] });
console.log('server', Math.round(performance.now() - t0));
try {
  const r = await runScenario(server, (process.argv[2] ?? 'memberKilled') as 'memberKilled', {
    onLine: (who, l) => {
      if (!['figures', 'text'].includes(l.event))
        console.log(Math.round(l.at - t0), who, JSON.stringify(l).slice(0, 220));
    },
  });
  console.log(r.failures, Math.round(r.wallMs));
} finally {
  await server.stop();
}
