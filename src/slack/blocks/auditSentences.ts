import type { AuditEntryView } from '../../domain/auditPages.js';
import { parsePublicId } from '../../domain/keyMaterial.js';
import { changesText, durationText, escapeText, isSlackUserId, keyLabel, slackDate, someOf } from '../format.js';
import { clip } from '../kit.js';

/**
 * The audit trail as sentences a person reads (README: Using /keys): "<@U…> rotated *gw* (`pk_…`)
 * → *gw-r2* (`pk_…`) …", "a phone registered +234… on *gw* …". Key names come from the keys
 * (`names`, by key id), everything someone typed is escaped, times are `<!date^…>`. An action
 * this file does not know still reads as a sentence, with its details.
 */

/** Names of the scheduled jobs and timers that write audit entries (`system:<name>`). */
const JOBS: Record<string, string> = {
  'key-rotation': 'the key-rotation job',
  'expire-rotated-keys': 'the rotation-expiry job',
  'reveal-expiry': 'the reveal timer',
};

/** Who made a change: a person's mention, an API token, a job, or a phone. */
export function actorText(actor: string): string {
  if (isSlackUserId(actor)) return `<@${actor}>`;
  const [kind, ...rest] = actor.split(':');
  const name = rest.join(':');
  if (kind === 'api' && name) return `API token *${escapeText(name)}*`;
  if (kind === 'system' && name) return JOBS[name] ?? `the ${escapeText(name)} job`;
  if (kind === 'phone' && name) return `a phone using \`${escapeText(name)}\``;
  return `\`${escapeText(actor)}\``;
}

type Names = ReadonlyMap<string, string>;

/** The words one entry's sentence is made of. */
class Words {
  constructor(
    readonly entry: AuditEntryView,
    private readonly names: Names,
  ) {}

  get who(): string {
    return actorText(this.entry.actor);
  }

  /** The key the entry is about: *name* (`pk_…`). */
  get key(): string {
    return this.entry.keyId ? this.keyById(this.entry.keyId) : 'a key';
  }

  /** A key its details name by public id (`successor`, `from`…). */
  keyIn(field: string): string {
    const value = this.entry.details[field];
    const keyId = typeof value === 'string' ? parsePublicId(value) : undefined;
    return keyId ? this.keyById(keyId) : 'another key';
  }

  get number(): string {
    return this.entry.phoneNumber ? escapeText(this.entry.phoneNumber) : 'a phone';
  }

  /** " on *gw* (`pk_…`)" after a phone number, when the entry names its key. */
  get ofKey(): string {
    return this.entry.keyId ? ` on ${this.key}` : '';
  }

  text(field: string): string | undefined {
    const value = this.entry.details[field];
    return typeof value === 'string' || typeof value === 'number' ? escapeText(String(value)) : undefined;
  }

  date(field: string): string | undefined {
    const value = this.entry.details[field];
    const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
    return date && !Number.isNaN(date.getTime()) ? slackDate(date) : undefined;
  }

  private keyById(keyId: string): string {
    return keyLabel({ keyId, name: this.names.get(keyId) ?? null });
  }
}

const after = (prefix: string, text: string | undefined) => (text ? `${prefix}${text}` : '');

/** An API token as its entries name it: *name* (`mk_…`). */
function tokenText(w: Words): string {
  const name = w.text('name');
  const id = w.text('token') ?? '?';
  return name ? `API token *${name}* (\`${id}\`)` : `API token \`${id}\``;
}

function lockText(w: Words): string {
  const entries = w.entry.details.entries;
  if (w.entry.details.mode === 'first') return `${w.who} locked ${w.key} to the first IP that uses it`;
  const list = Array.isArray(entries) ? entries.map((e) => `\`${escapeText(String(e))}\``) : [];
  return `${w.who} locked ${w.key} to ${someOf(list, 5, 'no address')}`;
}

