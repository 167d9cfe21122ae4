/**
 * Deterministic generator of refund cases (case.schema.json) for the benchmark. Each case is
 * built to land on one outcome of the contract's section 5; run.js decides every case once and
 * reports the real mix, so a generator that misses its target shows up in the output.
 *
 * Instants are written with varied offsets (Z, +00:00, +08:00, -05:00, +05:30) and, when the
 * instant is not a whole second, with milliseconds, so that decide() parses real ISO strings.
 */
import { randomSource } from './prng.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** 2024-01-01T00:00:00Z: generated purchases fall in the two years after. */
const EPOCH_START = Date.UTC(2024, 0, 1);

const PRODUCTS = [
  'dynamic_residential',
  'static_isp',
  'datacenter',
  'mobile_dynamic',
  'mobile_static',
  'unlimited',
];
const PLAN_PREFIX = {
  dynamic_residential: 'res',
  static_isp: 'isp',
  datacenter: 'dc',
  mobile_dynamic: 'mob',
  mobile_static: 'mobs',
  unlimited: 'unl',
};
const OFFSETS_MINUTES = [0, 0, 0, 480, -300, 330];
const CURRENCIES = ['USD', 'USD', 'EUR', 'GBP', 'SGD'];
const PAYMENT_METHODS = ['card', 'paypal', 'bank'];
const EXCLUDED_CAUSES = ['target_anti_bot', 'third_party_tool', 'account_restriction'];

/** Target share of each outcome in the generated set. */
export const OUTCOME_WEIGHTS = {
  full_refund: 0.25,
  prorata: 0.2,
  pending: 0.15,
  manual_review: 0.15,
  denied: 0.25,
};
export const OUTCOMES = Object.keys(OUTCOME_WEIGHTS);

function pickOutcome(rnd) {
  let x = rnd.next();
  for (const outcome of OUTCOMES) {
    x -= OUTCOME_WEIGHTS[outcome];
    if (x < 0) return outcome;
  }
  return OUTCOMES[OUTCOMES.length - 1];
}

