/** Reads Prometheus text exposition (what GET /metrics answers) into samples a test can compare. */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Every sample line (comments skipped). Label values are unescaped. */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/**
 * The samples of one metric as `{ "<label values joined by |>": value }`, label values in
 * the order given, e.g. byLabels(samples, 'phonekeys_webhook_requests_total', ['type', 'status'])
 * → `{ 'phone.heartbeat|202': 5, … }`. Samples with other label names than these count too
 * (their missing labels are empty), so nothing unexpected hides.
 */
export function byLabels(samples: Sample[], name: string, labelNames: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const sample of samples) {
    if (sample.name !== name) continue;
    out[labelNames.map((l) => sample.labels[l] ?? '').join('|')] = sample.value;
  }
  return out;
}

/** The single value of a metric with exactly these labels; undefined if absent. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

export async function scrape(baseUrl: string): Promise<{ status: number; contentType: string | null; samples: Sample[]; text: string }> {
  const res = await fetch(`${baseUrl}/metrics`);
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type'), samples: parsePrometheus(text), text };
}
