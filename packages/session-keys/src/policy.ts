/**
 * Session policies — spend limits per token, a call limit, fee caps, a start time — and argument
 * rules of allowed methods: encoded, hashed and checked exactly as the contract does. A limit at its
 * type's maximum is no limit on the wire; here it is `undefined` (0 always means zero).
 */
import { BuildError } from './errors.js';
import {
  type Felt,
  type FeltLike,
  U128_MAX,
  U256_MAX,
  U64_MAX,
  compareFelts,
  hex,
  poseidonMany,
  selectorOf,
  shortString,
  toFelt,
  toUint,
  u256Words,
} from './felt.js';
import {
  ARGUMENT_RULE_TYPE,
  type FeltCall,
  POLICY_TYPE,
  SPEND_LIMIT_TYPE,
  protocolTypeHash,
  tokenAmountStructHash,
  u256StructHash,
} from './snip12.js';

/** Windows (spend, calls and fees) must be below 2^32 seconds. */
export const MAX_WINDOW_SECONDS = 2 ** 32 - 1;

/** How much of a token a session may move or approve: in total (`period` 0) or per window. */
export interface SpendLimit {
  /** The token contract. */
  token: Felt;
  /** The amount (u256; `U256_MAX` for unlimited). */
  amount: bigint;
  /** The window in seconds (a whole number of hours), 0 for the session's lifetime. */
  period: number;
}

/** A session's limits, normalised (spend limits sorted by token then period). */
export interface Policy {
  /** Maximum fee (FRI) of one transaction. */
  maxFeePerTx?: bigint;
  /** Maximum total of the transactions' maximum fees (per window with `limitsWindow`). */
  feeBudget?: bigint;
  /** Maximum number of calls (per window with `limitsWindow`). */
  maxCalls?: number;
  /** Spend limits; a value call (transfer, approve…) to an unlisted token is refused. */
  spendLimits: SpendLimit[];
  /** The session may not be used before this Unix time (0: from the start). */
  validAfter: number;
  /** The window of `maxCalls` and `feeBudget` in seconds (0: the session's lifetime). */
  limitsWindow: number;
}

/** A spend limit as an app writes it. */
export interface SpendLimitInput {
  /** The token contract. */
  token: FeltLike;
  /** The amount in the token's base unit, or `'unlimited'`. */
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- documents the keyword
  amount: FeltLike | 'unlimited';
  /** The window in seconds (a whole number of hours); omitted: the session's lifetime. */
  period?: number;
}

/** A policy as an app writes it (every field optional). */
export interface PolicyInput {
  /** Maximum fee (FRI) of one transaction. */
  maxFeePerTx?: FeltLike;
  /** Maximum total of maximum fees (FRI). */
  feeBudget?: FeltLike;
  /** Maximum number of calls. */
  maxCalls?: number;
  /** Spend limits per token. */
  spendLimits?: SpendLimitInput[];
  /** Not usable before this Unix time. */
  validAfter?: number;
  /** Window of `maxCalls` and `feeBudget`, in seconds. */
  limitsWindow?: number;
}

/** A rule on one argument (calldata index) of an allowed method; `kind` is its on-chain name. */
export type ArgumentRule =
  | { kind: 'equal'; index: number; value: Felt }
  | { kind: 'one of'; index: number; values: Felt[] }
  | { kind: 'at most'; index: number; bound: Felt }
  | { kind: 'at most u256'; index: number; bound: bigint }
  | { kind: 'at least'; index: number; bound: Felt }
  | { kind: 'at least u256'; index: number; bound: bigint }
  | { kind: 'not equal'; index: number; value: Felt }
  | { kind: 'total at most u256'; index: number; bound: bigint; period: number };

const KIND_ORDER: ArgumentRule['kind'][] = [
  'equal',
  'one of',
  'at most',
  'at most u256',
  'at least',
  'at least u256',
  'not equal',
  'total at most u256',
];

