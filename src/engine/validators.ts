/** Typed faces of the ahead-of-time compiled validators in generated/. */
import type { ErrorObject } from 'ajv/dist/2020.js';
import * as generated from './generated/validators.js';

export interface Validator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export const validateCaseFirst = generated.validateCaseFirst as Validator;
export const validateCaseAll = generated.validateCaseAll as Validator;
export const validatePolicyAll = generated.validatePolicyAll as Validator;
