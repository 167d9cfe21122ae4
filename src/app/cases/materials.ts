/**
 * When are a case's materials complete? The policy (clause 4, "within 3–7 business days after
 * receiving complete materials"; clause 5) asks for reproducible details. The intake form
 * already requires the order, the payment method, a description and a reachable contact; for a
 * case that needs technical review the desk also needs what reproduces the issue: at least one
 * target site and at least one timestamp of a failure. Egress ranges and the client
 * configuration help but are not required.
 *
 * A case the engine sends to review without them is not complete: intake asks the customer for
 * the missing details at once (system `ask_customer`, an info request naming them), so its SLA
 * clock starts only when the customer answers. A case with them starts its clock at intake.
 * Cases the engine decides at intake have no clock to start.
 */
import type { NetworkContext } from '../requests/input.js';

/** The questions for the details a review case lacks; empty when its materials are complete. */
export function missingMaterials(context: NetworkContext): string[] {
  const questions: string[] = [];
  if (context.targetSites.length === 0) {
    questions.push('Which target sites (hostnames or URLs) fail through the proxy?');
  }
  if (context.timestamps.length === 0) {
    questions.push(
      'When did the failures happen? Give a few timestamps with their time zone (e.g. 2026-03-03T10:15:00Z).',
    );
  }
  return questions;
}
