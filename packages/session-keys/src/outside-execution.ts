/** SNIP-9 v2 outside executions as typed data (what a paymaster asks an account to sign). */
import type { TypedData } from 'starknet';

import { PreflightError } from './errors.js';
import { selectorOf, toFelt } from './felt.js';
import { ANY_CALLER, type OutsideExecution } from './snip12.js';

/** Reads a SNIP-9 v2 outside execution out of its typed data (as a paymaster returns it). */
export function outsideExecutionFromTypedData(data: TypedData): OutsideExecution {
  const message = data.message as Record<string, unknown>;
  const felt = (value: unknown, what: string): bigint => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return toFelt(value, what);
    throw new PreflightError('MESSAGE_NOT_ALLOWED', `the outside execution's ${what} is missing`);
  };
  const calls = (Array.isArray(message.Calls) ? message.Calls : []) as { To: string; Selector: string; Calldata: string[] }[];
  return {
    caller: message.Caller === undefined ? ANY_CALLER : felt(message.Caller, 'caller'),
    nonce: felt(message.Nonce, 'nonce'),
    executeAfter: felt(message['Execute After'], 'execute after'),
    executeBefore: felt(message['Execute Before'], 'execute before'),
    // A typed-data `selector` is a hex selector or a name (as starknet.js hashes typed data).
    calls: calls.map((call) => ({
      to: felt(call.To, 'call address'),
      selector: /^0x[0-9a-fA-F]+$/.test(call.Selector) ? toFelt(call.Selector, 'selector') : selectorOf(call.Selector),
      calldata: (call.Calldata ?? []).map((value) => felt(value, 'calldata')),
    })),
  };
}