function isWholeHours(seconds: number): boolean {
  return seconds % 3600 === 0 && seconds <= MAX_WINDOW_SECONDS;
}

function seconds(value: number | undefined, what: string): number {
  const integer = value ?? 0;
  if (!Number.isSafeInteger(integer) || integer < 0) {
    throw new BuildError('INVALID_FELT', `${what} must be a whole number of seconds, not ${String(value)}`);
  }
  return integer;
}

/** Checks and normalises a policy as the contract requires it. */
export function normalizePolicy(input: PolicyInput = {}): Policy {
  const limited = (value: FeltLike | undefined, max: bigint, what: string): bigint | undefined => {
    if (value === undefined) return undefined;
    const integer = toUint(value, max, what);
    return integer === max ? undefined : integer;
  };
  const maxCalls = input.maxCalls === undefined ? undefined : toUint(input.maxCalls, U64_MAX, 'maxCalls');
  const policy: Policy = {
    maxFeePerTx: limited(input.maxFeePerTx, U128_MAX, 'maxFeePerTx'),
    feeBudget: limited(input.feeBudget, U128_MAX, 'feeBudget'),
    maxCalls: maxCalls === undefined || maxCalls === U64_MAX ? undefined : Number(maxCalls),
    spendLimits: (input.spendLimits ?? []).map((limit) => ({
      token: toFelt(limit.token, 'spend limit token'),
      amount: limit.amount === 'unlimited' ? U256_MAX : toUint(limit.amount, U256_MAX, 'spend limit amount'),
      period: seconds(limit.period, 'spend limit period'),
    })),
    validAfter: seconds(input.validAfter, 'validAfter'),
    limitsWindow: seconds(input.limitsWindow, 'limitsWindow'),
  };
  for (const limit of policy.spendLimits) {
    if (limit.amount > U128_MAX && limit.amount !== U256_MAX) {
      throw new BuildError(
        'AMOUNT_ABOVE_U128',
        `the spend limit of token ${hex(limit.token)} is above u128 max; give at most 2^128 - 1, or unlimited`,
      );
    }
    if (limit.period > MAX_WINDOW_SECONDS) {
      throw new BuildError(
        'WINDOW_TOO_LONG',
        `the spend limit of token ${hex(limit.token)} has a window of ${limit.period} s; windows must be shorter than 2^32 s`,
      );
    }
  }
  const windowed = policy.maxCalls !== undefined || policy.feeBudget !== undefined;
  if (!isWholeHours(policy.limitsWindow) || (policy.limitsWindow !== 0 && !windowed)) {
    throw new BuildError(
      'BAD_LIMITS_WINDOW',
      `the calls and fees window of ${policy.limitsWindow} s must be a whole number of hours below 2^32 s, with a call limit or fee budget`,
    );
  }
  policy.spendLimits.sort((a, b) => compareFelts(a.token, b.token) || a.period - b.period);
  policy.spendLimits.forEach((limit, index) => {
    const next = policy.spendLimits[index + 1];
    if (next && next.token === limit.token && next.period === limit.period) {
      throw new BuildError(
        'DUPLICATE_SPEND_LIMIT',
        `token ${hex(limit.token)} has two spend limits with the same period (${limit.period} s)`,
      );
    }
  });
  return policy;
}

/** Whether the policy sets no limit at all. */
export function isUnlimitedPolicy(policy: Policy): boolean {
  return (
    policy.maxFeePerTx === undefined &&
    policy.feeBudget === undefined &&
    policy.maxCalls === undefined &&
    policy.spendLimits.length === 0 &&
    policy.validAfter === 0 &&
    policy.limitsWindow === 0
  );
}

/** The fee cap, fee budget and call limit as signed: a missing limit is its type's maximum. */
export function policyWireLimits(policy: Policy): [Felt, Felt, Felt] {
  return [
    policy.maxFeePerTx ?? U128_MAX,
    policy.feeBudget ?? U128_MAX,
    policy.maxCalls === undefined ? U64_MAX : BigInt(policy.maxCalls),
  ];
}

