/** starknet.js calls as the protocol sees them: contract, selector and calldata felts. */
import { CallData, type Call } from 'starknet';

import { type Felt, selectorOf, toFelt } from './felt.js';
import type { FeltCall } from './snip12.js';

/**
 * A starknet.js call as felts: the entrypoint hashed as a name (exactly what starknet.js puts in
 * `__execute__` calldata, even for a hex-looking entrypoint), the calldata compiled.
 */
export function toFeltCall(call: Call): FeltCall {
  const calldata = call.calldata === undefined ? [] : CallData.toCalldata(call.calldata).map((felt) => BigInt(felt));
  return { to: toFelt(call.contractAddress, 'contract address'), selector: selectorOf(call.entrypoint), calldata };
}

/** Selectors of these calls mapped to their entrypoint names (for readable refusals). */
export function entrypointNamesOf(calls: readonly Call[]): Map<Felt, string> {
  return new Map(calls.map((call) => [selectorOf(call.entrypoint), call.entrypoint]));
}
