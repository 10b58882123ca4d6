/**
 * SNIP-12 revision 1 hashing, byte for byte as starknet.js, the Rust crates and the contract
 * compute it: the protocol's type strings, domains, message hashes, and SNIP-9 v2 outside executions.
 */
import { type Felt, poseidonMany, poseidonPair, shortString, starknetKeccak, u256Words } from './felt.js';

/** The revision 1 domain type. */
export const STARKNET_DOMAIN_TYPE =
  '"StarknetDomain"("name":"shortstring","version":"shortstring","chainId":"shortstring","revision":"shortstring")';
/** SNIP-12's preset `u256`. */
export const U256_TYPE = '"u256"("low":"u128","high":"u128")';
/** SNIP-12's preset `TokenAmount` (wallets show an amount of a token). */
export const TOKEN_AMOUNT_TYPE = '"TokenAmount"("token_address":"ContractAddress","amount":"u256")';
/** One spend limit of a policy. */
export const SPEND_LIMIT_TYPE = '"Spend Limit"("Token Amount":"TokenAmount","Window Seconds":"u128")';
/** A session's limits. */
export const POLICY_TYPE =
  '"Policy"("Max Fee Per Transaction":"u128","Fee Budget":"u128","Max Calls":"u128","Spend Limits":"Spend Limit*","Valid After":"timestamp","Calls And Fees Window":"u128")';
/** The session (a `merkletree` field's leaf type is not referenced). */
export const SESSION_TYPE =
  '"Session"("Session Key":"felt","Expires At":"timestamp","Allowed Methods":"merkletree","Policy":"Policy","Epoch":"felt","Allowed Messages":"Allowed Message*")';
/** An off-chain message kind a session may sign. */
export const ALLOWED_MESSAGE_TYPE = '"Allowed Message"("Domain Hash":"felt","Type Hash":"felt")';
/** The allowed-method leaf. */
export const ALLOWED_METHOD_TYPE =
  '"Allowed Method"("Contract Address":"ContractAddress","Selector":"selector","Argument Rules":"Argument Rule*")';
/** One argument rule of an allowed method. */
export const ARGUMENT_RULE_TYPE =
  '"Argument Rule"("Kind":"shortstring","Argument Index":"u128","Values":"felt*","Bound":"u256")';
/** SNIP-9 v2's outside execution, its `Call` type appended. */
export const OUTSIDE_EXECUTION_TYPE =
  '"OutsideExecution"("Caller":"ContractAddress","Nonce":"felt","Execute After":"u128","Execute Before":"u128","Calls":"Call*")"Call"("To":"ContractAddress","Selector":"selector","Calldata":"felt*")';
/** SNIP-9's `Call`. */
export const CALL_TYPE = '"Call"("To":"ContractAddress","Selector":"selector","Calldata":"felt*")';

/** Domain name of session authorizations. */
export const SESSION_DOMAIN_NAME = 'Session Account';
/** Domain version of session authorizations (the integer 1). */
export const SESSION_DOMAIN_VERSION: Felt = 1n;
/** Domain name of SNIP-9 outside executions. */
export const OUTSIDE_EXECUTION_DOMAIN_NAME = 'Account.execute_from_outside';
/** Domain version of SNIP-9 version 2 (the integer 2). */
export const OUTSIDE_EXECUTION_DOMAIN_VERSION: Felt = 2n;
/** `'ANY_CALLER'`: an outside execution anyone may submit. */
export const ANY_CALLER: Felt = shortString('ANY_CALLER');

/** A call as the protocol hashes it: contract, selector, calldata felts. */
export interface FeltCall {
  /** The contract called. */
  to: Felt;
  /** The entrypoint's selector. */
  selector: Felt;
  /** The serialized arguments. */
  calldata: Felt[];
}

const REFERENCES: Record<string, string[]> = {
  [SESSION_TYPE]: [ALLOWED_MESSAGE_TYPE, POLICY_TYPE, SPEND_LIMIT_TYPE, TOKEN_AMOUNT_TYPE, U256_TYPE],
  [POLICY_TYPE]: [SPEND_LIMIT_TYPE, TOKEN_AMOUNT_TYPE, U256_TYPE],
  [SPEND_LIMIT_TYPE]: [TOKEN_AMOUNT_TYPE, U256_TYPE],
  [TOKEN_AMOUNT_TYPE]: [U256_TYPE],
  [ALLOWED_METHOD_TYPE]: [ARGUMENT_RULE_TYPE, U256_TYPE],
  [ARGUMENT_RULE_TYPE]: [U256_TYPE],
};

/** The encoded type of one of the protocol's types: it, then the types it references sorted by name. */
export function encodedType(primary: string): string {
  return primary + (REFERENCES[primary] ?? []).join('');
}

const typeHashes = new Map<string, Felt>();

/** starknet_keccak of a protocol type's encoded type (cached). */
export function protocolTypeHash(primary: string): Felt {
  let cached = typeHashes.get(primary);
  if (cached === undefined) {
    cached = starknetKeccak(encodedType(primary));
    typeHashes.set(primary, cached);
  }
  return cached;
}

