// The pool's heatmap as the portal draws it, one square per node coloured by state: for the
// terminal (rows of coloured blocks and a legend) and, through the same categories, for the web
// page. Pure: the nodes come from src/activities/batch/nodes.ts.

/** Batch's node states, grouped as a person reads the heatmap. */
export type NodeCategory = 'starting' | 'idle' | 'running' | 'failed' | 'preempted' | 'other';

export interface CategoryStyle {
  label: string;
  /** Distinct without colour too (NO_COLOR, a log). */
  glyph: string;
  /** SGR colour code for the terminal. */
  ansi: number;
  /** Colour of the square on the web page. */
  css: string;
}

/** In legend order. */
export const NODE_CATEGORIES: Record<NodeCategory, CategoryStyle> = {
  running: { label: 'running', glyph: '█', ansi: 36, css: '#1f9bd1' },
  idle: { label: 'idle', glyph: '▒', ansi: 32, css: '#3fae49' },
  starting: { label: 'starting', glyph: '░', ansi: 33, css: '#e0b400' },
  preempted: { label: 'preempted', glyph: '▼', ansi: 35, css: '#b04ad0' },
  failed: { label: 'start task failed', glyph: '✖', ansi: 31, css: '#d93a3a' },
  other: { label: 'other', glyph: '·', ansi: 90, css: '#8a8f98' },
};

const BY_STATE: Record<string, NodeCategory> = {
  running: 'running',
  idle: 'idle',
  creating: 'starting',
  starting: 'starting',
  waitingforstarttask: 'starting',
  rebooting: 'starting',
  reimaging: 'starting',
  upgradingos: 'starting',
  preempted: 'preempted',
  starttaskfailed: 'failed',
  unusable: 'failed',
};

/** The category of a Batch node state (any case). */
export function nodeCategory(state: string): NodeCategory {
  return BY_STATE[state.toLowerCase()] ?? 'other';
}

/** Nodes per category, in legend order, categories without nodes left out. */
export function categoryCounts(nodes: readonly { state: string }[]): Array<[NodeCategory, number]> {
  const counts = new Map<NodeCategory, number>();
  for (const node of nodes) {
    const category = nodeCategory(node.state);
    counts.set(category, (counts.get(category) ?? 0) + 1);
  }
  return (Object.keys(NODE_CATEGORIES) as NodeCategory[]).flatMap((c) =>
    counts.has(c) ? [[c, counts.get(c)!] as [NodeCategory, number]] : [],
  );
}

function square(category: NodeCategory, colour: boolean): string {
  const { glyph, ansi } = NODE_CATEGORIES[category];
  return colour ? `\u001b[${ansi}m${glyph}\u001b[0m` : glyph;
}

export interface HeatmapOptions {
  colour: boolean;
  /** The terminal's width: no line is longer, so redrawing in place never wraps. */
  width: number;
  /** Rows of squares at most; the rest is counted on the last row. */
  maxRows?: number;
}

const PREFIX = 'nodes ';

/**
 * The heatmap under the progress line: rows of one square per node (sorted as given), then a
 * legend with the count of each state. No lines for a pool without nodes.
 */
export function heatmapLines(
  nodes: readonly { state: string }[],
  options: HeatmapOptions,
): string[] {
  if (nodes.length === 0) return [];
  const perRow = Math.max(10, options.width - 1 - PREFIX.length);
  const maxRows = options.maxRows ?? 6;
  const lines: string[] = [];
  for (let start = 0; start < nodes.length && lines.length < maxRows; start += perRow) {
    const row = nodes.slice(start, start + perRow);
    const last = lines.length === maxRows - 1 && start + perRow < nodes.length;
    const shown = last ? row.slice(0, perRow - 12) : row;
    const more = last ? ` +${nodes.length - start - shown.length} more` : '';
    lines.push(
      (start === 0 ? PREFIX : ' '.repeat(PREFIX.length)) +
        shown.map((n) => square(nodeCategory(n.state), options.colour)).join('') +
        more,
    );
  }
  lines.push(legend(nodes, options.colour));
  return lines;
}

/** "10 nodes: █ 6 running  ▒ 4 idle", each glyph in its colour. */
export function legend(nodes: readonly { state: string }[], colour: boolean): string {
  const entries = categoryCounts(nodes).map(
    ([category, count]) =>
      `${square(category, colour)} ${count} ${NODE_CATEGORIES[category].label}`,
  );
  return `${' '.repeat(PREFIX.length)}${nodes.length} node${nodes.length === 1 ? '' : 's'}: ${entries.join('  ')}`;
}
