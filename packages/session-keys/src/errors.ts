/** Every error this package throws: `code` names the refusal, `message` says it in one sentence. */
export class SessionKeysError extends Error {
  /** What went wrong, stable across releases (switch on it). */
  readonly code: string;

  /** An error `code` with its one-sentence `message`. */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Why a session (or a policy, or an argument rule) cannot be built. */
export type BuildErrorCode =
  | 'ZERO_SESSION_KEY'
  | 'NO_METHODS'
  | 'MISSING_EXPIRY'
  | 'LIFETIME_TOO_LONG'
  | 'INVALID_ENTRYPOINT'
  | 'INVALID_FELT'
  | 'EMPTY_RULE'
  | 'TOO_MANY_METHODS'
  | 'SPEND_WINDOW_NOT_WHOLE_HOURS'
  | 'DUPLICATE_SPEND_LIMIT'
  | 'AMOUNT_ABOVE_U128'
  | 'WINDOW_TOO_LONG'
  | 'BAD_LIMITS_WINDOW'
  | 'MALFORMED';

/** A session the account would refuse to authorize, or input that is not a felt. */
export class BuildError extends SessionKeysError {
  declare readonly code: BuildErrorCode;

  /** An error `code` with its one-sentence `message`. */
  constructor(code: BuildErrorCode, message: string) {
    super(code, message);
  }
}

/** Why the account would reject a session's calls or fee (checked before anything is signed). */
export type PreflightErrorCode =
  | 'METHOD_NOT_ALLOWED'
  | 'ARGUMENT_NOT_ALLOWED'
  | 'EXPIRED'
  | 'CALL_TO_SELF'
  | 'TOO_MANY_CALLS'
  | 'TOKEN_NOT_ALLOWED'
  | 'BAD_AMOUNT'
  | 'SPEND_LIMIT_EXCEEDED'
  | 'CALL_LIMIT_REACHED'
  | 'FEE_CAP_EXCEEDED'
  | 'FEE_BUDGET_EXCEEDED'
  | 'REVOKED'
  | 'PAUSED'
  | 'MESSAGE_NOT_ALLOWED';

/** A refusal the contract would make, found before signing: nothing was sent or paid. */
export class PreflightError extends SessionKeysError {
  declare readonly code: PreflightErrorCode;

  /** An error `code` with its one-sentence `message`. */
  constructor(code: PreflightErrorCode, message: string) {
    super(code, message);
  }
}

/** Why a passkey operation failed. */
export type PasskeyErrorCode =
  | 'NOT_SUPPORTED'
  | 'CANCELLED'
  | 'BAD_PUBLIC_KEY'
  | 'BAD_SIGNATURE'
  | 'MALFORMED';

/** WebAuthn refused, or returned something the account cannot use. */
export class PasskeyError extends SessionKeysError {
  declare readonly code: PasskeyErrorCode;

  /** An error `code` with its one-sentence `message`. */
  constructor(code: PasskeyErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Why the chain (or the RPC node) refused. */
export type ChainErrorCode = 'REJECTED' | 'REVERTED' | 'RPC';

/** The node refused a transaction (validation), it reverted, or the RPC call failed. */
export class ChainError extends SessionKeysError {
  declare readonly code: ChainErrorCode;
  /** The contract's short revert reason when one was found (`Session: expired`). */
  readonly reason: string | undefined;

  /** An error `code` with its one-sentence `message`. */
  constructor(code: ChainErrorCode, message: string, reason?: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.reason = reason;
  }
}

/** Why stored session material could not be used. */
export type StorageErrorCode = 'NO_PRF' | 'NOT_FOUND' | 'CORRUPT';

/** Encrypted persistence was unavailable or its record unusable. */
export class StorageError extends SessionKeysError {
  declare readonly code: StorageErrorCode;

  /** An error `code` with its one-sentence `message`. */
  constructor(code: StorageErrorCode, message: string) {
    super(code, message);
  }
}

/** Why gasless sending through a SNIP-29 paymaster failed. */
export type PaymasterErrorCode = 'TAMPERED' | 'REFUSED' | 'UNAVAILABLE';

/** SNIP-29 (150–163) and session-paymaster (170–177) error codes by name. */
export const PAYMASTER_ERROR_NAMES: Readonly<Record<number, string>> = {
  150: 'INVALID_ADDRESS',
  151: 'TOKEN_NOT_SUPPORTED',
  153: 'INVALID_SIGNATURE',
  154: 'MAX_AMOUNT_TOO_LOW',
  156: 'TRANSACTION_EXECUTION_ERROR',
  157: 'INVALID_TIME_BOUNDS',
  158: 'INVALID_DEPLOYMENT_DATA',
  160: 'INVALID_ID',
  163: 'UNKNOWN_ERROR',
  170: 'INVALID_API_KEY',
  171: 'CALL_NOT_SPONSORED',
  172: 'KEY_BUDGET_EXCEEDED',
  173: 'USER_BUDGET_EXCEEDED',
  174: 'RATE_LIMITED',
  175: 'MAX_FEE_EXCEEDED',
  176: 'FEE_MODE_NOT_ALLOWED',
  177: 'NONCE_ALREADY_USED',
};

/**
 * The paymaster built something other than what was asked (nothing was signed), refused the
 * request (`paymasterCode` says why), or could not be reached.
 */
export class PaymasterError extends SessionKeysError {
  declare readonly code: PaymasterErrorCode;
  /** The paymaster's JSON-RPC error code, for `REFUSED`. */
  readonly paymasterCode: number | undefined;

  /** An error `code` with its one-sentence `message`. */
  constructor(code: PaymasterErrorCode, message: string, paymasterCode?: number, options?: { cause?: unknown }) {
    super(code, message, options);
    this.paymasterCode = paymasterCode;
  }

  /** The SNIP-29 / session-paymaster name of `paymasterCode` (`CALL_NOT_SPONSORED`). */
  get paymasterCodeName(): string | undefined {
    return this.paymasterCode === undefined ? undefined : PAYMASTER_ERROR_NAMES[this.paymasterCode];
  }
}