const SENTENCES: Record<string, (w: Words) => string> = {
  'key.created': (w) => `${w.who} created ${w.key}${w.entry.details.environment === 'test' ? ', a test key' : ''}`,
  'key.created_by_rotation': (w) => `${w.who} created ${w.key} to replace ${w.keyIn('rotatedFrom')}`,
  'key.rotated': (w) => `${w.who} rotated ${w.key} → ${w.keyIn('successor')}${after('; the old key works until ', w.date('graceEndsAt'))}`,
  'key.rotation_cancelled': (w) =>
    `${w.who} deleted ${w.keyIn('successor')}, which replaced ${w.key}: the rotation is cancelled and the old key is active again`,
  'key.rotation_handed_on': (w) =>
    `${w.who} deleted ${w.keyIn('successor')}, which replaced ${w.key}: the old key now hands over to ${w.keyIn('now')}`,
  'key.rotation_due': (w) => {
    const created = w.date('createdAt');
    return `${w.who} flagged ${w.key} for rotation${created ? ` (created ${created})` : ''}`;
  },
  'key.revoked': (w) =>
    w.entry.details.reason === 'deleted' || w.entry.details.reason === undefined
      ? `${w.who} deleted ${w.key}`
      : `${w.who} revoked ${w.key}: ${w.text('reason')}`,
  'key.edited': (w) => {
    const changes = w.entry.details.changes;
    const what = changes && typeof changes === 'object' ? changesText(changes as Record<string, { from: unknown; to: unknown }>) : '';
    return `${w.who} edited ${w.key}${what ? `: ${clip(what, 400)}` : ''}`;
  },
  'key.locked': lockText,
  'key.unlocked': (w) => `${w.who} unlocked ${w.key}: any IP may use it`,
  'key.ip_locked_on_first_use': (w) => `${w.key} locked itself to \`${w.text('ip') ?? '?'}\`, the first IP a phone used it from`,
  'key.revealed': (w) => `${w.who} received ${w.key} by DM (shown once)`,
  'key.reveal_redacted': (w) => `${w.who} hid the DM that revealed ${w.key}`,
  'token.created': (w) => `${w.who} created ${tokenText(w)}${after(', scope ', w.text('scope'))}`,
  'token.revoked': (w) => `${w.who} revoked ${tokenText(w)}`,
  'token.revealed': (w) => `${w.who} received ${tokenText(w)} by DM (shown once)`,
  'token.reveal_redacted': (w) => `${w.who} hid the DM that revealed ${tokenText(w)}`,
  'phone.linked': (w) => {
    const moved = w.entry.details.from ? `, taking it from ${w.keyIn('from')}` : '';
    return w.entry.actor.startsWith('phone:')
      ? `a phone registered ${w.number} on ${w.key}${moved}`
      : `${w.who} linked ${w.number} to ${w.key}${moved}`;
  },
  'phone.unlinked': (w) => `${w.who} unlinked ${w.number} from ${w.key}`,
  'phone.paused': (w) => {
    const minutes = w.entry.details.minutes;
    const length = typeof minutes === 'number' ? ` for ${durationText(minutes * 60_000)}` : '';
    return `${w.who} paused the alerts of ${w.number}${w.ofKey}${length}${after(', until ', w.date('until'))}`;
  },
  'phone.resumed': (w) => `${w.who} resumed the alerts of ${w.number}${w.ofKey}`,
  'alert.acknowledged': (w) =>
    w.entry.phoneNumber ? `${w.who} acknowledged the alert about ${w.number}${w.ofKey}` : `${w.who} acknowledged an alert`,
};

/** An action this file does not know: who, the action's name, what it was about, its details. */
function genericSentence(w: Words): string {
  const about = [w.entry.keyId ? w.key : '', w.entry.phoneNumber ? w.number : ''].filter(Boolean).join(', ');
  return `${w.who}: ${escapeText(w.entry.action)}${about ? ` on ${about}` : ''}${detailsText(w.entry.details)}`;
}

function detailsText(details: Record<string, unknown>): string {
  const parts = Object.entries(details)
    .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => {
      const value =
        v instanceof Date ? v.toISOString() : Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? JSON.stringify(v) : String(v);
      return `${k}: ${value}`;
    });
  return parts.length ? ` (${clip(escapeText(parts.join('; ')), 300)})` : '';
}

/** One entry as a sentence, without its time. */
export function auditSentence(entry: AuditEntryView, names: Names): string {
  const words = new Words(entry, names);
  return (SENTENCES[entry.action] ?? genericSentence)(words);
}

/** One entry's line: its time, then its sentence. */
export const auditLine = (entry: AuditEntryView, names: Names): string => `${slackDate(entry.at)} · ${auditSentence(entry, names)}`;

/**
 * A run of automatic phone links/unlinks (newest first) as one line: "12 phones registered on
 * *gw* (`pk_…`) between … and …: +234…, … and 9 more"; a run over several keys says how many each.
 */
export function phoneRunLine(entries: AuditEntryView[], names: Names): string {
  const parts = new Map<string, { action: string; keyId: string | null; numbers: string[]; moved: number }>();
  for (const entry of entries) {
    const id = `${entry.action} ${entry.keyId}`;
    const part = parts.get(id) ?? { action: entry.action, keyId: entry.keyId, numbers: [], moved: 0 };
    part.numbers.push(escapeText(entry.phoneNumber ?? '?'));
    if (entry.action === 'phone.linked' && entry.details.from) part.moved += 1;
    parts.set(id, part);
  }
  const newest = entries[0]!.at;
  const oldest = entries[entries.length - 1]!.at;
  const between = `between ${slackDate(oldest)} and ${slackDate(newest)}`;
  const partText = (part: { action: string; keyId: string | null; numbers: string[]; moved: number }, noun: string) => {
    const key = part.keyId ? keyLabel({ keyId: part.keyId, name: names.get(part.keyId) ?? null }) : 'no key';
    const verb = part.action === 'phone.linked' ? 'registered on' : 'unlinked from';
    const moved = part.moved ? ` (${part.moved} moved from other keys)` : '';
    return `${part.numbers.length}${noun} ${verb} ${key}${moved}`;
  };
  const all = [...parts.values()];
  if (all.length === 1) {
    const part = all[0]!;
    return `:iphone: ${partText(part, ' phones')} ${between}: ${someOf(part.numbers, 5)}`;
  }
  return `:iphone: ${entries.length} phone changes ${between}: ${someOf(
    all.map((part) => partText(part, '')),
    5,
  )}`;
}
