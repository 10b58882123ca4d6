/** SNIP-9 v2 outside executions as typed data (what a paymaster asks an account to sign). */
import type { TypedData } from 'starknet';

import { PreflightError } from './errors.js';
import { type Felt, decodeShortString, hex, selectorOf, toFelt } from './felt.js';
import { ANY_CALLER, OUTSIDE_EXECUTION_DOMAIN_NAME, type OutsideExecution } from './snip12.js';
import { STARKNET_DOMAIN_FIELDS } from './typed-data.js';

/** Whether a typed-data domain is SNIP-9 version 2's (`Account.execute_from_outside`, version 2, revision 1). */
export function isOutsideExecutionDomain(domain: TypedData['domain']): boolean {
  return domain.name === OUTSIDE_EXECUTION_DOMAIN_NAME && ['2', '0x2'].includes(String(domain.version)) && String(domain.revision) === '1';
}

/** An outside execution as SNIP-9 v2 typed data on `chainId` (what a wallet or a paymaster shows). */
export function outsideExecutionTypedData(execution: OutsideExecution, chainId: Felt): TypedData {
  return {
    types: {
      StarknetDomain: STARKNET_DOMAIN_FIELDS,
      OutsideExecution: [
        { name: 'Caller', type: 'ContractAddress' },
        { name: 'Nonce', type: 'felt' },
        { name: 'Execute After', type: 'u128' },
        { name: 'Execute Before', type: 'u128' },
        { name: 'Calls', type: 'Call*' },
      ],
      Call: [
        { name: 'To', type: 'ContractAddress' },
        { name: 'Selector', type: 'selector' },
        { name: 'Calldata', type: 'felt*' },
      ],
    },
    primaryType: 'OutsideExecution',
    domain: { name: OUTSIDE_EXECUTION_DOMAIN_NAME, version: '2', chainId: decodeShortString(chainId), revision: '1' },
    message: {
      Caller: hex(execution.caller),
      Nonce: hex(execution.nonce),
      'Execute After': hex(execution.executeAfter),
      'Execute Before': hex(execution.executeBefore),
      Calls: execution.calls.map((call) => ({ To: hex(call.to), Selector: hex(call.selector), Calldata: call.calldata.map(hex) })),
    },
  };
}

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
