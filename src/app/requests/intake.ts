/**
 * Filing a refund request. In one transaction: the order must exist and belong to the customer
 * (else "not found", never revealing whose it is), the payment method must be the order's, and
 * no other request on the order may be open; then the case is assembled from stored facts as of
 * now, decided by the engine under the version in effect, and the request, its first decision
 * (with the exact facts snapshot, so it can be reproduced byte for byte), its evidence and the
 * audit entries are written together.
 *
 * Evidence files are vetted before the transaction; their bytes are inserted with the evidence
 * rows inside it, so a refused or failed transaction leaves none behind.
 */
import { DECISION_EVENT } from '../../domain/case-state.js';
import { initialState, type RequestState } from '../../domain/request-state.js';
import {
  formatFieldError,
  parseInstantMs,
  type Decision,
  type Result,
} from '../../engine/index.js';
import type { DecisionTable, RefundRequestTable } from '../../store/schema.js';
import { appendAuditMany } from '../audit.js';
import { askCustomerInTransaction } from '../cases/info.js';
import { missingMaterials } from '../cases/materials.js';
import { initialDueInstants, recordFirstTransition } from '../cases/move.js';
import { SYSTEM_ORIGIN, type DeskDeps, type Origin } from '../context.js';
import { decideCase } from '../decide.js';
import { vetEvidence, type EvidenceUpload } from '../evidence.js';
import { assembleCaseOfOrder } from '../facts.js';
import { newId } from '../ids.js';
import { notFound, type RequestError } from './errors.js';
import { recordEvidence } from './evidence.js';
import {
  findOpenRequest,
  insertDecisionRow,
  insertRequestRow,
  lockOrderForIntake,
  readRequestRow,
} from './intake-queries.js';
import type { RefundRequestInput } from './input.js';
import { requestView, type EvidenceView, type RefundRequestView } from './views.js';

export interface SubmittedRequest {
  readonly request: RefundRequestView;
  /** The first decision, exactly as the engine wrote it. */
  readonly decision: Decision;
  readonly evidence: readonly EvidenceView[];
}

export async function submitRefundRequest(
  deps: DeskDeps,
  origin: Origin,
  customerId: string,
  input: RefundRequestInput,
  files: readonly EvidenceUpload[],
): Promise<Result<SubmittedRequest, RequestError>> {
  const vetted = await vetEvidence(files);
  if (!vetted.ok) return vetted;
  const { store } = deps;
  const vettedFiles = vetted.value;
  return store.db
    .transaction()
    .execute(async (trx): Promise<Result<SubmittedRequest, RequestError>> => {
      const order = await lockOrderForIntake(trx, input.orderId);
      if (order === undefined || order.customerId !== customerId) {
        return { ok: false, error: notFound('order') };
      }
      if (order.paymentMethod !== input.paymentMethod) {
        return {
          ok: false,
          error: {
            code: 'payment_method_mismatch',
            detail: `The payment method does not match the order's (${order.paymentMethod}).`,
            errors: [
              {
                pointer: '/paymentMethod',
                message: `must be the order's payment method, ${order.paymentMethod}`,
              },
            ],
          },
        };
      }
      const open = await findOpenRequest(trx, order.id);
      if (open !== undefined) {
        return {
          ok: false,
          error: {
            code: 'request_already_open',
            detail: `Request ${open.id} on this order is still open (${open.state}); withdraw it or wait for it to close.`,
          },
        };
      }

      const nowMs = deps.clock.nowMs();
      const facts = await assembleCaseOfOrder(trx, order, {
        submittedAtMs: nowMs,
        evaluatedAtMs: nowMs,
        legallyRequired: false,
      });
      const decided = decideCase(facts, { errors: 'all' });
      if (!decided.ok) {
        return {
          ok: false,
          error: {
            code: 'case_not_decidable',
            detail: `The stored facts of this order cannot be decided yet: ${decided.error.map(formatFieldError).join('; ')}.`,
          },
        };
      }
      const { decision, policy } = decided.value;
      const state: RequestState = initialState(decision.outcome);
      const policyRef = { policyId: policy.id, policyVersion: policy.version };
      const due = await initialDueInstants(trx, deps, policyRef, state, nowMs);

      const requestRow: RefundRequestTable = {
        id: newId('rr', nowMs),
        orderId: order.id,
        customerId,
        state,
        description: input.description,
        paymentMethod: input.paymentMethod,
        networkContextJson: JSON.stringify(input.networkContext),
        contactEmail: input.contact.email,
        contactIm: input.contact.im,
        legallyRequired: 0,
        submittedAtMs: nowMs,
        policyId: policy.id,
        policyVersion: policy.version,
        createdAtMs: nowMs,
        updatedAtMs: nowMs,
        rowVersion: 1,
        slaTargetAtMs: due.targetAtMs,
        slaDeadlineAtMs: due.deadlineAtMs,
      };
      await insertRequestRow(trx, requestRow);
      const decisionRow: DecisionTable = {
        id: newId('dec', nowMs),
        requestId: requestRow.id,
        seq: 1,
        decidedAtMs: nowMs,
        policyVersion: decision.policyVersion,
        outcome: decision.outcome,
        refundMinor: decision.refundCents,
        extensionDays: decision.extensionDays,
        currency: decision.currency,
        decidableAtMs:
          decision.decidableAt === null ? null : (parseInstantMs(decision.decidableAt) ?? null),
        decisionJson: JSON.stringify(decision),
        factsJson: JSON.stringify(facts),
        source: 'engine',
        actorId: null,
        note: null,
      };
      await insertDecisionRow(trx, decisionRow);

      let request = requestView(requestRow);
      const evidence = await recordEvidence(trx, origin, nowMs, request.id, vettedFiles);
      await appendAuditMany(trx, store.engine, origin, nowMs, [
        {
          action: 'refund_request.submitted',
          entityKind: 'refund_request',
          entityId: request.id,
          after: request,
        },
        {
          action: 'decision.recorded',
          entityKind: 'decision',
          entityId: decisionRow.id,
          after: {
            requestId: request.id,
            seq: decisionRow.seq,
            source: decisionRow.source,
            outcome: decision.outcome,
            refundCents: decision.refundCents,
            extensionDays: decision.extensionDays,
            currency: decision.currency,
            policyVersion: decision.policyVersion,
            reasonCodes: decision.reasons.map((r) => r.code),
          },
        },
        ...evidence.audit,
      ]);
      // Seq 1 of the case's state log: the engine's first decision, by the desk itself. Its
      // effects may move the case on at once (an approval starts its payout), so the request
      // is read again below.
      await recordFirstTransition(trx, deps, {
        requestId: requestRow.id,
        event: DECISION_EVENT[decision.outcome],
        toState: state,
        actor: SYSTEM_ORIGIN.actor,
        atMs: nowMs,
      });
      // A review case without what reproduces the issue: its materials are not complete, so the
      // customer is asked at once and the SLA clock waits for the answer (cases/materials.ts).
      const missing = state === 'in_review' ? missingMaterials(input.networkContext) : [];
      if (missing.length > 0) {
        const asked = await askCustomerInTransaction(trx, deps, SYSTEM_ORIGIN, {
          requestId: request.id,
          questions: missing,
          reason:
            'The materials are incomplete: the review needs details that reproduce the issue.',
        });
        if (!asked.ok) throw new Error(`intake could not ask for materials: ${asked.error.detail}`);
      }
      request = requestView(await readRequestRow(trx, requestRow.id));
      return { ok: true, value: { request, decision, evidence: evidence.views } };
    });
}
