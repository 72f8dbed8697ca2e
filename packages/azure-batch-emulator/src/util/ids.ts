import { Errors } from '../errors';

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Batch ids: letters, digits, hyphens and underscores, at most 64 (this also keeps paths safe). */
export function checkId(id: string, property = 'id'): void {
  if (!ID.test(id)) {
    throw Errors.invalidProperty(
      property,
      'may contain only letters, digits, hyphens and underscores, and at most 64 characters',
    );
  }
}

export function isValidId(id: string): boolean {
  return ID.test(id);
}
