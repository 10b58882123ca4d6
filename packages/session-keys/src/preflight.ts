/**
 * Pre-flight: why the contract would reject a session's calls or fee, found before signing — the
 * same refusals, in the same order, as the Rust SDK (`session_core::preflight`).
 */
import { PreflightError } from './errors.js';
import { type Felt, U256_MAX, hex } from './felt.js';
import { type Policy, type SpendLimit, valueMoved } from './policy.js';
import { type Session, describeMethod } from './session.js';
import { MAX_SESSION_CALLS } from './signature.js';
import type { FeltCall } from './snip12.js';

/** What a session has used so far, as the account counts it (read from the chain). */
export interface SessionUsage {
  /** Calls made (in the current window with a limits window). */
  calls: number;
  /** Maximum fees committed (FRI). */
  feesCommitted: bigint;
  /** Amount moved per spend limit, keyed by `spendKey(token, period)`. */
  spent: Map<string, bigint>;
}

/** What a session may still do. */
export interface Remaining {
  /** Calls left, if limited. */
  calls?: number;
  /** Fee budget left (FRI), if limited. */
  fees?: bigint;
  /** Per limited spend limit: what may still be moved. */
  spend: { limit: SpendLimit; left: bigint }[];
}

/** The key of a spend limit in `SessionUsage.spent`. */
export function spendKey(token: Felt, period: number): string {
  return `${hex(token)}/${period}`;
}

/** No usage: a fresh session. */
export function emptyUsage(): SessionUsage {
  return { calls: 0, feesCommitted: 0n, spent: new Map() };
}

/** What remains of `policy` after `usage`. */
export function remainingOf(policy: Policy, usage: SessionUsage): Remaining {
  return {
    calls: policy.maxCalls === undefined ? undefined : Math.max(0, policy.maxCalls - usage.calls),
    fees:
      policy.feeBudget === undefined
        ? undefined
        : policy.feeBudget > usage.feesCommitted
          ? policy.feeBudget - usage.feesCommitted
          : 0n,
    spend: policy.spendLimits
      .filter((limit) => limit.amount !== U256_MAX)
      .map((limit) => {
        const spent = usage.spent.get(spendKey(limit.token, limit.period)) ?? 0n;
        return { limit, left: spent >= limit.amount ? 0n : limit.amount - spent };
      }),
  };
}

function perWindow(window: number): string {
  if (window === 0) return '';
  if (window === 3600) return ' per hour';
  if (window === 86_400) return ' per day';
  return window % 3600 === 0 ? ` per ${window / 3600}-hour window` : ` per ${window}-second window`;
}

function describePeriod(period: number): string {
  if (period === 0) return 'in total';
  if (period % 86_400 === 0) return `in this ${period / 86_400}-day window`;
  if (period % 3600 === 0) return `in this ${period / 3600}-hour window`;
  return `in this ${period}-second window`;
}

/**
 * Throws `PreflightError` when the account would reject `calls` from `session` at time `now`
 * (0 skips the expiry check) after `usage`; `names` maps selectors to entrypoint names for messages.
 */
export function checkSessionCalls(
  session: Session,
  account: Felt,
  calls: readonly FeltCall[],
  now: number,
  usage: SessionUsage = emptyUsage(),
  names?: ReadonlyMap<Felt, string>,
): void {
  if (calls.length > MAX_SESSION_CALLS) {
    throw new PreflightError(
      'TOO_MANY_CALLS',
      `${calls.length} calls exceed the maximum of ${MAX_SESSION_CALLS} per session transaction`,
    );
  }
  if (now >= session.expiresAt) {
    throw new PreflightError('EXPIRED', `session expired at ${session.expiresAt} (now ${now})`);
  }
  for (const call of calls) {
    if (call.to === account) {
      throw new PreflightError('CALL_TO_SELF', `sessions may never call the account itself (${hex(account)})`);
    }
    session.leafIndexFor(call, names);
  }
  const policy = session.policy;
  const moved = new Map<Felt, bigint>();
  for (const call of calls) {
    const amount = valueMoved(call);
    if (amount === undefined) continue;
    const what = describeMethod(call.to, call.selector, names ?? session.entrypointNames);
    if (amount === null) {
      throw new PreflightError('BAD_AMOUNT', `the amount of ${what} is missing or not a u256`);
    }
    if (!policy.spendLimits.some((limit) => limit.token === call.to)) {
      throw new PreflightError(
        'TOKEN_NOT_ALLOWED',
        `the session may not move or approve any amount of token ${hex(call.to)}`,
      );
    }
    const total = (moved.get(call.to) ?? 0n) + amount;
    moved.set(call.to, total > U256_MAX ? U256_MAX : total);
  }
  if (policy.maxCalls !== undefined && usage.calls + calls.length > policy.maxCalls) {
    throw new PreflightError(
      'CALL_LIMIT_REACHED',
      `${calls.length} more calls exceed the session's limit of ${policy.maxCalls} calls${perWindow(policy.limitsWindow)} (${usage.calls} made)`,
    );
  }
  for (const [token, amount] of moved) {
    for (const limit of policy.spendLimits.filter((candidate) => candidate.token === token)) {
      if (limit.amount === U256_MAX) continue;
      const spent = usage.spent.get(spendKey(token, limit.period)) ?? 0n;
      const remaining = spent >= limit.amount ? 0n : limit.amount - spent;
      if (amount > remaining) {
        throw new PreflightError(
          'SPEND_LIMIT_EXCEEDED',
          `moving ${amount} of token ${hex(token)} exceeds what the session may still move ${describePeriod(limit.period)}: ${remaining}`,
        );
      }
    }
  }
}

/** Throws `PreflightError` when a transaction's maximum fee breaks the session's fee cap or budget. */
export function checkSessionFee(session: Session, maxFee: bigint, feesCommitted: bigint): void {
  const { maxFeePerTx, feeBudget } = session.policy;
  if (maxFeePerTx !== undefined && maxFee > maxFeePerTx) {
    throw new PreflightError(
      'FEE_CAP_EXCEEDED',
      `the transaction's maximum fee ${maxFee} exceeds the session's cap of ${maxFeePerTx} per transaction`,
    );
  }
  if (feeBudget !== undefined) {
    const remaining = feeBudget > feesCommitted ? feeBudget - feesCommitted : 0n;
    if (maxFee > remaining) {
      throw new PreflightError(
        'FEE_BUDGET_EXCEEDED',
        `the transaction's maximum fee ${maxFee} exceeds the session's remaining fee budget of ${remaining}`,
      );
    }
  }
}
