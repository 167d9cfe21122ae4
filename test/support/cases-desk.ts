/**
 * Case-desk fixtures for the review, SLA and queue tests: a desk with the case configuration a
 * test wants (calendar, second-approval amounts), cases filed through the real intake route and
 * named by the state they are in, staff sessions by role, and the problem trigger of the review
 * area. Built on test/support/intake.ts (each desk in its own time slot).
 */
import type { CaseDeskConfig } from '../../src/app/cases/config.js';
import { DEFAULT_CASE_CONFIG } from '../../src/app/cases/config.js';
import type { DeskDeps, StaffRole } from '../../src/app/context.js';
import { parseCalendar, type BusinessCalendar } from '../../src/domain/calendar.js';
import { createApp } from '../../src/http/app.js';
import type { Store } from '../../src/store/connect.js';
import { openStore } from '../../src/store/connect.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import {
  freshDesk,
  jsonPost,
  requestBody,
  seedCustomerWithOrder,
  seedOrderWithServiceReport,
  seedOrderWithUndeterminedReport,
  seedOrderWithWideIncident,
  type SeededOrder,
} from './intake.js';
import { checkAgainstOpenApi } from './openapi.js';
import { as, deskOver, staffSessionCookie, type TestDesk } from './people.js';

export const CASES = '/v1/cases';

export interface CaseDesk extends TestDesk {
  /** `rd_session=…` cookies of staff, one account per role (made on first use). */
  staff(role: StaffRole): Promise<string>;
  /** Another staff account of `role` (a second person). */
  anotherStaff(role: StaffRole): Promise<string>;
}

export function calendarOf(input: {
  readonly timeZone?: string;
  readonly workingDays?: readonly number[];
  readonly holidays?: readonly string[];
}): BusinessCalendar {
  const parsed = parseCalendar({
    id: 'test',
    timeZone: input.timeZone ?? 'UTC',
    workingDays: input.workingDays ?? [1, 2, 3, 4, 5],
    holidays: input.holidays ?? [],
  });
  if (!parsed.ok) throw new Error(`test fixture: ${JSON.stringify(parsed.error)}`);
  return parsed.value;
}

function withCases(desk: TestDesk, cases: CaseDeskConfig | undefined): CaseDesk {
  const deps: DeskDeps = cases === undefined ? desk.deps : { ...desk.deps, cases };
  const app = cases === undefined ? desk.app : checkAgainstOpenApi(createApp({ desk: deps }));
  const cookies = new Map<StaffRole, string>();
  return {
    ...desk,
    deps,
    app,
    async staff(role) {
      let cookie = cookies.get(role);
      if (cookie === undefined) {
        cookie = await staffSessionCookie(deps, role);
        cookies.set(role, cookie);
      }
      return cookie;
    },
    anotherStaff(role) {
      return staffSessionCookie(deps, role);
    },
  };
}

/** A desk in its own time slot, with the given case configuration (default: the desk's). */
export function caseDesk(store: Store, cases?: Partial<CaseDeskConfig>): CaseDesk {
  const config = cases === undefined ? undefined : { ...DEFAULT_CASE_CONFIG, ...cases };
  return withCases(freshDesk(store), config);
}

export interface FiledCase {
  readonly order: SeededOrder;
  readonly requestId: string;
  readonly state: string;
}

async function file(
  d: TestDesk,
  order: SeededOrder,
  overrides: Record<string, unknown> = {},
): Promise<FiledCase> {
  const res = await d.app.request(
    '/v1/refund-requests',
    jsonPost(requestBody(order, overrides), order.cookie),
  );
  if (res.status !== 201) throw new Error(`test fixture: intake ${res.status} ${await res.text()}`);
  const created = (await res.json()) as { request: { id: string; state: string } };
  return { order, requestId: created.request.id, state: created.request.state };
}

/** A case the engine sent to technical review, with complete materials: in_review, clock running. */
export async function seedReviewCase(d: TestDesk): Promise<FiledCase> {
  return file(d, await seedOrderWithUndeterminedReport(d.deps));
}

/** A review case filed without target sites or timestamps: intake asked at once (awaiting_customer). */
export async function seedIncompleteReviewCase(d: TestDesk): Promise<FiledCase> {
  return file(d, await seedOrderWithUndeterminedReport(d.deps), {
    networkContext: { egressCidrs: ['203.0.113.0/24'] },
  });
}

/** A case waiting out the remediation window: pending_remediation. */
export async function seedPendingCase(d: TestDesk): Promise<FiledCase> {
  return file(d, await seedOrderWithServiceReport(d.deps));
}

/** A case the engine approved at intake: approved. */
export async function seedApprovedCase(d: TestDesk): Promise<FiledCase> {
  return file(d, await seedOrderWithWideIncident(d.deps));
}

/** A case the engine denied at intake: denied. */
export async function seedDeniedCase(d: TestDesk): Promise<FiledCase> {
  return file(d, await seedCustomerWithOrder(d.deps));
}

