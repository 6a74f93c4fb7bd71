import { FORWARD_SEQ, ROLLBACK_SEQ } from '../rollout/rolloutState.js';
import type { FleetStatus, RolloutProgress } from './fleetStatus.js';

const bar = (done: number, total: number, width: number): string => {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
};

const ms = (n: number | undefined): string => (n === undefined ? '-' : `${n.toFixed(n < 10 ? 2 : 1)} ms`);

/** The lines of one rollout: what it does, a progress bar, and each member's commands. */
function rolloutLines(p: RolloutProgress, width: number): string[] {
  const r = p.rollout;
  const lines = [
    `rollout ${r.id}  ${r.plugin} ${r.fromVersion} → ${r.toVersion} (${r.action})  ${r.state.toUpperCase()}  ${r.phase}`,
    `  ${bar(p.moved, p.planned, width)} ${p.moved}/${p.planned} members moved · step ${p.stepsDone}/${r.plan.length} done` +
      (p.rolledBack > 0 ? ` · ${p.rolledBack} rolled back` : ''),
  ];
  if (r.haltedReason) lines.push(`  halted: ${JSON.stringify(r.haltedReason)}`);
  r.plan.forEach((step, i) => {
    const parts = step.map((member) => {
      const mine = p.commands.filter((c) => c.memberId === member);
      const forward = mine.find((c) => c.seq === FORWARD_SEQ);
      const back = mine.find((c) => c.seq === ROLLBACK_SEQ);
      const result = forward?.result;
      const pause = result?.outcome === 'done' ? ` pause ${ms(result.timings?.pauseMs)}` : '';
      const error = result?.outcome === 'failed' ? ` ${result.error.code}` : '';
      return `${member} ${forward?.state ?? 'waiting'}${pause}${error}${back ? `, rollback ${back.state}` : ''}`;
    });
    lines.push(`  ${i === 0 ? 'canary' : `step ${i + 1}`}: ${parts.join(' · ')}`);
  });
  return lines;
}

/**
 * The fleet's status as text: the latest rollouts with a progress bar each (`width` characters),
 * their members' commands, then every member: version, liveness, heartbeat age and figures.
 */
export function formatFleetStatus(status: FleetStatus, width = 24): string[] {
  const lines: string[] = [];
  if (status.rollouts.length === 0) lines.push('no rollout yet');
  for (const p of status.rollouts) lines.push(...rolloutLines(p, width), '');
  lines.push(`members (${status.members.filter((m) => m.live).length} live of ${status.members.length})`);
  for (const m of status.members) {
    const age = (status.now.getTime() - m.heartbeatAt.getTime()) / 1000;
    const f = m.figures;
    lines.push(
      `  ${m.id}  ${m.plugin} ${m.version ?? '-'}  ${m.leftAt ? 'left' : m.live ? 'live' : 'LOST'}  ` +
        `heartbeat ${age.toFixed(1)} s ago  calls ${f.calls} · failed ${f.failedCalls} · refused ${f.refusals} · ` +
        `last pause ${ms(f.lastPauseMs)} · CDC lag ${ms(f.cdcLagMs)}`,
    );
  }
  return lines;
}
