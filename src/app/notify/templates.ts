/**
 * The texts of case mail: received, information needed (with the questions), decided (outcome,
 * amount and the reasons in plain words, from `engine/explain.ts`), and progress update. Plain
 * functions of the facts they are given: no I/O, no clock. Every subject ends with the case tag
 * (`[case rr_…]`) so a reply can be matched to its case.
 */
import type { CaseState } from '../../domain/case-state.js';
import { formatMoney } from '../../domain/money.js';
import { formatInstant } from '../../domain/time.js';
import type { Decision, Explanation } from '../../engine/index.js';
import { caseTag } from './settings.js';

/** Bounds on what goes into one message. */
export const TEMPLATE_LIMITS = { maxQuestions: 20, maxLineChars: 2_000 } as const;

export interface CaseMailFacts {
  readonly caseId: string;
  readonly orderId: string;
  readonly customerName: string;
  readonly submittedAtMs: number;
  /** Base URL of the desk, for the link to the case. */
  readonly publicUrl: string;
}

export interface ComposedMail {
  readonly subject: string;
  readonly text: string;
}

/** Where a case stands, in words a customer reads. */
export const STATE_IN_WORDS: { readonly [S in CaseState]: string } = {
  submitted: 'received',
  awaiting_customer: 'waiting for information from you',
  awaiting_kyc: 'waiting for identity verification',
  in_review: 'in technical review',
  awaiting_approval: 'approved by a reviewer and awaiting a second approval',
  pending_remediation: 'waiting for the remediation window of your report to close',
  approved: 'approved',
  prorata_offered: 'offered a pro-rata refund or a service extension',
  denied: 'denied',
  withdrawn: 'withdrawn',
  payout_pending: 'approved; the refund is being paid',
  paid: 'paid',
  payout_failed: 'approved; the payment of the refund needs attention',
  extension_pending: 'approved as a service extension, being applied',
  extension_granted: 'closed with a service extension',
  extension_failed: 'approved as a service extension that needs attention',
};

function clip(line: string): string {
  const flat = line.replace(/\s+/g, ' ').trim();
  return flat.length <= TEMPLATE_LIMITS.maxLineChars
    ? flat
    : `${flat.slice(0, TEMPLATE_LIMITS.maxLineChars - 1)}…`;
}

function dateOf(ms: number): string {
  return `${formatInstant(ms).slice(0, 16).replace('T', ' ')} UTC`;
}

function greeting(facts: CaseMailFacts): string {
  const name = clip(facts.customerName);
  return name === '' ? 'Hello,' : `Hello ${name},`;
}

function caseLink(facts: CaseMailFacts): string {
  return `${facts.publicUrl.replace(/\/+$/, '')}/requests/${facts.caseId}`;
}

function footer(facts: CaseMailFacts): string[] {
  return [
    `You can follow your case at ${caseLink(facts)}.`,
    `To add information, reply to this email and keep ${caseTag(facts.caseId)} in the subject.`,
    '',
    'Refund Desk',
  ];
}

function subjectOf(facts: CaseMailFacts, what: string): string {
  return `${what} ${caseTag(facts.caseId)}`;
}

function message(facts: CaseMailFacts, what: string, body: readonly string[]): ComposedMail {
  const text = [greeting(facts), '', ...body, '', ...footer(facts)].join('\n');
  return { subject: subjectOf(facts, what), text: `${text}\n` };
}

/** What the decision means for the customer, with the amount. */
export function outcomeInWords(decision: Decision): string {
  const amount = formatMoney(decision.refundCents, decision.currency);
  switch (decision.outcome) {
    case 'full_refund':
      return `Your refund of ${amount} is approved. It is paid back to your original payment method.`;
    case 'prorata':
      return (
        `You are offered a pro-rata refund of ${amount}, or instead a service extension of ` +
        `${decision.extensionDays} day${decision.extensionDays === 1 ? '' : 's'}. Choose one on the case page.`
      );
    case 'pending':
      return decision.decidableAt === null
        ? 'Your case waits for the remediation window of your report to close.'
        : `Your case waits for the remediation window of your report to close; it is decided again on ${dateOf(Date.parse(decision.decidableAt))}.`;
    case 'manual_review':
      return 'Your case needs a technical review by our team.';
    case 'denied':
      return 'We cannot refund this order.';
  }
}