/** GET the case as `cookie`'s holder sees it (throws unless 200). */
export async function readCase<T = CaseJson>(
  d: TestDesk,
  requestId: string,
  cookie: string,
): Promise<T> {
  const res = await d.app.request(`${CASES}/${requestId}`, as({ cookie }));
  if (res.status !== 200) throw new Error(`test: GET case ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export interface CaseJson {
  state: string;
  request: { id: string; state: string; customerId: string; orderId: string };
  sla: {
    status: string;
    targetAt: string | null;
    deadlineAt: string | null;
    targetBusinessDays: number;
    deadlineBusinessDays: number;
  };
  nextEvents: string[];
  decisions: Array<{
    seq: number;
    source: string;
    decidedBy: string | null;
    note: string | null;
    decision: { outcome: string; refundCents: number; extensionDays: number };
    explanation: { headline: string; reasons: Array<{ code: string; clauseText: string }> };
  }>;
  transitions: Array<{
    seq: number;
    event: string;
    fromState: string | null;
    toState: string;
    actor: { kind: string; id: string };
    reason: string;
    at: string;
  }>;
  reports: Array<{ id: string; cause: string; remediatedAt: string | null }>;
  findings: Array<{ reportId: string; cause: string; remediation: string }>;
  infoRequests: Array<{
    id: string;
    questions: string[];
    answer: string | null;
    answeredVia: string | null;
  }>;
  approvals: Array<{
    status: string;
    requestedBy: string;
    decidedBy: string | null;
    amountMinor: number;
  }>;
}

/** One trigger per problem code of the review area, for test/http/problems.test.ts. */
export const CASE_PROBLEM_TRIGGERS = {
  illegal_transition: async () => {
    const store = openStore({ url: ':memory:' });
    await migrateToLatest(store.db);
    const d = deskOver(store);
    const denied = await seedDeniedCase(d);
    const staff = await staffSessionCookie(d.deps, 'agent');
    return d.app.request(`${CASES}/${denied.requestId}/approve`, jsonPost({}, staff));
  },
} satisfies Record<string, () => Promise<Response>>;

/**
 * One successful exchange with every review operation, for the OpenAPI walk
 * (test/http/openapi.test.ts): `admin` is a staff admin's session.
 */
export async function walkCaseOperations(
  d: TestDesk,
  admin: { readonly cookie: string },
): Promise<void> {
  const expectStatus = async (
    res: Response | Promise<Response>,
    status = 200,
  ): Promise<Response> => {
    const answer = await res;
    if (answer.status !== status) {
      throw new Error(`walk: ${answer.status} ${await answer.text()}`);
    }
    return answer;
  };
  const act = (id: string, path: string, body: unknown) =>
    expectStatus(d.app.request(`${CASES}/${id}/${path}`, jsonPost(body, admin.cookie)));

  const r1 = await seedReviewCase(d);
  await expectStatus(d.app.request(`${CASES}?limit=5`, as(admin)));
  const view = (await (
    await expectStatus(d.app.request(`${CASES}/${r1.requestId}`, as(admin)))
  ).json()) as CaseJson;
  const reportId = view.reports[0]?.id ?? '';
  await act(r1.requestId, 'findings', { reportId, cause: 'service', remediation: 'Pool fixed.' });
  const asked = (await (
    await act(r1.requestId, 'info-requests', { questions: ['Since when?'] })
  ).json()) as CaseJson;
  await expectStatus(
    d.app.request(
      `/v1/refund-requests/${r1.requestId}/info-requests`,
      as({ cookie: r1.order.cookie }),
    ),
  );
  await expectStatus(
    d.app.request(
      `/v1/refund-requests/${r1.requestId}/info-requests/${asked.infoRequests[0]?.id ?? ''}/answer`,
      jsonPost({ answer: 'Since Monday.' }, r1.order.cookie),
    ),
  );
  await act(r1.requestId, 'kyc/require', {});
  await act(r1.requestId, 'kyc/complete', { result: 'verified' });
  await act(r1.requestId, 're-decide', {});
  await act(r1.requestId, 'approve', { refundMinor: 6_000, reason: 'Service-side failure.' });

  const r2 = await seedReviewCase(d);
  await act(r2.requestId, 'offer-prorata', {
    refundMinor: 1_000,
    extensionDays: 2,
    reason: 'Partial outage.',
  });
  const r3 = await seedReviewCase(d);
  await act(r3.requestId, 'deny', { reason: 'User-side configuration.' });

  // Above the default second-approval amount (500.00 USD): an order of 1,000.00.
  const big = await seedOrderWithUndeterminedReport(d.deps);
  await d.deps.store.db
    .updateTable('orders')
    .set({ amountMinor: 100_000 })
    .where('id', '=', big.orderId)
    .execute();
  const r4 = await file(d, big);
  await act(r4.requestId, 'approve', { refundMinor: 60_000, reason: 'Outage confirmed.' });
  const second = await staffSessionCookie(d.deps, 'approver');
  await expectStatus(
    d.app.request(`${CASES}/${r4.requestId}/second-approval`, jsonPost({ confirm: true }, second)),
  );
}
