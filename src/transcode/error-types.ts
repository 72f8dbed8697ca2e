// Failure types that no retry can fix; activities throw them, retry policies stop on them.
export const NON_RETRYABLE_ERROR_TYPES = [
  'InvalidInput',
  'AuthenticationFailed',
  'InvalidRequest',
  'ResourceOwnedByAnother',
  'PoolResizeError',
  'PoolUnusable',
  'NotFound',
] as const;
