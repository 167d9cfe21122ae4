/**
 * How the case desk is configured (DeskDeps.cases; src/runtime/config.ts reads it from the
 * environment): the business calendar SLA clocks count on, and the amounts above which an
 * approval needs a second approver.
 *
 * Defaults, when a desk configures nothing: the calendar is UTC, Monday to Friday, no holidays;
 * a second approver is needed above 500.00 in USD, EUR and GBP (50,000 minor units), and above
 * 0 in any other currency — a currency nobody configured always needs two people.
 */
import { parseCalendar, type BusinessCalendar } from '../../domain/calendar.js';

export interface CaseDeskConfig {
  /** The desk's business calendar: IANA zone, working days, holidays. */
  readonly calendar: BusinessCalendar;
  /**
   * Per ISO 4217 currency, in minor units: an approval of more than this needs a second
   * approver. A currency not listed needs one for any amount.
   */
  readonly secondApprovalAboveMinor: Readonly<Record<string, number>>;
}

function defaultCalendar(): BusinessCalendar {
  const parsed = parseCalendar({
    id: 'default',
    timeZone: 'UTC',
    workingDays: [1, 2, 3, 4, 5],
    holidays: [],
  });
  if (!parsed.ok) throw new Error('the default calendar is invalid');
  return parsed.value;
}

export const DEFAULT_CASE_CONFIG: CaseDeskConfig = {
  calendar: defaultCalendar(),
  secondApprovalAboveMinor: { USD: 50_000, EUR: 50_000, GBP: 50_000 },
};

/** The configuration of a desk: its own, else the defaults. */
export function caseConfigOf(deps: { readonly cases?: CaseDeskConfig }): CaseDeskConfig {
  return deps.cases ?? DEFAULT_CASE_CONFIG;
}

/** Whether approving `amountMinor` in `currency` needs a second approver. */
export function needsSecondApproval(
  config: CaseDeskConfig,
  amountMinor: number,
  currency: string,
): boolean {
  const above = config.secondApprovalAboveMinor[currency];
  return amountMinor > (above ?? 0);
}

/**
 * The case configuration from environment variables (read once at start by src/runtime):
 * `DESK_TIME_ZONE` (IANA, default UTC), `DESK_WORKING_DAYS` (ISO weekdays, default `1,2,3,4,5`),
 * `DESK_HOLIDAYS` (comma-separated `YYYY-MM-DD`, default none) and `SECOND_APPROVAL_ABOVE`
 * (`USD:50000,EUR:50000`: minor units per currency, default as above). Undefined when none is set.
 */
export function caseConfigFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; config: CaseDeskConfig | undefined } | { ok: false; error: string } {
  const zone = env['DESK_TIME_ZONE'];
  const days = env['DESK_WORKING_DAYS'];
  const holidays = env['DESK_HOLIDAYS'];
  const above = env['SECOND_APPROVAL_ABOVE'];
  if ([zone, days, holidays, above].every((value) => value === undefined)) {
    return { ok: true, config: undefined };
  }
  const list = (text: string | undefined): string[] =>
    text === undefined || text.trim() === '' ? [] : text.split(',').map((part) => part.trim());
  const parsed = parseCalendar({
    id: 'desk',
    timeZone: zone ?? 'UTC',
    workingDays: days === undefined ? [1, 2, 3, 4, 5] : list(days).map(Number),
    holidays: list(holidays),
  });
  if (!parsed.ok) {
    const why = parsed.error.errors.map((e) => `${e.pointer} ${e.message}`).join('; ');
    return { ok: false, error: `DESK_TIME_ZONE/DESK_WORKING_DAYS/DESK_HOLIDAYS: ${why}` };
  }
  let thresholds = DEFAULT_CASE_CONFIG.secondApprovalAboveMinor;
  if (above !== undefined) {
    const entries: Array<[string, number]> = [];
    for (const part of list(above)) {
      const match = /^([A-Z]{3}):(\d{1,15})$/.exec(part);
      if (match === null) {
        return { ok: false, error: `SECOND_APPROVAL_ABOVE: "${part}" is not CUR:minorUnits` };
      }
      entries.push([match[1] ?? '', Number(match[2])]);
    }
    thresholds = Object.fromEntries(entries);
  }
  return { ok: true, config: { calendar: parsed.value, secondApprovalAboveMinor: thresholds } };
}
