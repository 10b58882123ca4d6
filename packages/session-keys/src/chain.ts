/**
 * Reading the session account's state from the chain (views of `ISession`), the chain's clock,
 * and turning a node's refusal into a `ChainError` with the contract's short revert reason.
 */
import type { RpcProvider } from 'starknet';

import { ChainError } from './errors.js';
import { type Felt, U256_MAX, hex } from './felt.js';
import { type SessionUsage, emptyUsage, spendKey } from './preflight.js';
import type { Session } from './session.js';

/** The account's revert reasons start with one of these (`'Session: expired'`). */
const REASON = /(?:Session|Account|WebAuthn|SNIP9): [A-Za-z0-9 ,.'-]*?[a-z0-9](?=['"\\)]|$)/;

/** The contract's short revert reason found in a node's error message, if any. */
export function revertReason(message: string): string | undefined {
  return REASON.exec(message)?.[0];
}

/** Wraps a node or RPC failure in a `ChainError` naming `context` and the revert reason. */
export function chainError(context: string, cause: unknown): ChainError {
  if (cause instanceof ChainError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  const reason = revertReason(message);
  return reason
    ? new ChainError('REJECTED', `${context}: the account refused it (${reason})`, reason, { cause })
    : new ChainError('RPC', `${context}: ${message.split('\n')[0]}`, undefined, { cause });
}

async function view(provider: RpcProvider, account: Felt, entrypoint: string, calldata: Felt[]): Promise<bigint[]> {
  try {
    const result = await provider.callContract(
      { contractAddress: hex(account), entrypoint, calldata: calldata.map(hex) },
      'pre_confirmed',
    );
    return result.map((felt) => BigInt(felt));
  } catch (cause) {
    throw chainError(`reading ${entrypoint} of ${hex(account)}`, cause);
  }
}

/** Calls a boolean or integer view of the account and returns its first felt. */
export async function readAccount(
  provider: RpcProvider,
  account: Felt,
  entrypoint: string,
  calldata: Felt[] = [],
): Promise<bigint> {
  const [first] = await view(provider, account, entrypoint, calldata);
  return first ?? 0n;
}

/**
 * What `session` has used on the account, as the account counts it (nothing before its first use);
 * `stored` says whether the account stores the session, when the caller already read it.
 */
export async function readUsage(
  provider: RpcProvider,
  account: Felt,
  session: Session,
  sessionHash: Felt,
  stored?: boolean,
): Promise<SessionUsage> {
  const usage = emptyUsage();
  const { policy } = session;
  if (policy.maxCalls === undefined && policy.feeBudget === undefined && policy.spendLimits.length === 0) return usage;
  const isStored = stored ?? (await readAccount(provider, account, 'is_session_cached', [sessionHash])) !== 0n;
  if (!isStored) return usage;
  for (const limit of policy.spendLimits) {
    if (limit.amount === U256_MAX) continue;
    const [low = 0n, high = 0n] = await view(provider, account, 'get_session_spend_left', [
      sessionHash,
      limit.token,
      BigInt(limit.period),
    ]);
    const left = (high << 128n) + low;
    usage.spent.set(spendKey(limit.token, limit.period), left >= limit.amount ? 0n : limit.amount - left);
  }
  if (policy.maxCalls !== undefined) {
    const left = await readAccount(provider, account, 'get_session_calls_left', [sessionHash]);
    usage.calls = Math.max(0, policy.maxCalls - Number(left));
  }
  if (policy.feeBudget !== undefined) {
    const left = await readAccount(provider, account, 'get_session_fee_budget_left', [sessionHash]);
    usage.feesCommitted = left >= policy.feeBudget ? 0n : policy.feeBudget - left;
  }
  return usage;
}

/** The chain's time: the latest block's timestamp (never earlier than the local clock). */
export async function chainNow(provider: RpcProvider): Promise<number> {
  const local = Math.floor(Date.now() / 1000);
  try {
    const block = await provider.getBlockWithTxHashes('latest');
    return Math.max(local, Number(block.timestamp));
  } catch (cause) {
    throw chainError('reading the latest block', cause);
  }
}

/** Waits for a transaction; throws `ChainError('REVERTED')` with the revert reason if it reverted. */
export async function waitForSuccess(provider: RpcProvider, transactionHash: string): Promise<void> {
  let receipt;
  try {
    receipt = await provider.waitForTransaction(transactionHash, { retryInterval: 200 });
  } catch (cause) {
    throw chainError(`transaction ${transactionHash}`, cause);
  }
  if (receipt.isReverted()) {
    const message = receipt.value.revert_reason ?? '';
    const reason = revertReason(message);
    throw new ChainError('REVERTED', `transaction ${transactionHash} reverted${reason ? `: ${reason}` : ''}`, reason);
  }
}