/** The policy as the contract's `Policy` serializes. */
export function policyFelts(policy: Policy): Felt[] {
  const felts: Felt[] = [...policyWireLimits(policy), BigInt(policy.spendLimits.length)];
  for (const limit of policy.spendLimits) felts.push(limit.token, ...u256Words(limit.amount), BigInt(limit.period));
  felts.push(BigInt(policy.validAfter), BigInt(policy.limitsWindow));
  return felts;
}

/** Struct hash of a spend limit. */
export function spendLimitStructHash(limit: SpendLimit): Felt {
  return poseidonMany([
    protocolTypeHash(SPEND_LIMIT_TYPE),
    tokenAmountStructHash(limit.token, limit.amount),
    BigInt(limit.period),
  ]);
}

/** The policy's SNIP-12 struct hash (`Session.policy_hash`). */
export function policyStructHash(policy: Policy): Felt {
  return poseidonMany([
    protocolTypeHash(POLICY_TYPE),
    ...policyWireLimits(policy),
    poseidonMany(policy.spendLimits.map(spendLimitStructHash)),
    BigInt(policy.validAfter),
    BigInt(policy.limitsWindow),
  ]);
}

/** The struct hash of the policy without limits. */
export const UNLIMITED_POLICY_HASH: Felt = policyStructHash(normalizePolicy());

/** A u256 argument at `index` (low, high) of calldata, or undefined. */
export function readU256(calldata: readonly Felt[], index: number): bigint | undefined {
  const low = calldata[index];
  const high = calldata[index + 1];
  if (low === undefined || high === undefined || low > U128_MAX || high > U128_MAX) return undefined;
  return (high << 128n) + low;
}

/** Whether `calldata` satisfies the rule (one call alone, for `total at most u256`). */
export function ruleAllows(rule: ArgumentRule, calldata: readonly Felt[]): boolean {
  const argument = calldata[rule.index];
  switch (rule.kind) {
    case 'equal':
      return argument === rule.value;
    case 'one of':
      return argument !== undefined && rule.values.includes(argument);
    case 'at most':
      return argument !== undefined && argument <= rule.bound;
    case 'at least':
      return argument !== undefined && argument >= rule.bound;
    case 'not equal':
      return argument !== undefined && argument !== rule.value;
    case 'at most u256':
    case 'total at most u256': {
      const value = readU256(calldata, rule.index);
      return value !== undefined && value <= rule.bound;
    }
    case 'at least u256': {
      const value = readU256(calldata, rule.index);
      return value !== undefined && value >= rule.bound;
    }
  }
}

/** Why `calldata` breaks the rule, in one sentence (the Rust SDK's wording). */
export function explainViolation(rule: ArgumentRule, calldata: readonly Felt[]): string {
  const { index } = rule;
  const argument = calldata[index];
  const missing = `argument ${index} is missing (the call has ${calldata.length} calldata felts)`;
  const u256 = readU256(calldata, index);
  const missingU256 = `u256 argument ${index} is missing or not a u256`;
  switch (rule.kind) {
    case 'equal':
      return argument === undefined ? missing : `argument ${index} is ${hex(argument)}, but must be ${hex(rule.value)}`;
    case 'one of':
      return argument === undefined
        ? missing
        : `argument ${index} is ${hex(argument)}, but must be one of ${rule.values.map(hex).join(', ')}`;
    case 'at most':
      return argument === undefined ? missing : `argument ${index} is ${argument}, but must be at most ${rule.bound}`;
    case 'at least':
      return argument === undefined ? missing : `argument ${index} is ${argument}, but must be at least ${rule.bound}`;
    case 'not equal':
      return argument === undefined ? missing : `argument ${index} is ${hex(rule.value)}, which the session refuses`;
    case 'at most u256':
      return u256 === undefined ? missingU256 : `u256 argument ${index} is ${u256}, but must be at most ${rule.bound}`;
    case 'at least u256':
      return u256 === undefined ? missingU256 : `u256 argument ${index} is ${u256}, but must be at least ${rule.bound}`;
    case 'total at most u256':
      return u256 === undefined
        ? missingU256
        : `u256 argument ${index} is ${u256}, more than the total of ${rule.bound} the session allows`;
  }
}

