/**
 * Billing facts as the API returns them and the audit log records them: the fact's fields with
 * instants in UTC (`2026-03-17T09:00:00.000Z`), defaults applied.
 */
import { formatInstant } from '../../engine/index.js';
import type {
  ChargebackTable,
  CustomerTable,
  IncidentTable,
  OrderTable,
  PlanTable,
  RefundTable,
  ReportTable,
  UsageReadingTable,
} from '../../store/schema.js';
import type { KycStatus } from './schemas.js';

const instantOrNull = (ms: number | null): string | null =>
  ms === null ? null : formatInstant(ms);

export interface CustomerView {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly kycStatus: KycStatus;
  readonly tosBreach: boolean;
  readonly stressTesting: boolean;
}

export function customerView(row: CustomerTable): CustomerView {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    kycStatus: row.kycStatus,
    tosBreach: row.tosBreach === 1,
    stressTesting: row.stressTesting === 1,
  };
}

export interface PlanView {
  readonly id: string;
  readonly product: string;
  readonly name: string;
  readonly servicePeriodDays: number;
}

export function planView(row: PlanTable): PlanView {
  return {
    id: row.id,
    product: row.product,
    name: row.name,
    servicePeriodDays: row.servicePeriodDays,
  };
}

export interface OrderView {
  readonly id: string;
  readonly customerId: string;
  readonly planId: string;
  readonly product: string;
  readonly channel: string;
  readonly paymentMethod: string;
  readonly provider: string;
  readonly chargeRef: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly promoCreditsMinor: number;
  readonly purchasedAt: string;
  readonly servicePeriodDays: number;
  readonly email: string;
}

export function orderView(row: OrderTable): OrderView {
  return {
    id: row.id,
    customerId: row.customerId,
    planId: row.planId,
    product: row.product,
    channel: row.channel,
    paymentMethod: row.paymentMethod,
    provider: row.provider,
    chargeRef: row.chargeRef,
    amountMinor: row.amountMinor,
    currency: row.currency,
    promoCreditsMinor: row.promoCreditsMinor,
    purchasedAt: formatInstant(row.purchasedAtMs),
    servicePeriodDays: row.servicePeriodDays,
    email: row.email,
  };
}

export interface UsageView {
  readonly orderId: string;
  readonly asOf: string;
  readonly trafficBytes: number;
  readonly requests: number;
}

export function usageView(row: UsageReadingTable): UsageView {
  return {
    orderId: row.orderId,
    asOf: formatInstant(row.asOfMs),
    trafficBytes: row.trafficBytes,
    requests: row.requests,
  };
}

export interface ReportView {
  readonly id: string;
  readonly orderId: string;
  readonly reportedAt: string;
  readonly cause: string;
  readonly remediatedAt: string | null;
  readonly description: string;
}

export function reportView(row: ReportTable): ReportView {
  return {
    id: row.id,
    orderId: row.orderId,
    reportedAt: formatInstant(row.reportedAtMs),
    cause: row.cause,
    remediatedAt: instantOrNull(row.remediatedAtMs),
    description: row.description,
  };
}

export interface IncidentView {
  readonly id: string;
  readonly title: string;
  readonly products: readonly string[];
  readonly widelyImpacting: boolean;
  readonly startsAt: string;
  readonly endsAt: string | null;
  readonly confirmedAt: string | null;
}

export function incidentView(row: IncidentTable): IncidentView {
  return {
    id: row.id,
    title: row.title,
    products: JSON.parse(row.productsJson) as string[],
    widelyImpacting: row.widelyImpacting === 1,
    startsAt: formatInstant(row.startsAtMs),
    endsAt: instantOrNull(row.endsAtMs),
    confirmedAt: instantOrNull(row.confirmedAtMs),
  };
}

export interface ChargebackView {
  readonly id: string;
  readonly orderId: string;
  readonly status: string;
  readonly openedAt: string;
}

export function chargebackView(row: ChargebackTable): ChargebackView {
  return {
    id: row.id,
    orderId: row.orderId,
    status: row.status,
    openedAt: formatInstant(row.openedAtMs),
  };
}

export interface RefundView {
  readonly id: string;
  readonly orderId: string;
  readonly amountMinor: number;
  readonly kind: string;
  readonly refundedAt: string;
  readonly incidentId: string | null;
}

export function refundView(row: RefundTable): RefundView {
  return {
    id: row.id,
    orderId: row.orderId,
    amountMinor: row.amountMinor,
    kind: row.kind,
    refundedAt: formatInstant(row.refundedAtMs),
    incidentId: row.incidentId,
  };
}

export type FactView =
  | CustomerView
  | PlanView
  | OrderView
  | UsageView
  | ReportView
  | IncidentView
  | ChargebackView
  | RefundView;
