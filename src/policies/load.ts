/** Policy documents on disk: YAML or JSON files, validated and compiled by the engine. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as YamlModule from 'yaml';
import {
  compilePolicy,
  formatFieldError,
  type FieldError,
  type Policy,
  type Result,
} from '../engine/index.js';

// The YAML parser costs ~50 ms to load; a lazy getter keeps it off the cold path.
const require = createRequire(import.meta.url);
const yaml = {
  parse(text: string, options: object): unknown {
    return (require('yaml') as typeof YamlModule).parse(text, options);
  },
};

/** The folder of shipped policy documents: `policies/<id>/v<version>.json` (or .yaml). */
export const SHIPPED_POLICIES_DIR = fileURLToPath(new URL('../../policies/', import.meta.url));

export class PolicyFileError extends Error {
  constructor(
    readonly path: string,
    readonly errors: readonly FieldError[],
  ) {
    super(`${path}: ${errors.map(formatFieldError).join('; ')}`);
    this.name = 'PolicyFileError';
  }
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Parses a policy document's text: JSON when it starts with `{`, YAML otherwise. The YAML
 * parser is loaded only when needed, so deciding under the shipped (JSON) policy stays fast.
 */
export function parsePolicyText(text: string): Result<Policy, FieldError[]> {
  let document: unknown;
  try {
    document = text.trimStart().startsWith('{') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    return {
      ok: false,
      error: [{ pointer: '', message: `is not valid JSON or YAML: ${oneLine(error)}` }],
    };
  }
  return compilePolicy(document);
}

function parseYaml(text: string): unknown {
  return yaml.parse(text, { prettyErrors: false, uniqueKeys: true });
}

export function readPolicyFile(path: string): Result<Policy, FieldError[]> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    return { ok: false, error: [{ pointer: '', message: `cannot be read (${code})` }] };
  }
  return parsePolicyText(text);
}

/** Loads and validates a policy document; throws `PolicyFileError` naming each bad field. */
export function loadPolicy(path: string): Policy {
  const result = readPolicyFile(path);
  if (!result.ok) throw new PolicyFileError(path, result.error);
  return result.value;
}

let shipped: readonly Policy[] | undefined;

/** Every shipped policy version, loaded once. A broken shipped document is a bug: it throws. */
export function shippedPolicies(): readonly Policy[] {
  if (shipped === undefined) {
    const loaded: Policy[] = [];
    for (const id of readdirSync(SHIPPED_POLICIES_DIR).sort()) {
      const folder = join(SHIPPED_POLICIES_DIR, id);
      for (const file of readdirSync(folder)
        .filter((name) => /^v[0-9]+\.(json|ya?ml)$/.test(name))
        .sort()) {
        loaded.push(loadPolicy(join(folder, file)));
      }
    }
    shipped = loaded;
  }
  return shipped;
}

/** The shipped document for the default policy id, at its latest version. */
export const DEFAULT_POLICY_ID = 'okkproxy';

const versionsById = new Map<string, readonly Policy[]>();

/** The shipped versions of one policy, oldest first (computed once per id). */
export function shippedVersions(id: string = DEFAULT_POLICY_ID): readonly Policy[] {
  let versions = versionsById.get(id);
  if (versions === undefined) {
    versions = shippedPolicies()
      .filter((policy) => policy.id === id)
      .sort((a, b) => a.version - b.version);
    versionsById.set(id, versions);
  }
  return versions;
}
