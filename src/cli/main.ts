/**
 * `refund-desk`: the command line. Expected failures (bad input, unreadable files) print one
 * line on stderr and exit 2; nothing here prints a stack trace for them.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { decideCase } from '../app/decide.js';
import {
  explain,
  formatFieldError,
  type Decision,
  type FieldError,
  type Policy,
} from '../engine/index.js';
import { readPolicyFile, shippedVersions } from '../policies/load.js';

const EXIT_INVALID = 2;

class UsageFailure extends Error {}

function fail(message: string): never {
  throw new UsageFailure(message);
}

function readInput(file: string): string {
  try {
    return file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    return fail(`cannot read ${file === '-' ? 'standard input' : file} (${code})`);
  }
}

function policyFrom(path: string): Policy {
  const result = readPolicyFile(path);
  if (!result.ok)
    return fail(`invalid policy ${path}: ${result.error.map(formatFieldError).join('; ')}`);
  return result.value;
}

function firstError(errors: readonly FieldError[]): string {
  const first = errors[0];
  return first === undefined ? 'invalid' : formatFieldError(first);
}

function renderExplanation(decision: Decision, policy: Policy): string {
  const explanation = explain(decision, policy);
  const lines = [`${explanation.headline}`, `policy ${explanation.policyVersion}`];
  if (explanation.reasons.length === 0)
    lines.push('no reasons: every condition of the policy is met');
  for (const reason of explanation.reasons) {
    lines.push(
      `- ${reason.code}: ${reason.message} [clause ${reason.clause}, ${reason.clauseTitle}: ${reason.clauseText}]`,
    );
  }
  return lines.join('\n');
}

function runDecide(file: string, options: { policy?: string; explain?: boolean }): void {
  const text = readInput(file);
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    const detail = (error instanceof Error ? error.message : 'unreadable')
      .replace(/\s+/g, ' ')
      .trim();
    return fail(`invalid case: (the document): is not valid JSON (${detail})`);
  }
  const policy = options.policy === undefined ? undefined : policyFrom(options.policy);
  const result = decideCase(input, { policy });
  if (!result.ok) return fail(`invalid case: ${firstError(result.error)}`);
  const { decision, policy: decidedBy } = result.value;
  process.stdout.write(
    options.explain === true
      ? `${renderExplanation(decision, decidedBy)}\n`
      : `${JSON.stringify(decision)}\n`,
  );
}

function describePolicy(policy: Policy): string {
  const caps = Object.fromEntries(
    Object.entries(policy.usageCaps).map(([product, cap]) => [product, { ...cap }]),
  );
  return JSON.stringify(
    {
      policyVersion: policy.label,
      title: policy.document.title,
      effectiveFrom: new Date(policy.effectiveFromMs).toISOString(),
      parameters: { ...policy.document.parameters, usageCaps: caps },
      clauses: policy.document.clauses,
    },
    null,
    2,
  );
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('refund-desk')
    .description('Refund Desk: refund policy decisions, explained')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });

  program
    .command('decide')
    .description('decide one case (case.schema.json) and print the decision as JSON')
    .argument('<file>', 'the case file, or - for standard input')
    .option(
      '--policy <file>',
      'decide under this policy document instead of the shipped version in effect',
    )
    .option(
      '--explain',
      'print the decision for a person: outcome, amount, then each reason with its clause',
    )
    .action(runDecide);

  const policy = program.command('policy').description('policy documents');
  policy
    .command('validate')
    .argument('<file>', 'a policy document (YAML or JSON)')
    .description('check a policy document against the policy schema')
    .action((file: string) => {
      const result = readPolicyFile(file);
      if (!result.ok) {
        for (const error of result.error)
          process.stderr.write(`${file}: ${formatFieldError(error)}\n`);
        process.exitCode = EXIT_INVALID;
        return;
      }
      process.stdout.write(
        `valid: ${result.value.label}, effective from ${new Date(result.value.effectiveFromMs).toISOString()}\n`,
      );
    });
  policy
    .command('show')
    .argument('[file]', 'a policy document; by default the latest shipped version')
    .description('print a policy with its parameters resolved (caps in bytes)')
    .action((file: string | undefined) => {
      const shown = file === undefined ? shippedVersions().at(-1) : policyFrom(file);
      if (shown === undefined) return fail('no shipped policy');
      process.stdout.write(`${describePolicy(shown)}\n`);
    });

  program
    .command('serve')
    .description('serve the HTTP API (binds 127.0.0.1; port from PORT, default 3000)')
    .option('--host <host>', 'address to bind', process.env['HOST'] ?? '127.0.0.1')
    .option('--port <port>', 'port to listen on', process.env['PORT'] ?? '3000')
    .action(async (options: { host: string; port: string }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535)
        return fail(`invalid port ${options.port}`);
      const { startServer } = await import('../http/server.js');
      await startServer({ hostname: options.host, port });
    });
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof UsageFailure) {
      process.stderr.write(`refund-desk: ${error.message}\n`);
      return EXIT_INVALID;
    }
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : EXIT_INVALID;
    }
    throw error;
  }
}
