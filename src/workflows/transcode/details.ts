// The run as Markdown for the Web UI's "Current Details": phase, task counts, failures and
// the pool's nodes, refreshed at every poll.
import { failureReason, inspectionText, usageText, type Progress } from '../../transcode';

const MAX_FAILURES_SHOWN = 10;

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 160);
}

export function renderDetails(p: Progress): string {
  const c = p.tasks.counts;
  const lines = [
    `**Phase:** ${p.phase} · **status:** ${p.status}`,
    '',
    `**Files:** ${p.files}${p.reused ? ` (${p.reused} reused)` : ''} · **pool:** \`${p.pool.id}\` (${p.pool.allocationState ?? 'not created'}) · **job:** \`${p.job.id}\``,
    '',
    '| tasks | active | running | succeeded | failed | completed |',
    '| --- | --- | --- | --- | --- | --- |',
    `| ${p.tasks.total} | ${c.active} | ${c.running} | ${c.succeeded} | ${c.failed} | ${c.completed} |`,
  ];
  const seen = p.inspection && inspectionText(p.inspection);
  if (seen) lines.push('', `**Input folder:** ${seen.replace(/\s+/g, ' ')}`);
  const nodes = Object.entries(p.pool.nodeStates);
  if (nodes.length > 0) {
    lines.push(
      '',
      `**Nodes** (when the pool was last checked): ${nodes.map(([state, n]) => `${n} ${state}`).join(', ')}`,
    );
  }
  if (p.pool.targetNodes !== undefined) {
    lines.push('', `**Pool target:** ${p.pool.targetNodes} node(s)`);
  }
  if (p.usage) lines.push('', `**Cost:** ${usageText(p.usage)} (as of ${p.usage.asOf})`);
  if (p.failures.length > 0) {
    lines.push('', '| failed task | file | exit | reason |', '| --- | --- | --- | --- |');
    for (const f of p.failures.slice(0, MAX_FAILURES_SHOWN)) {
      const reason = failureReason(f);
      lines.push(`| ${f.taskId} | ${cell(f.inputBlob)} | ${f.exitCode ?? '-'} | ${cell(reason)} |`);
    }
    if (p.failures.length > MAX_FAILURES_SHOWN) {
      lines.push('', `…and ${p.failures.length - MAX_FAILURES_SHOWN} more failed task(s).`);
    }
  }
  if (p.phase === 'awaiting-cleanup-decision') {
    lines.push(
      '',
      `**Cleanup decision needed** before ${p.cleanup.decisionDeadline}: send the \`approveCleanup\` signal ` +
        '(e.g. `{"deleteJob":true,"deletePool":true}`).',
    );
  }
  for (const rejected of p.rejectedMessages ?? []) {
    lines.push('', `**Rejected \`${rejected.name}\`** (changed nothing): ${cell(rejected.reason)}`);
  }
  if (p.waitingFor) lines.push('', `**Waiting** for ${cell(p.waitingFor)}`);
  if (p.cancelReason) lines.push('', `**Cancelled:** ${p.cancelReason}`);
  if (p.error) lines.push('', `**Error:** ${cell(p.error)}`);
  lines.push(
    '',
    `_Polls: ${p.polls} · continued as new: ${p.continuedAsNew} · updated ${p.updatedAt}_`,
  );
  return lines.join('\n');
}
