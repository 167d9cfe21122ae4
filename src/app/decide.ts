/**
 * Deciding one case: the single path that the CLI, the HTTP API and the staff console share.
 * Reads the case, picks the policy version in effect at request.submittedAt (or the one given),
 * and evaluates.
 */
import {
  evaluate,
  formatFieldError,
  formatInstant,
  policyInEffect,
  readCase,
  type Decision,
  type ErrorMode,
  type FieldError,
  type Policy,
  type Result,
} from '../engine/index.js';
import { shippedVersions } from '../policies/load.js';

export interface DecideOptions {
  /** Decide under this policy version; by default the shipped version in effect. */
  readonly policy?: Policy | undefined;
  /** Versions to choose from when no policy is given; by default the shipped ones. */
  readonly versions?: readonly Policy[];
  readonly errors?: ErrorMode;
}

export interface Decided {
  readonly decision: Decision;
  /** The version that decided, for explanations (its clause texts). */
  readonly policy: Policy;
}

export function decideCase(
  input: unknown,
  options: DecideOptions = {},
): Result<Decided, FieldError[]> {
  const read = readCase(input, options.errors ?? 'first');
  if (!read.ok) return read;
  const facts = read.value;
  let policy = options.policy;
  if (policy === undefined) {
    const versions = options.versions ?? shippedVersions();
    policy = policyInEffect(versions, facts.request.submittedAtMs);
    if (policy === undefined) {
      const earliest = versions.map((v) => v.effectiveFromMs).sort((a, b) => a - b)[0];
      return {
        ok: false,
        error: [
          {
            pointer: '/request/submittedAt',
            message:
              earliest === undefined
                ? 'no policy version is available'
                : `is before the first policy version took effect (${formatInstant(earliest)})`,
          },
        ],
      };
    }
  }
  return { ok: true, value: { decision: evaluate(facts, policy), policy } };
}

/** Thrown by `decide()` for a case that breaks the contract's section 2. */
export class InvalidCaseError extends Error {
  constructor(readonly errors: readonly FieldError[]) {
    super(`invalid case: ${errors.map(formatFieldError).join('; ')}`);
    this.name = 'InvalidCaseError';
  }
}

/**
 * Decides a case (plain JSON, case.schema.json) under `policy`, or under the shipped version
 * in effect at its request.submittedAt. Throws `InvalidCaseError` for invalid input; use
 * `decideCase` to receive the errors as a value instead.
 */
export function decide(input: unknown, policy?: Policy): Decision {
  const result = decideCase(input, { policy });
  if (!result.ok) throw new InvalidCaseError(result.error);
  return result.value.decision;
}
