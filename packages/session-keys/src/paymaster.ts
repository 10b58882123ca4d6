/**
 * Gasless session transactions through a SNIP-29 paymaster (`session-paymaster`, or any SNIP-29
 * server), with its API key: the paymaster builds a SNIP-9 outside execution; this module checks
 * that it runs exactly the requested calls (plus, when the user pays in a token, one transfer of at
 * most the agreed maximum) before the session signs it.
 */
import { PaymasterRpc, type TypedData, typedData as typedDataUtils } from 'starknet';

import { PaymasterError } from './errors.js';
import { type Felt, decodeShortString, hex, selectorOf, starknetKeccak } from './felt.js';
import { isOutsideExecutionDomain, outsideExecutionFromTypedData } from './outside-execution.js';
import { readU256 } from './policy.js';
import { type FeltCall, OUTSIDE_EXECUTION_TYPE, type OutsideExecution, outsideExecutionHash } from './snip12.js';

/** How the transaction's gas is paid. */
export type PaymasterFeeMode =
  | { mode: 'sponsored' }
  | { mode: 'default'; gasToken: Felt; maxFeeInGasToken: bigint };

/** Where to send gasless transactions. */
export interface PaymasterConnection {
  /** The paymaster's JSON-RPC URL. */
  nodeUrl: string;
  /** The app's API key (`x-paymaster-api-key`). */
  apiKey?: string;
}

/** A SNIP-29 client with the API key header set. */
export function paymasterClient(connection: PaymasterConnection): PaymasterRpc {
  return new PaymasterRpc({
    nodeUrl: connection.nodeUrl,
    headers: connection.apiKey === undefined ? {} : { 'x-paymaster-api-key': connection.apiKey },
  });
}

/** A paymaster's failure as a `PaymasterError` (its SNIP-29 code kept). */
export function paymasterFailure(context: string, cause: unknown): PaymasterError {
  if (cause instanceof PaymasterError) return cause;
  const base = (cause as { baseError?: { code?: unknown; message?: unknown; data?: unknown } }).baseError;
  if (base && typeof base.code === 'number') {
    const data = typeof base.data === 'string' ? `: ${base.data}` : '';
    return new PaymasterError('REFUSED', `${context}: the paymaster refused (${String(base.message)}${data})`, base.code, { cause });
  }
  return new PaymasterError('UNAVAILABLE', `${context}: ${cause instanceof Error ? cause.message : String(cause)}`, undefined, { cause });
}

const sameCall = (a: FeltCall, b: FeltCall): boolean =>
  a.to === b.to && a.selector === b.selector && a.calldata.length === b.calldata.length && a.calldata.every((felt, index) => felt === b.calldata[index]);

/**
 * Checks what a paymaster built for `account` on `chainId`: SNIP-9 v2 typed data whose calls are
 * `requested`, in order, then — only in `default` fee mode — at most one `transfer` of the gas
 * token of at most `maxFeeInGasToken`, and whose message hash is that execution's. Returns the outside
 * execution; throws `PaymasterError('TAMPERED')`.
 */
export function checkBuiltTransaction(
  data: TypedData,
  chainId: Felt,
  account: Felt,
  requested: readonly FeltCall[],
  feeMode: PaymasterFeeMode,
): OutsideExecution {
  const tampered = (why: string): never => {
    throw new PaymasterError('TAMPERED', `the paymaster's transaction was refused before signing: ${why}`);
  };
  const { domain } = data;
  if (!isOutsideExecutionDomain(domain)) tampered('not a SNIP-9 version 2 outside execution');
  const domainChain = String(domain.chainId);
  const sameChain = /^0x[0-9a-fA-F]+$/.test(domainChain) ? BigInt(domainChain) === chainId : domainChain === decodeShortString(chainId);
  if (!sameChain) tampered('another chain');
  if (data.primaryType !== 'OutsideExecution') tampered(`primary type ${data.primaryType}`);
  let typeHash: bigint;
  try {
    typeHash = BigInt(typedDataUtils.getTypeHash(data.types, 'OutsideExecution', '1'));
  } catch {
    return tampered('malformed types');
  }
  if (typeHash !== starknetKeccak(OUTSIDE_EXECUTION_TYPE)) tampered('types other than SNIP-9 v2');
  const execution = outsideExecutionFromTypedData(data);
  const built = execution.calls;
  requested.forEach((call, index) => {
    const got = built[index];
    if (got === undefined || !sameCall(got, call)) tampered(`call ${index} differs from the one requested`);
  });
  const extra = built.slice(requested.length);
  if (extra.length > (feeMode.mode === 'default' ? 1 : 0)) tampered(`${extra.length} calls added`);
  const [transfer] = extra;
  if (transfer !== undefined && feeMode.mode === 'default') {
    if (transfer.to !== feeMode.gasToken || transfer.selector !== selectorOf('transfer')) {
      tampered('the added call is not a transfer of the gas token');
    }
    const amount = readU256(transfer.calldata, 1);
    if (amount === undefined || transfer.calldata.length !== 3) tampered('the fee transfer is malformed');
    if (amount! > feeMode.maxFeeInGasToken) {
      tampered(`the fee transfer of ${amount} is above the maximum of ${feeMode.maxFeeInGasToken}`);
    }
  }
  // What a wallet would hash from this typed data must be the execution read from it.
  if (BigInt(typedDataUtils.getMessageHash(data, hex(account))) !== outsideExecutionHash(execution, chainId, account)) {
    tampered('its message hash is not the outside execution it describes');
  }
  return execution;
}
