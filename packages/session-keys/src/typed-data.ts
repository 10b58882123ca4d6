/**
 * A session as SNIP-12 revision 1 typed data: what a dapp hands to a wallet (`account.signMessage`),
 * which the wallet displays field by field. Values are written as the Rust crate writes them, so
 * the JSON is identical.
 */
import { type Felt, decodeShortString, hex, u256Words } from './felt.js';
import { type ArgumentRule, type Policy, type SpendLimit, policyWireLimits, ruleValuesAndBound } from './policy.js';
import type { Session } from './session.js';
import { SESSION_DOMAIN_NAME, SESSION_DOMAIN_VERSION } from './snip12.js';

/** One field of a typed-data type. */
export interface TypedDataField {
  /** The field's name. */
  name: string;
  /** Its SNIP-12 type. */
  type: string;
  /** The leaf type of a `merkletree`. */
  contains?: string;
}

/** A session's typed data (SNIP-12 revision 1). */
export interface SessionTypedData {
  /** The protocol's types. */
  types: Record<string, TypedDataField[]>;
  /** Always `Session`. */
  primaryType: 'Session';
  /** `Session Account`, version 1, the chain, revision 1. */
  domain: { name: string; version: string; chainId: string; revision: string };
  /** The session, as the wallet displays it. */
  message: Record<string, unknown>;
}

/** SNIP-12 revision 1's `StarknetDomain` type as typed-data JSON declares it. */
export const STARKNET_DOMAIN_FIELDS: TypedDataField[] = [
  { name: 'name', type: 'shortstring' },
  { name: 'version', type: 'shortstring' },
  { name: 'chainId', type: 'shortstring' },
  { name: 'revision', type: 'shortstring' },
];

/** The protocol's types as typed-data JSON declares them (presets `u256` and `TokenAmount` implied). */
export function sessionTypes(): Record<string, TypedDataField[]> {
  return {
    StarknetDomain: STARKNET_DOMAIN_FIELDS,
    Session: [
      { name: 'Session Key', type: 'felt' },
      { name: 'Expires At', type: 'timestamp' },
      { name: 'Allowed Methods', type: 'merkletree', contains: 'Allowed Method' },
      { name: 'Policy', type: 'Policy' },
      { name: 'Epoch', type: 'felt' },
      { name: 'Allowed Messages', type: 'Allowed Message*' },
    ],
    'Allowed Message': [
      { name: 'Domain Hash', type: 'felt' },
      { name: 'Type Hash', type: 'felt' },
    ],
    'Allowed Method': [
      { name: 'Contract Address', type: 'ContractAddress' },
      { name: 'Selector', type: 'selector' },
      { name: 'Argument Rules', type: 'Argument Rule*' },
    ],
    'Argument Rule': [
      { name: 'Kind', type: 'shortstring' },
      { name: 'Argument Index', type: 'u128' },
      { name: 'Values', type: 'felt*' },
      { name: 'Bound', type: 'u256' },
    ],
    Policy: [
      { name: 'Max Fee Per Transaction', type: 'u128' },
      { name: 'Fee Budget', type: 'u128' },
      { name: 'Max Calls', type: 'u128' },
      { name: 'Spend Limits', type: 'Spend Limit*' },
      { name: 'Valid After', type: 'timestamp' },
      { name: 'Calls And Fees Window', type: 'u128' },
    ],
    'Spend Limit': [
      { name: 'Token Amount', type: 'TokenAmount' },
      { name: 'Window Seconds', type: 'u128' },
    ],
  };
}

function u256(value: bigint): { low: string; high: string } {
  const [low, high] = u256Words(value);
  return { low: low.toString(), high: high.toString() };
}

function ruleValue(rule: ArgumentRule): Record<string, unknown> {
  const [values, bound] = ruleValuesAndBound(rule);
  return { Kind: rule.kind, 'Argument Index': String(rule.index), Values: values.map(hex), Bound: u256(bound) };
}

function spendLimitValue(limit: SpendLimit): Record<string, unknown> {
  return {
    'Token Amount': { token_address: hex(limit.token), amount: u256(limit.amount) },
    'Window Seconds': String(limit.period),
  };
}

/** A policy as a typed-data `Policy` value (no limit: the type's maximum). */
export function policyTypedDataValue(policy: Policy): Record<string, unknown> {
  const [maxFeePerTx, feeBudget, maxCalls] = policyWireLimits(policy);
  return {
    'Max Fee Per Transaction': maxFeePerTx.toString(),
    'Fee Budget': feeBudget.toString(),
    'Max Calls': maxCalls.toString(),
    'Spend Limits': policy.spendLimits.map(spendLimitValue),
    'Valid After': String(policy.validAfter),
    'Calls And Fees Window': String(policy.limitsWindow),
  };
}

/** The session's typed data on `chainId`; selectors found in `names` are shown by name. */
export function sessionTypedData(session: Session, chainId: Felt, names: ReadonlyMap<Felt, string>): SessionTypedData {
  return {
    types: sessionTypes(),
    primaryType: 'Session',
    domain: {
      name: SESSION_DOMAIN_NAME,
      version: SESSION_DOMAIN_VERSION.toString(),
      chainId: decodeShortString(chainId),
      revision: '1',
    },
    message: {
      'Session Key': hex(session.sessionKey),
      'Expires At': String(session.expiresAt),
      'Allowed Methods': session.allowedMethods.map((method) => ({
        'Contract Address': hex(method.contractAddress),
        Selector: names.get(method.selector) ?? hex(method.selector),
        'Argument Rules': method.rules.map(ruleValue),
      })),
      Policy: policyTypedDataValue(session.policy),
      Epoch: hex(session.epoch),
      'Allowed Messages': session.allowedMessages.map((message) => ({
        'Domain Hash': hex(message.domainHash),
        'Type Hash': hex(message.typeHash),
      })),
    },
  };
}