/** The rule's `Values` and `Bound` as the contract stores them. */
export function ruleValuesAndBound(rule: ArgumentRule): [Felt[], bigint] {
  switch (rule.kind) {
    case 'equal':
    case 'not equal':
      return [[rule.value], 0n];
    case 'one of':
      return [rule.values, 0n];
    case 'at most':
    case 'at least':
    case 'at most u256':
    case 'at least u256':
      return [[], rule.bound];
    case 'total at most u256':
      return [rule.period === 0 ? [] : [BigInt(rule.period)], rule.bound];
  }
}

/** Struct hash of an argument rule. */
export function ruleStructHash(rule: ArgumentRule): Felt {
  const [values, bound] = ruleValuesAndBound(rule);
  return poseidonMany([
    protocolTypeHash(ARGUMENT_RULE_TYPE),
    shortString(rule.kind),
    BigInt(rule.index),
    poseidonMany(values),
    u256StructHash(bound),
  ]);
}

/** Rules as the contract serializes a `Span<ArgumentRule>`. */
export function argumentRulesFelts(rules: readonly ArgumentRule[]): Felt[] {
  const felts: Felt[] = [BigInt(rules.length)];
  for (const rule of rules) {
    const [values, bound] = ruleValuesAndBound(rule);
    felts.push(shortString(rule.kind), BigInt(rule.index), BigInt(values.length), ...values, ...u256Words(bound));
  }
  return felts;
}

/** Decodes a serialized `Span<ArgumentRule>` (as the contract reads it); throws on anything else. */
export function argumentRulesFromFelts(felts: readonly Felt[]): ArgumentRule[] {
  let position = 0;
  const malformed = (reason: string): never => {
    throw new BuildError('MALFORMED', `malformed argument rules: ${reason}`);
  };
  const next = (): Felt => felts[position++] ?? malformed('truncated');
  const small = (max: bigint): number => {
    const value = next();
    return value > max ? malformed('a length or index out of range') : Number(value);
  };
  const rules: ArgumentRule[] = [];
  const count = small(2n ** 32n - 1n);
  for (let rule = 0; rule < count; rule += 1) {
    const kindFelt = next();
    const kind = KIND_ORDER.find((name) => shortString(name) === kindFelt) ?? malformed('unknown argument rule');
    const index = small(2n ** 32n - 1n);
    const length = small(2n ** 32n - 1n);
    const values = Array.from({ length }, next);
    const [low, high] = [next(), next()];
    if (low > U128_MAX || high > U128_MAX) malformed('a u256 word above 128 bits');
    const bound = (high << 128n) + low;
    const fits = (ok: boolean): void => {
      if (!ok) malformed('argument rule values or bound do not fit its kind');
    };
    switch (kind) {
      case 'equal':
      case 'not equal':
        fits(values.length === 1 && bound === 0n);
        rules.push({ kind, index, value: values[0]! });
        break;
      case 'one of':
        fits(values.length > 0 && bound === 0n);
        rules.push({ kind, index, values });
        break;
      case 'at most':
      case 'at least':
        fits(values.length === 0 && bound < 2n ** 251n + 17n * 2n ** 192n + 1n);
        rules.push({ kind, index, bound });
        break;
      case 'at most u256':
      case 'at least u256':
        fits(values.length === 0);
        rules.push({ kind, index, bound });
        break;
      case 'total at most u256': {
        fits(values.length <= 1 && high === 0n);
        const window = values[0] ?? 0n;
        if (values.length === 1 && (window === 0n || window % 3600n !== 0n || window >= 2n ** 32n)) {
          malformed('argument rule window is not a whole number of hours below 2^32 seconds');
        }
        rules.push({ kind, index, bound, period: Number(window) });
        break;
      }
    }
  }
  if (position !== felts.length) malformed('trailing felts');
  return rules;
}