/** Struct hash of SNIP-12's preset `u256`. */
export function u256StructHash(value: bigint): Felt {
  return poseidonMany([protocolTypeHash(U256_TYPE), ...u256Words(value)]);
}

/** Struct hash of SNIP-12's preset `TokenAmount`. */
export function tokenAmountStructHash(token: Felt, amount: bigint): Felt {
  return poseidonMany([protocolTypeHash(TOKEN_AMOUNT_TYPE), token, u256StructHash(amount)]);
}

/** The revision 1 domain hash. */
export function domainHash(name: Felt, version: Felt, chainId: Felt): Felt {
  return poseidonMany([starknetKeccak(STARKNET_DOMAIN_TYPE), name, version, chainId, 1n]);
}

/** The message hash a signer signs for `account` under a domain. */
export function messageHash(domain: Felt, account: Felt, structHash: Felt): Felt {
  return poseidonMany([shortString('StarkNet Message'), domain, account, structHash]);
}

/** The domain hash of session authorizations on `chainId`. */
export function sessionDomainHash(chainId: Felt): Felt {
  return domainHash(shortString(SESSION_DOMAIN_NAME), SESSION_DOMAIN_VERSION, chainId);
}

/** The `merkletree` leaf of an allowed method whose argument rules have these struct hashes. */
export function allowedMethodLeaf(contractAddress: Felt, selector: Felt, ruleHashes: readonly Felt[]): Felt {
  return poseidonMany([protocolTypeHash(ALLOWED_METHOD_TYPE), contractAddress, selector, poseidonMany(ruleHashes)]);
}

/** A Merkle node of two children: `poseidon_hash(min, max)` (Hades, capacity 2). */
export function merklePairHash(a: Felt, b: Felt): Felt {
  return a < b ? poseidonPair(a, b) : poseidonPair(b, a);
}

/** What a session key signs: a transaction (or outside-execution) hash bound to the session. */
export function sessionKeyMessage(authorizedHash: Felt, sessionHash: Felt): Felt {
  return poseidonMany([authorizedHash, sessionHash]);
}

/** What a session key signs for an off-chain message: never a transaction's digest. */
export function sessionMessageDigest(messageHashValue: Felt, sessionHash: Felt): Felt {
  return poseidonMany([shortString('session message'), messageHashValue, sessionHash]);
}

/** The epoch after a revoke-all or owner rotation in transaction `transactionHash` of block `blockNumber`. */
export function nextEpoch(previous: Felt, transactionHash: Felt, blockNumber: bigint): Felt {
  return poseidonMany([shortString('session epoch'), previous, transactionHash, blockNumber]);
}

/** What a new owner signs to accept ownership of `account` from `currentOwner`. */
export function ownerRotationHash(chainId: Felt, account: Felt, currentOwner: Felt, newOwner: Felt): Felt {
  return poseidonMany([shortString('accept_ownership'), chainId, account, currentOwner, newOwner]);
}

/** `calls` as Cairo serializes an `Array<Call>` (the `__execute__` calldata). */
export function serializeCalls(calls: readonly FeltCall[]): Felt[] {
  const felts: Felt[] = [BigInt(calls.length)];
  for (const call of calls) felts.push(call.to, call.selector, BigInt(call.calldata.length), ...call.calldata);
  return felts;
}

/** A SNIP-9 version 2 outside execution. */
export interface OutsideExecution {
  /** Who may submit it (`ANY_CALLER` for anyone). */
  caller: Felt;
  /** A nonce, usable once. */
  nonce: Felt;
  /** The block time must be strictly after this. */
  executeAfter: bigint;
  /** The block time must be strictly before this. */
  executeBefore: bigint;
  /** The calls to run. */
  calls: FeltCall[];
}

/** The SNIP-9 v2 message hash of an outside execution for `account` on `chainId`. */
export function outsideExecutionHash(execution: OutsideExecution, chainId: Felt, account: Felt): Felt {
  const callType = starknetKeccak(CALL_TYPE);
  const callHashes = execution.calls.map((call) =>
    poseidonMany([callType, call.to, call.selector, poseidonMany(call.calldata)]),
  );
  const structHash = poseidonMany([
    starknetKeccak(OUTSIDE_EXECUTION_TYPE),
    execution.caller,
    execution.nonce,
    execution.executeAfter,
    execution.executeBefore,
    poseidonMany(callHashes),
  ]);
  const domain = domainHash(shortString(OUTSIDE_EXECUTION_DOMAIN_NAME), OUTSIDE_EXECUTION_DOMAIN_VERSION, chainId);
  return messageHash(domain, account, structHash);
}

/** The calldata of `execute_from_outside_v2` for an outside execution and its signature. */
export function outsideExecutionCalldata(execution: OutsideExecution, signature: readonly Felt[]): Felt[] {
  return [
    execution.caller,
    execution.nonce,
    execution.executeAfter,
    execution.executeBefore,
    ...serializeCalls(execution.calls),
    BigInt(signature.length),
    ...signature,
  ];
}
