/**
 * Settings of case mail and timers (DeskDeps.notify), with their defaults, and how a reply to
 * case mail is matched to its case.
 *
 * Every case email carries the case id twice, so a reply can be matched whatever the customer's
 * mail program keeps: in the subject (`[case rr_…]`, kept by "Re:") and, when a Reply-To
 * template is configured, in the reply address (`refunds+rr_…@desk.example`: a plus address the
 * mail provider's inbound webhook hands back as the recipient). `caseIdOfReply` reads it back.
 */
import type { DeskDeps, NotifySettings } from '../context.js';

/** Defaults: a progress update after 5 business days, then every 5; no Reply-To. */
export const DEFAULT_PROGRESS_UPDATE_BUSINESS_DAYS = 5;

export interface ResolvedNotifySettings {
  readonly replyTo: string | null;
  readonly progressUpdateBusinessDays: number;
}

export const CASE_ID_PLACEHOLDER = '{caseId}';
const CASE_ID = /\brr_[0-9a-z]{10}[0-9a-f]{16}\b/;

export function notifySettingsOf(deps: {
  readonly notify?: NotifySettings;
}): ResolvedNotifySettings {
  const days = deps.notify?.progressUpdateBusinessDays ?? DEFAULT_PROGRESS_UPDATE_BUSINESS_DAYS;
  if (!Number.isSafeInteger(days) || days < 1 || days > 365) {
    throw new RangeError('progressUpdateBusinessDays must be an integer 1..365');
  }
  return { replyTo: deps.notify?.replyTo ?? null, progressUpdateBusinessDays: days };
}

/** The Reply-To address of a case's mail, or undefined when none is configured. */
export function replyToOf(deps: Pick<DeskDeps, 'notify'>, caseId: string): string | undefined {
  const template = notifySettingsOf(deps).replyTo;
  return template === null ? undefined : template.split(CASE_ID_PLACEHOLDER).join(caseId);
}

/** The subject tag that names the case: `[case rr_…]`. */
export function caseTag(caseId: string): string {
  return `[case ${caseId}]`;
}

/**
 * The case a reply is about: the case id in the recipient address (plus address) or else in the
 * subject; undefined when neither names one.
 */
export function caseIdOfReply(reply: {
  readonly to: readonly string[];
  readonly subject: string;
}): string | undefined {
  for (const address of reply.to) {
    const found = CASE_ID.exec(address);
    if (found !== null) return found[0];
  }
  return CASE_ID.exec(reply.subject)?.[0];
}
