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
import type { DeskDeps } from '../app/context.js';
import { readPolicyFile, shippedVersions } from '../policies/load.js';
import { readConfig, type DeskConfig } from '../runtime/config.js';

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

function configFrom(overrides: { hostname?: string; port?: number; demo?: boolean }): DeskConfig {
  const result = readConfig(process.env, overrides);
  if (!result.ok) return fail(result.error);
  return result.config;
}

/** Opens the configured desk for one command and closes it afterwards. */
async function withDesk(body: (deps: DeskDeps) => Promise<void>): Promise<void> {
  const { openDeskDeps } = await import('../runtime/desk.js');
  const desk = await openDeskDeps(configFrom({ demo: false }), process.env);
  try {
    await body(desk.deps);
  } finally {
    await desk.close();
  }
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
    .description('serve the case desk and its API (binds 127.0.0.1; PORT, DATABASE_URL, DATA_DIR)')
    .option('--host <host>', 'address to bind (default HOST or 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default PORT or 3000)')
    .option('--demo', 'load demo data into an empty database (default on the embedded SQLite)')
    .option('--no-demo', 'never load demo data')
    .action(async (options: { host?: string; port?: string; demo?: boolean }) => {
      const config = configFrom({
        ...(options.host === undefined ? {} : { hostname: options.host }),
        ...(options.port === undefined ? {} : { port: Number(options.port) }),
        ...(options.demo === undefined ? {} : { demo: options.demo }),
      });
      const { serveDesk } = await import('../runtime/desk.js');
      let server: Awaited<ReturnType<typeof serveDesk>>;
      try {
        server = await serveDesk(config, process.env, {
          write: (line) => process.stdout.write(`${line}\n`),
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // A port that cannot be bound is expected input trouble: one line, exit 2.
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
          return fail(`cannot listen on ${config.hostname}:${config.port} (${code})`);
        }
        throw error;
      }
      const stop = (): void => {
        void server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  program
    .command('worker')
    .description(
      'run the worker alone: durable timers, case mail, webhooks, payouts, extensions (DATABASE_URL; serve with WORKER=0)',
    )
    .action(async () => {
      const config = configFrom({ demo: false });
      const { runDeskWorker } = await import('../runtime/desk.js');
      const worker = await runDeskWorker(config, process.env, {
        write: (line) => process.stdout.write(`${line}\n`),
      });
      const stop = (): void => {
        void worker.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  program
    .command('migrate')
    .description('bring the database schema up to date (also done on every start)')
    .action(async () => {
      const config = configFrom({});
      const { openMigratedStore, redactUrl } = await import('../runtime/store.js');
      const { store, applied } = await openMigratedStore(config);
      await store.close();
      process.stdout.write(
        `${redactUrl(config.databaseUrl)}: ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`}\n`,
      );
    });

  program
    .command('import')
    .description('load billing facts from an NDJSON file ({"type": …, "data": {…}} per line)')
    .argument('<file>', 'the NDJSON file')
    .action(async (file: string) => {
      await withDesk(async (deps) => {
        const { runImportCommand } = await import('./import.js');
        process.exitCode = await runImportCommand(deps, file);
      });
    });

  const audit = program.command('audit').description('the hash-chained audit log');
  audit
    .command('verify')
    .description('walk the chain and report the first broken link (exit 1 when broken)')
    .action(async () => {
      await withDesk(async (deps) => {
        const { verifyAudit } = await import('../app/audit.js');
        const result = await verifyAudit(deps.store.db);
        if (result.ok) {
          process.stdout.write(`audit log intact: ${result.entries} entries\n`);
        } else {
          process.stdout.write(
            `audit log broken at entry ${result.brokenAtSeq}: ${result.reason} (${result.entries} entries before it verify)\n`,
          );
          process.exitCode = 1;
        }
      });
    });

  const staff = program.command('staff').description('staff accounts');
  staff
    .command('create-admin')
    .description(
      'create the first admin (refused when an active admin exists); password from REFUND_DESK_PASSWORD',
    )
    .requiredOption('--email <email>', 'sign-in email')
    .requiredOption('--name <name>', 'display name')
    .action(async (options: { email: string; name: string }) => {
      const password = process.env['REFUND_DESK_PASSWORD'];
      if (password === undefined)
        return fail("set REFUND_DESK_PASSWORD to the new admin's password");
      await withDesk(async (deps) => {
        const { bootstrapAdmin } = await import('../app/auth/staff.js');
        const result = await bootstrapAdmin(deps, {
          email: options.email,
          name: options.name,
          password,
        });
        if (!result.ok) {
          const detail =
            'errors' in result.error
              ? `: ${result.error.errors.map(formatFieldError).join('; ')}`
              : '';
          return fail(`admin not created (${result.error.code}${detail})`);
        }
        process.stdout.write(`created admin ${result.value.email} (${result.value.id})\n`);
      });
    });

  const payouts = program.command('payouts').description('refunds to the original payment method');
  payouts
    .command('batch')
    .description(
      'put the bank transfer (or manual) payouts waiting to be paid into a new batch and write its CSV for finance',
    )
    .requiredOption('--method <method>', 'bank_transfer or manual')
    .requiredOption('--out <dir>', 'the folder to write payouts-<method>-<batch id>.csv into')
    .action(async (options: { method: string; out: string }) => {
      if (options.method !== 'bank_transfer' && options.method !== 'manual') {
        return fail(`--method must be bank_transfer or manual, not ${options.method}`);
      }
      const method = options.method;
      await withDesk(async (deps) => {
        const { runPayoutBatchCommand } = await import('./payouts.js');
        process.exitCode = await runPayoutBatchCommand(
          deps,
          { method, outDir: options.out },
          {
            stdout: (line) => process.stdout.write(`${line}\n`),
            stderr: (line) => process.stderr.write(`${line}\n`),
          },
        );
      });
    });

  const apiKey = program.command('api-key').description('API keys for systems');
  apiKey
    .command('create')
    .description('create a key and print it once')
    .requiredOption('--name <name>', 'what the key is for')
    .requiredOption('--scopes <scopes>', `comma-separated scopes`)
    .action(async (options: { name: string; scopes: string }) => {
      await withDesk(async (deps) => {
        const { API_KEY_SCOPES, createApiKey } = await import('../app/auth/api-keys.js');
        const scopes = options.scopes.split(',').map((scope) => scope.trim());
        const unknown = scopes.filter(
          (scope) => !(API_KEY_SCOPES as readonly string[]).includes(scope),
        );
        if (unknown.length > 0)
          return fail(
            `unknown scope ${unknown.join(', ')}; scopes are ${API_KEY_SCOPES.join(', ')}`,
          );
        const created = await createApiKey(
          deps,
          { actor: { kind: 'system', id: 'cli' }, ip: null },
          {
            name: options.name,
            scopes: scopes as (typeof API_KEY_SCOPES)[number][],
          },
        );
        process.stdout.write(`${created.key}\n`);
        process.stderr.write(`created API key ${created.id}; the key above is shown only once\n`);
      });
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
