// Darkroom's one error type: a stable machine-readable code, a message a user can act on,
// and the HTTP status for that code, chosen here and nowhere else.

export const ERROR_STATUS = {
  invalid_parameter: 400,
  unauthorized: 401,
  insufficient_credits: 402,
  forbidden: 403,
  /** A state-changing request from a page of another origin (cross-site request forgery). */
  origin_not_allowed: 403,
  /** A Host this server does not answer to (DNS rebinding). */
  host_not_allowed: 421,
  conflict: 409,
  rate_limited: 429,
  invalid_image: 400,
  image_too_large: 413,
  not_found: 404,
  model_not_found: 404,
  queue_full: 429,
  /** The caller has as many jobs queued as one account may (DARKROOM_QUEUE_LIMIT_PER_ACCOUNT). */
  account_queue_full: 429,
  payload_too_large: 413,
  unsupported_media_type: 415,
  model_invalid: 422,
  model_exists: 409,
  unsupported_operation: 422,
  content_blocked: 422,
  /** An Idempotency-Key sent again with a different request. */
  idempotency_key_reused: 422,
  /** A job past the model's size limit or the server's memory budget, refused before it runs. */
  too_large: 422,
  /** onnxruntime could not get the memory a run asked for. */
  out_of_memory: 507,
  download_failed: 502,
  checksum_mismatch: 502,
  cancelled: 499,
  /** A job the server stopped in the middle of, twice: try again. */
  interrupted: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

const MARKER = Symbol.for('darkroom.error');

export class DarkroomError extends Error {
  readonly [MARKER] = true;
  override readonly name = 'DarkroomError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  /** True for Darkroom errors from any copy of this module (workers, bundles). */
  static isInstance(value: unknown): value is DarkroomError {
    return typeof value === 'object' && value !== null && MARKER in value;
  }
}

export function invalidParameter(message: string): DarkroomError {
  return new DarkroomError('invalid_parameter', message);
}

/** `value` when it is one of `values`; otherwise invalid_parameter naming `what` and the choices. */
export function expectOneOf<T>(values: readonly T[], value: unknown, what: string): T {
  if (!values.includes(value as T)) throw invalidParameter(`Expected ${what} to be one of ${values.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

/** The error an aborted operation ends with, whatever the abort reason was. */
export function cancelled(): DarkroomError {
  return new DarkroomError('cancelled', 'The job was cancelled.');
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled();
}