function reasonLines(explanation: Explanation): string[] {
  if (explanation.reasons.length === 0) return [];
  return [
    'Why:',
    ...explanation.reasons.map((reason) =>
      clip(
        `- ${reason.message}${reason.clauseTitle === '' ? '' : ` (policy: ${reason.clauseTitle})`}`,
      ),
    ),
  ];
}

/** States a decision puts a case in (a "decided" email follows). */
export const DECIDED_STATES: ReadonlySet<CaseState> = new Set([
  'approved',
  'prorata_offered',
  'denied',
]);

export function receivedMail(
  facts: CaseMailFacts,
  state: CaseState,
  decided?: { readonly decision: Decision; readonly explanation: Explanation },
): ComposedMail {
  const body = [
    clip(
      `We received your refund request ${facts.caseId} for order ${facts.orderId} on ${dateOf(facts.submittedAtMs)}.`,
    ),
    '',
  ];
  if (DECIDED_STATES.has(state)) {
    body.push('It has been decided already; the decision follows in a separate email.');
  } else if (state === 'pending_remediation' && decided !== undefined) {
    body.push(outcomeInWords(decided.decision), ...reasonLines(decided.explanation));
  } else {
    body.push(
      `Your case is ${STATE_IN_WORDS[state]}.`,
      'We decide within 3 to 7 business days after receiving complete materials, and tell you when we need more information.',
    );
  }
  return message(facts, 'We received your refund request', body);
}

export function informationNeededMail(
  facts: CaseMailFacts,
  questions: readonly string[],
): ComposedMail {
  const listed = questions
    .slice(0, TEMPLATE_LIMITS.maxQuestions)
    .map((q, i) => clip(`${i + 1}. ${q}`));
  return message(facts, 'We need more information about your refund request', [
    `To continue with your refund request ${facts.caseId}, we need the following from you:`,
    '',
    ...(listed.length === 0 ? ['(see the case page)'] : listed),
    '',
    'Please answer on the case page or by replying to this email. The time we take to decide does not run while we wait for your answer.',
  ]);
}

/** The outcome a decided state stands for. */
const OUTCOME_OF_STATE: Partial<Record<CaseState, Decision['outcome']>> = {
  approved: 'full_refund',
  prorata_offered: 'prorata',
  denied: 'denied',
};

export function decidedMail(
  facts: CaseMailFacts,
  decided: { readonly decision: Decision; readonly explanation: Explanation },
  state: CaseState,
  note: string | null,
): ComposedMail {
  // A reviewer's move may differ from the engine's last decision (a denial after review): the
  // state is what was decided, the engine's reasons are still the ones that applied.
  const agrees = OUTCOME_OF_STATE[state] === decided.decision.outcome;
  const headline = agrees ? decided.explanation.headline : STATE_IN_WORDS[state];
  const body = [
    clip(
      `Your refund request ${facts.caseId} for order ${facts.orderId} has been decided: ${headline}.`,
    ),
    '',
    agrees
      ? outcomeInWords(decided.decision)
      : `After review, your case is ${STATE_IN_WORDS[state]}.`,
  ];
  const reasons = reasonLines(decided.explanation);
  if (reasons.length > 0) body.push('', ...reasons);
  if (note !== null && note.trim() !== '') body.push('', clip(`Note from the reviewer: ${note}`));
  body.push('', `Policy version: ${decided.explanation.policyVersion}.`);
  return message(facts, 'Your refund request has been decided', body);
}

export function progressUpdateMail(
  facts: CaseMailFacts,
  state: CaseState,
  businessDaysOpen: number,
): ComposedMail {
  return message(facts, 'An update on your refund request', [
    clip(
      `Your refund request ${facts.caseId} for order ${facts.orderId} has been open for ${businessDaysOpen} business day${businessDaysOpen === 1 ? '' : 's'}.`,
    ),
    `It is ${STATE_IN_WORDS[state]}. We will email you as soon as anything changes.`,
  ]);
}