/** Orders rules as the Rust crate does (kind, then fields), so sessions normalise identically. */
export function compareRules(a: ArgumentRule, b: ArgumentRule): number {
  const byKind = KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind);
  if (byKind !== 0) return byKind;
  if (a.index !== b.index) return a.index - b.index;
  if (a.kind === 'one of' && b.kind === 'one of') {
    for (let i = 0; i < Math.min(a.values.length, b.values.length); i += 1) {
      const order = compareFelts(a.values[i]!, b.values[i]!);
      if (order !== 0) return order;
    }
    return a.values.length - b.values.length;
  }
  const [aValues, aBound] = ruleValuesAndBound(a);
  const [bValues, bBound] = ruleValuesAndBound(b);
  if (a.kind === 'equal' || a.kind === 'not equal') return compareFelts(aValues[0]!, bValues[0]!);
  const byBound = compareFelts(aBound, bBound);
  if (byBound !== 0 || a.kind !== 'total at most u256' || b.kind !== 'total at most u256') return byBound;
  return a.period - b.period;
}

/** Checks a rule's fields (indexes, felts, windows) and returns it with felts as bigints. */
export function checkRule(rule: ArgumentRule): ArgumentRule {
  if (!Number.isInteger(rule.index) || rule.index < 0 || rule.index >= 2 ** 32) {
    throw new BuildError('INVALID_FELT', `argument rule index ${rule.index} is not a u32`);
  }
  switch (rule.kind) {
    case 'equal':
    case 'not equal':
      return { ...rule, value: toFelt(rule.value, `argument ${rule.index} value`) };
    case 'one of':
      if (rule.values.length === 0) {
        throw new BuildError('EMPTY_RULE', `argument rule on index ${rule.index} has no allowed values`);
      }
      return { ...rule, values: rule.values.map((value) => toFelt(value, `argument ${rule.index} value`)) };
    case 'at most':
    case 'at least':
      return { ...rule, bound: toFelt(rule.bound, `argument ${rule.index} bound`) };
    case 'at most u256':
    case 'at least u256':
      return { ...rule, bound: toUint(rule.bound, U256_MAX, `argument ${rule.index} bound`) };
    case 'total at most u256':
      if (rule.period !== 0 && (!isWholeHours(rule.period) || rule.period <= 0)) {
        throw new BuildError(
          'BAD_LIMITS_WINDOW',
          `the window of the total on argument ${rule.index} must be a whole number of hours below 2^32 s`,
        );
      }
      return { ...rule, bound: toUint(rule.bound, U128_MAX, `argument ${rule.index} total`) };
  }
}

/** ERC-20 entrypoints that move or approve value, with the calldata index of their u256 amount. */
export const VALUE_ENTRYPOINTS: ReadonlyArray<readonly [string, number]> = [
  ['transfer', 1],
  ['approve', 1],
  ['increase_allowance', 1],
  ['increaseAllowance', 1],
  ['transfer_from', 2],
  ['transferFrom', 2],
];

let valueSelectors: Map<Felt, number> | undefined;

/** The amount a value call moves or approves: undefined if it is not one, null if unreadable. */
export function valueMoved(call: FeltCall): bigint | null | undefined {
  valueSelectors ??= new Map(VALUE_ENTRYPOINTS.map(([name, index]) => [selectorOf(name), index]));
  const index = valueSelectors.get(call.selector);
  if (index === undefined) return undefined;
  return readU256(call.calldata, index) ?? null;
}