/** RFC 3339 text for an epoch-ms instant, at a random offset; milliseconds only when needed. */
function isoAt(rnd, ms) {
  const offset = rnd.pick(OFFSETS_MINUTES);
  const local = new Date(ms + offset * MINUTE).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const body = local.slice(0, ms % 1000 === 0 ? 19 : 23);
  if (offset === 0) return `${body}${rnd.chance(0.2) ? '+00:00' : 'Z'}`;
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${body}${sign}${hh}:${mm}`;
}

/**
 * The facts of a case in epoch ms, before serialisation. `build` turns it into the JSON shape;
 * the outcome builders below only adjust these facts.
 */
function baseFacts(rnd, caps, index) {
  const product = rnd.pick(PRODUCTS);
  const cap = caps[product];
  // Purchases at whole minutes or at a random millisecond.
  const purchasedAt =
    EPOCH_START +
    rnd.int(0, 700) * DAY +
    (rnd.chance(0.5) ? rnd.int(0, 1439) * MINUTE : rnd.int(0, DAY - 1));
  const amountCents = rnd.int(199, 49_900);
  return {
    index,
    product,
    planId: `${PLAN_PREFIX[product]}-${rnd.pick(['1gb', '5gb', '10ip', '50ip', 'pro'])}`,
    channel: rnd.chance(0.8) ? 'official_site' : 'designated_link',
    paymentMethod: rnd.pick(PAYMENT_METHODS),
    amountCents,
    currency: rnd.pick(CURRENCIES),
    promoCreditsCents: rnd.chance(0.25) ? rnd.int(100, 2_000) : 0,
    purchasedAt,
    servicePeriodDays: rnd.pick([30, 30, 60, 90, 365]),
    refundedCents: 0,
    compensatedIncidentIds: [],
    // Light testing: under both caps of the product.
    trafficBytes: rnd.int(0, cap.trafficBytes),
    requests: rnd.int(0, cap.requests),
    priorOrders: otherPlanOrders(rnd, purchasedAt),
    reports: [],
    incidents: noiseIncidents(rnd, product, purchasedAt),
    chargebacks: rnd.chance(0.1) ? [{ status: rnd.pick(['withdrawn', 'won']) }] : [],
    tosBreach: false,
    stressTesting: false,
    legallyRequired: false,
    submittedAt: purchasedAt,
    evaluatedAt: purchasedAt,
  };
}

/** Orders of other plans, at most one refunded on request: never a repeat-refund pattern. */
function otherPlanOrders(rnd, purchasedAt) {
  const count = rnd.pick([0, 0, 1, 2]);
  const orders = [];
  for (let k = 0; k < count; k += 1) {
    const bought = purchasedAt - rnd.int(1, 400) * DAY;
    const refunded = k === 0 && rnd.chance(0.4);
    orders.push({
      id: `ord_prev_${k}`,
      planId: `other-${k}`,
      purchasedAt: bought,
      refundedAt: refunded ? bought + rnd.int(1, 5) * DAY : null,
      refundKind: refunded && rnd.chance(0.5) ? 'compensation' : 'requested',
    });
  }
  return orders;
}

/** Incidents that never change the outcome: unconfirmed, or on another product only. */
function noiseIncidents(rnd, product, purchasedAt) {
  if (!rnd.chance(0.3)) return [];
  const other = PRODUCTS.find((p) => p !== product);
  const startsAt = purchasedAt + rnd.int(0, 20) * DAY;
  return [
    rnd.chance(0.5)
      ? {
          id: 'inc_noise',
          confirmedAt: null,
          startsAt,
          endsAt: null,
          products: ['all'],
          widelyImpacting: true,
        }
      : {
          id: 'inc_other',
          confirmedAt: startsAt + HOUR,
          startsAt,
          endsAt: startsAt + 6 * HOUR,
          products: [other],
          widelyImpacting: true,
        },
  ];
}

/** Submitted within the request window (inclusive: sometimes exactly on its last millisecond). */
function submitInWindow(rnd, f, windowMs) {
  f.submittedAt = f.purchasedAt + (rnd.chance(0.05) ? windowMs : rnd.int(0, windowMs));
}

/** A technical basis that holds: an unremediated service report past its deadline, or an incident. */
function addBasis(rnd, f, policy) {
  if (rnd.chance(0.5)) {
    const reportedAt = f.purchasedAt + rnd.int(0, policy.firstPeriodMs);
    const deadline = reportedAt + policy.remediationMs;
    f.evaluatedAt = Math.max(f.submittedAt, deadline) + rnd.int(0, 20 * DAY);
    const late = deadline + rnd.int(1, 5 * DAY);
    f.reports.push({
      reportedAt,
      cause: 'service',
      remediatedAt: rnd.chance(0.3) ? late : null,
    });
  } else {
    const startsAt = f.purchasedAt + rnd.int(-2 * DAY, policy.firstPeriodMs - HOUR);
    const endsAt = Math.max(startsAt + rnd.int(HOUR, 3 * DAY), f.purchasedAt + HOUR);
    const confirmedAt = startsAt + rnd.int(0, 2 * DAY);
    f.evaluatedAt = Math.max(f.submittedAt, confirmedAt, endsAt) + rnd.int(0, 10 * DAY);
    f.incidents.push({
      id: `inc_${f.index}`,
      confirmedAt,
      startsAt,
      endsAt: rnd.chance(0.2) ? null : endsAt,
      products: rnd.pick([[f.product], ['all'], [f.product, 'datacenter']]),
      widelyImpacting: true,
    });
  }
  if (rnd.chance(0.2)) {
    // A report with an excluded cause beside a basis changes nothing.
    f.reports.push({ reportedAt: f.purchasedAt + HOUR, cause: rnd.pick(EXCLUDED_CAUSES) });
  }
}

function fullRefund(rnd, f, policy) {
  submitInWindow(rnd, f, policy.requestWindowMs);
  addBasis(rnd, f, policy);
  if (rnd.chance(0.15)) f.refundedCents = rnd.int(1, f.amountCents - 1);
}

function pending(rnd, f, policy) {
  submitInWindow(rnd, f, policy.requestWindowMs);
  const reports = rnd.chance(0.8) ? 1 : 2;
  let earliestDeadline = Infinity;
  for (let k = 0; k < reports; k += 1) {
    const reportedAt = f.purchasedAt + rnd.int(0, f.submittedAt - f.purchasedAt);
    earliestDeadline = Math.min(earliestDeadline, reportedAt + policy.remediationMs);
    f.reports.push({ reportedAt, cause: 'service', remediatedAt: null });
  }
  f.evaluatedAt = f.submittedAt + rnd.int(0, earliestDeadline - f.submittedAt - 1);
}

function manualReview(rnd, f, policy) {
  if (rnd.chance(0.3)) {
    // Row 1: whatever else holds, the law decides through a person.
    const other = rnd.pick([fullRefund, pending, deniedHard]);
    other(rnd, f, policy);
    f.legallyRequired = true;
    return;
  }
  // Row 6: the only failing condition is NO_TECHNICAL_BASIS, with an undetermined report.
  submitInWindow(rnd, f, policy.requestWindowMs);
  const reportedAt = f.purchasedAt + rnd.int(0, f.submittedAt - f.purchasedAt);
  f.evaluatedAt = f.submittedAt + rnd.int(0, 25 * DAY);
  f.reports.push({ reportedAt, cause: 'undetermined', remediatedAt: null });
}

function prorata(rnd, f, policy) {
  if (rnd.chance(0.7)) {
    // Late request (WINDOW_EXPIRED, NO_TECHNICAL_BASIS) with a confirmed incident after day 8.
    f.submittedAt = f.purchasedAt + rnd.int(policy.requestWindowMs + 1, 25 * DAY);
    f.evaluatedAt = Math.max(f.submittedAt, f.purchasedAt + 9 * DAY) + rnd.int(0, 10 * DAY);
    const from = f.purchasedAt + 8 * DAY;
    const limit = Math.min(f.purchasedAt + f.servicePeriodDays * DAY, f.evaluatedAt);
    const startsAt = from + rnd.int(0, limit - from - HOUR);
    const endsAt = startsAt + rnd.int(MINUTE, 2 * DAY);
    f.incidents.push({
      id: `inc_${f.index}`,
      confirmedAt: startsAt + rnd.int(0, f.evaluatedAt - startsAt),
      startsAt,
      endsAt: endsAt > f.evaluatedAt || rnd.chance(0.1) ? null : endsAt,
      products: rnd.pick([[f.product], ['all']]),
      widelyImpacting: rnd.chance(0.5),
    });
    if (rnd.chance(0.2)) {
      // An incident already compensated on this order: not counted again.
      f.incidents.push({
        id: 'inc_paid',
        confirmedAt: from + HOUR,
        startsAt: from,
        endsAt: from + HOUR,
        products: ['all'],
        widelyImpacting: false,
      });
      f.compensatedIncidentIds.push('inc_paid');
      f.refundedCents = rnd.int(1, Math.max(1, Math.floor(f.amountCents / 100)));
    }
  } else {
    // In the window with a basis, but over a usage cap (soft): pro-rata for the incident.
    submitInWindow(rnd, f, policy.requestWindowMs);
    const cap = policy.usageCaps[f.product];
    if (rnd.chance(0.5)) f.trafficBytes = cap.trafficBytes + rnd.int(1, cap.trafficBytes);
    else f.requests = cap.requests + rnd.int(1, cap.requests);
    const startsAt = f.purchasedAt + rnd.int(0, 5 * DAY);
    const endsAt = startsAt + rnd.int(HOUR, 2 * DAY);
    f.evaluatedAt = Math.max(f.submittedAt, endsAt) + rnd.int(0, 5 * DAY);
    f.incidents.push({
      id: `inc_${f.index}`,
      confirmedAt: endsAt,
      startsAt,
      endsAt,
      products: [f.product],
      widelyImpacting: true,
    });
  }
}

/** A case that would be a full refund but for one hard condition (or crypto). */
function deniedHard(rnd, f, policy) {
  fullRefund(rnd, f, policy);
  const why = rnd.int(0, 7);
  if (why === 0) f.channel = rnd.pick(['reseller', 'marketplace']);
  else if (why === 1) f.paymentMethod = 'crypto';
  else if (why === 2) f.tosBreach = true;
  else if (why === 3) f.stressTesting = true;
  else if (why === 4) f.chargebacks = [{ status: rnd.pick(['open', 'lost']) }];
  else if (why === 5) f.refundedCents = f.amountCents;
  else {
    // Repeat refunds: two or three requested refunds within the lookback before submittedAt.
    const count = policy.repeatRefundCount + rnd.int(0, 1);
    f.priorOrders = [];
    for (let k = 0; k < count; k += 1) {
      const refundedAt = f.submittedAt - rnd.int(0, 300) * DAY - rnd.int(0, DAY - 1);
      f.priorOrders.push({
        id: `ord_refunded_${k}`,
        planId: `other-${k}`,
        purchasedAt: refundedAt - rnd.int(1, 6) * DAY,
        refundedAt,
        refundKind: rnd.chance(0.5) ? 'requested' : undefined,
      });
    }
  }
}

function denied(rnd, f, policy) {
  if (rnd.chance(0.75)) {
    deniedHard(rnd, f, policy);
    return;
  }
  // Row 8: only soft conditions fail and no incident affected the service.
  if (rnd.chance(0.5)) {
    f.submittedAt = f.purchasedAt + rnd.int(policy.requestWindowMs + 1, 60 * DAY);
  } else {
    submitInWindow(rnd, f, policy.requestWindowMs);
    f.reports.push({
      reportedAt: f.purchasedAt + rnd.int(0, f.submittedAt - f.purchasedAt),
      cause: rnd.pick(EXCLUDED_CAUSES),
    });
  }
  f.evaluatedAt = f.submittedAt + rnd.int(0, 10 * DAY);
}

const BUILDERS = {
  full_refund: fullRefund,
  prorata,
  pending,
  manual_review: manualReview,
  denied,
};

/** The JSON shape of case.schema.json, with optional fields sometimes left to their defaults. */
function toCase(rnd, f) {
  const at = (ms) => isoAt(rnd, ms);
  const order = {
    id: `ord_${f.index}`,
    customerId: `cus_${f.index % 50_000}`,
    planId: f.planId,
    product: f.product,
    channel: f.channel,
    paymentMethod: f.paymentMethod,
    amountCents: f.amountCents,
    currency: f.currency,
    purchasedAt: at(f.purchasedAt),
    servicePeriodDays: f.servicePeriodDays,
  };
  if (f.promoCreditsCents > 0 || rnd.chance(0.5)) order.promoCreditsCents = f.promoCreditsCents;
  if (f.refundedCents > 0 || rnd.chance(0.5)) order.refundedCents = f.refundedCents;
  if (f.compensatedIncidentIds.length > 0) order.compensatedIncidentIds = f.compensatedIncidentIds;
  const c = {
    evaluatedAt: at(f.evaluatedAt),
    order,
    priorOrders: f.priorOrders.map((p) => {
      const prior = { id: p.id, planId: p.planId, purchasedAt: at(p.purchasedAt) };
      if (p.refundedAt !== null || rnd.chance(0.5)) {
        prior.refundedAt = p.refundedAt === null ? null : at(p.refundedAt);
      }
      if (p.refundKind !== undefined) prior.refundKind = p.refundKind;
      return prior;
    }),
    usage: { trafficBytes: f.trafficBytes, requests: f.requests },
    reports: f.reports.map((r) => {
      const report = { reportedAt: at(r.reportedAt), cause: r.cause };
      if (r.remediatedAt !== undefined) {
        report.remediatedAt = r.remediatedAt === null ? null : at(r.remediatedAt);
      }
      return report;
    }),
    incidents: f.incidents.map((n) => ({
      id: n.id,
      confirmedAt: n.confirmedAt === null ? null : at(n.confirmedAt),
      startsAt: at(n.startsAt),
      endsAt: n.endsAt === null ? null : at(n.endsAt),
      products: n.products,
      widelyImpacting: n.widelyImpacting,
    })),
    chargebacks: f.chargebacks,
    account: { tosBreach: f.tosBreach, stressTesting: f.stressTesting },
    request: { submittedAt: at(f.submittedAt), legallyRequired: f.legallyRequired },
  };
  return c;
}

/**
 * Generates `count` cases as JSON text. `policy` is the compiled shipped policy (caps, window
 * and periods come from it, so the cases follow the policy document rather than constants).
 * Returns the texts and the outcome each case was built for.
 */
export function generateCases(count, seed, policy) {
  const rnd = randomSource(seed);
  const texts = new Array(count);
  const intended = new Array(count);
  for (let i = 0; i < count; i += 1) {
    const outcome = pickOutcome(rnd);
    const facts = baseFacts(rnd, policy.usageCaps, i);
    BUILDERS[outcome](rnd, facts, policy);
    texts[i] = JSON.stringify(toCase(rnd, facts));
    intended[i] = outcome;
  }
  return { texts, intended };
}
