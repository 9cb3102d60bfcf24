/** One line of the bench's table. `met`: yes / no, n/a (cannot be judged here), '' (no target). */
export interface Row {
  metric: string;
  value: string;
  target: string;
  met: 'yes' | 'no' | 'n/a' | '';
}

const WIDTHS = { metric: 46, value: 72, target: 14, met: 4 };

/** A plain-text table; long cells wrap at word boundaries. */
export function formatTable(rows: Row[]): string {
  const header: Row = { metric: 'metric', value: 'value', target: 'target', met: 'met' as Row['met'] };
  const columns = Object.keys(WIDTHS) as (keyof Row)[];
  const rule = columns.map((c) => '-'.repeat(WIDTHS[c])).join('-+-');
  const lines: string[] = [];
  for (const [index, row] of [header, ...rows].entries()) {
    const cells = columns.map((c) => wrap(row[c], WIDTHS[c]));
    const height = Math.max(...cells.map((cell) => cell.length));
    for (let i = 0; i < height; i++)
      lines.push(
        columns
          .map((c, j) => (cells[j]![i] ?? '').padEnd(WIDTHS[c]))
          .join(' | ')
          .trimEnd(),
      );
    if (index === 0) lines.push(rule);
  }
  return lines.join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines;
}
