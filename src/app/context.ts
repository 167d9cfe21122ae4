/** What every use case is handed: the store, the clock, and who is acting. */
import type { Store } from '../store/connect.js';
import type { CaseDeskConfig } from './cases/config.js';

/** The clock is injected; nothing below the edge reads `Date.now()` itself. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private currentMs: number) {}
  nowMs(): number {
    return this.currentMs;
  }
  set(ms: number): void {
    this.currentMs = ms;
  }
  advance(durationMs: number): void {
    this.currentMs += durationMs;
  }
}

export type StaffRole = 'agent' | 'approver' | 'admin';

export type Actor =
  | { readonly kind: 'customer'; readonly id: string }
  | { readonly kind: 'staff'; readonly id: string; readonly role: StaffRole }
  | { readonly kind: 'api_key'; readonly id: string; readonly scopes: readonly string[] }
  | { readonly kind: 'system'; readonly id: string };

/** Where a change came from, for the audit log. */
export interface Origin {
  readonly actor: Actor;
  readonly ip: string | null;
}

export const SYSTEM_ORIGIN: Origin = { actor: { kind: 'system', id: 'refund-desk' }, ip: null };

export interface AppContext {
  readonly store: Store;
  readonly clock: Clock;
}

/** Outgoing mail. The embedded default writes messages to an outbox folder. */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** Where replies go (case mail: an address that names the case, see app/notify). */
  readonly replyTo?: string;
}

/** Case mail and timers (app/notify, app/timers); defaults when absent. */
export interface NotifySettings {
  /**
   * Reply-To of case mail; `{caseId}` becomes the case's id, e.g. `refunds+{caseId}@desk.example`
   * (a plus address the mail provider's inbound webhook hands back with the reply).
   */
  readonly replyTo?: string;
  /** A case still open after this many business days gets a progress update, and again every as many. */
  readonly progressUpdateBusinessDays?: number;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** Everything the case desk's use cases need, assembled once at start. */
export interface DeskDeps extends AppContext {
  /**
   * Where earlier versions wrote evidence files (outside any served folder, under generated
   * names): read only, for rows without `content`. New evidence bytes live in the database.
   */
  readonly evidenceDir: string;
  readonly mailer: Mailer;
  /** Base URL people reach the desk at, for links in mail (e.g. http://127.0.0.1:3000). */
  readonly publicUrl: string;
  /** Shared secret (HS256) of a host platform that signs customer tokens; none: disabled. */
  readonly hostTokenSecret?: string;
  /** The case desk's business calendar and second-approval amounts; defaults: cases/config.ts. */
  readonly cases?: CaseDeskConfig;
  /** Case mail and timers; defaults when absent (app/notify/settings.ts). */
  readonly notify?: NotifySettings;
}
