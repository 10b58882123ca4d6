/**
 * Sessions: what the owner authorizes (key, expiry, allowed methods with argument rules, policy,
 * epoch, allowed off-chain messages), normalised so the same permissions always give the same
 * Merkle root and hash — the Rust `SessionBuilder`'s rules, byte for byte.
 */
import { BuildError, PreflightError } from './errors.js';
import { type Felt, type FeltLike, U128_MAX, compareFelts, hex, poseidonMany, selectorOf, shortString, toFelt, toUint } from './felt.js';
import { MethodTree } from './merkle.js';
import {
  type ArgumentRule,
  type Policy,
  type PolicyInput,
  argumentRulesFelts,
  checkRule,
  compareRules,
  explainViolation,
  isUnlimitedPolicy,
  normalizePolicy,
  policyFelts,
  policyStructHash,
  ruleAllows,
  ruleStructHash,
} from './policy.js';
import {
  ALLOWED_MESSAGE_TYPE,
  type FeltCall,
  SESSION_TYPE,
  allowedMethodLeaf,
  messageHash,
  protocolTypeHash,
  sessionDomainHash,
  sessionMessageDigest,
} from './snip12.js';
import { type SessionTypedData, sessionTypedData } from './typed-data.js';

/** Policy flag bits of a by-reference signature's `terms` (above the 64-bit expiry). */
export const HAS_CALL_LIMIT = 1n;
/** The policy caps the fee of one transaction. */
export const HAS_FEE_CAP = 2n;
/** The policy has a fee budget. */
export const HAS_FEE_BUDGET = 4n;
/** The policy has spend limits. */
export const HAS_SPEND_LIMITS = 8n;
/** The policy has a start time. */
export const HAS_START = 16n;
/** The call limit and fee budget count per window. */
export const HAS_LIMITS_WINDOW = 32n;
/** Proofs at least this long are worth asking the account to remember their leaf. */
export const REMEMBER_FROM_PROOF_LENGTH = 8;
/** The longest Merkle proof the account accepts (so at most 2^16 allowed methods). */
export const MAX_PROOF_LENGTH = 16;

/** An allowed method as an app writes it: a contract and an entrypoint name (or selector), optional rules. */
export interface AllowedMethodInput {
  /** The contract the session may call. */
  contractAddress: FeltLike;
  /** The entrypoint name (`transfer`); or give `selector`. */
  entrypoint?: string;
  /** The entrypoint's selector, when the name is unknown. */
  selector?: FeltLike;
  /** Rules the call's arguments must satisfy (none: any arguments). */
  rules?: ArgumentRule[];
}

/** An off-chain message kind (SNIP-12 domain and type) the session may sign. */
export interface AllowedMessage {
  /** The message's domain hash. */
  domainHash: Felt;
  /** The message's type hash. */
  typeHash: Felt;
}

/** Everything a session is built from. */
export interface SessionSpec {
  /** The session's Stark public key. */
  sessionKey: FeltLike;
  /** Unix time (seconds) at which the session expires; required. */
  expiresAt: number;
  /** The allowed methods (at least one). */
  allowedMethods: AllowedMethodInput[];
  /** Limits; none by default. */
  policy?: PolicyInput;
  /** The account's current session epoch (0 until a revoke-all or owner rotation). */
  epoch?: FeltLike;
  /** Off-chain message kinds the session may sign. */
  allowedMessages?: { domainHash: FeltLike; typeHash: FeltLike }[];
}

/** One allowed method with its argument rules: one leaf of the tree. */
export interface MethodPermission {
  /** The contract. */
  contractAddress: Felt;
  /** The selector. */
  selector: Felt;
  /** The rules, sorted. */
  rules: ArgumentRule[];
}

/** What a call presents: its leaf's proof, its serialized rules, and whether to remember the leaf. */
export interface CallPermission {
  /** Siblings from the leaf to the root (empty when the leaf is known to the account). */
  proof: Felt[];
  /** The leaf's serialized `Span<ArgumentRule>`, empty when it has none. */
  rules: Felt[];
  /** Ask the account to remember the leaf once proven. */
  remember: boolean;
}

function comparePermissions(a: MethodPermission, b: MethodPermission): number {
  const byMethod = compareFelts(a.contractAddress, b.contractAddress) || compareFelts(a.selector, b.selector);
  if (byMethod !== 0) return byMethod;
  for (let i = 0; i < Math.min(a.rules.length, b.rules.length); i += 1) {
    const order = compareRules(a.rules[i]!, b.rules[i]!);
    if (order !== 0) return order;
  }
  return a.rules.length - b.rules.length;
}

/** The leaf of an allowed method. */
export function permissionLeaf(permission: MethodPermission): Felt {
  return allowedMethodLeaf(permission.contractAddress, permission.selector, permission.rules.map(ruleStructHash));
}

/** `entrypoint` (by name when known) on `contract`, for messages. */
export function describeMethod(contract: Felt, selector: Felt, names?: ReadonlyMap<Felt, string>): string {
  const name = names?.get(selector);
  return name === undefined
    ? `selector ${hex(selector)} on contract ${hex(contract)}`
    : `\`${name}\` on contract ${hex(contract)}`;
}

/** The low 128 bits of `poseidon(session_hash, session_key, root)`: a stored session's binding. */
export function sessionBinding(sessionHash: Felt, sessionKey: Felt, root: Felt): bigint {
  return poseidonMany([sessionHash, sessionKey, root]) & U128_MAX;
}

/** A session an owner authorizes; immutable once built. */
export class Session {
  /** The session's public key. */
  readonly sessionKey: Felt;
  /** Unix time at which the session expires. */
  readonly expiresAt: number;
  /** The account epoch it was issued in. */
  readonly epoch: Felt;
  /** Its limits. */
  readonly policy: Policy;
  /** Allowed methods in leaf order. */
  readonly allowedMethods: readonly MethodPermission[];
  /** Allowed off-chain message kinds, sorted. */
  readonly allowedMessages: readonly AllowedMessage[];
  /** Entrypoint names given at build time (wallets display them). */
  readonly entrypointNames: ReadonlyMap<Felt, string>;
  private readonly tree: MethodTree;

  private constructor(fields: {
    sessionKey: Felt;
    expiresAt: number;
    epoch: Felt;
    policy: Policy;
    methods: MethodPermission[];
    messages: AllowedMessage[];
    names: Map<Felt, string>;
  }) {
    this.sessionKey = fields.sessionKey;
    this.expiresAt = fields.expiresAt;
    this.epoch = fields.epoch;
    this.policy = fields.policy;
    this.allowedMethods = fields.methods;
    this.allowedMessages = fields.messages;
    this.entrypointNames = fields.names;
    this.tree = new MethodTree(fields.methods.map(permissionLeaf));
  }

  /** Builds a session from `spec`; throws `BuildError` with the reason the account would refuse it. */
  static build(spec: SessionSpec): Session {
    const sessionKey = toFelt(spec.sessionKey, 'session key');
    if (sessionKey === 0n) throw new BuildError('ZERO_SESSION_KEY', 'the session public key must not be zero');
    if (!spec.expiresAt) throw new BuildError('MISSING_EXPIRY', 'the session needs an expiry time');
    const expiresAt = Number(toUint(spec.expiresAt, 2n ** 64n - 1n, 'expiresAt'));
    const names = new Map<Felt, string>();
    const methods: MethodPermission[] = [];
    for (const method of spec.allowedMethods) {
      const contractAddress = toFelt(method.contractAddress, 'allowed method contract address');
      let selector: Felt;
      if (method.entrypoint !== undefined) {
        selector = selectorOf(method.entrypoint);
        names.set(selector, method.entrypoint);
      } else if (method.selector !== undefined) {
        selector = toFelt(method.selector, 'allowed method selector');
      } else {
        throw new BuildError('INVALID_ENTRYPOINT', `allowed method on ${hex(contractAddress)} names no entrypoint`);
      }
      const rules = (method.rules ?? []).map(checkRule).sort(compareRules);
      const unique = rules.filter((rule, index) => index === 0 || compareRules(rules[index - 1]!, rule) !== 0);
      methods.push({ contractAddress, selector, rules: unique });
    }
    methods.sort(comparePermissions);
    const distinct = methods.filter(
      (method, index) => index === 0 || comparePermissions(methods[index - 1]!, method) !== 0,
    );
    if (distinct.length > 2 ** MAX_PROOF_LENGTH) {
      throw new BuildError(
        'TOO_MANY_METHODS',
        `${distinct.length} allowed methods exceed the maximum of ${2 ** MAX_PROOF_LENGTH}`,
      );
    }
    const policy = normalizePolicy(spec.policy);
    const window = policy.spendLimits.find((limit) => limit.period % 3600 !== 0);
    if (window) {
      throw new BuildError(
        'SPEND_WINDOW_NOT_WHOLE_HOURS',
        `the spend window of token ${hex(window.token)} is ${window.period} s; use a whole number of hours`,
      );
    }
    if (distinct.length === 0) throw new BuildError('NO_METHODS', 'a session must allow at least one method');
    const messages = (spec.allowedMessages ?? [])
      .map((message) => ({
        domainHash: toFelt(message.domainHash, 'allowed message domain hash'),
        typeHash: toFelt(message.typeHash, 'allowed message type hash'),
      }))
      .sort((a, b) => compareFelts(a.domainHash, b.domainHash) || compareFelts(a.typeHash, b.typeHash))
      .filter(
        (message, index, all) =>
          index === 0 || all[index - 1]!.domainHash !== message.domainHash || all[index - 1]!.typeHash !== message.typeHash,
      );
    return new Session({
      sessionKey,
      expiresAt,
      epoch: spec.epoch === undefined ? 0n : toFelt(spec.epoch, 'epoch'),
      policy,
      methods: distinct,
      messages,
      names,
    });
  }

  /** The Merkle root of the allowed methods. */
  get allowedMethodsRoot(): Felt {
    return this.tree.root;
  }

  /** The leaves, in tree order. */
  get leaves(): readonly Felt[] {
    return this.tree.leaves;
  }

  /** The proof of leaf `index`. */
  proof(index: number): Felt[] {
    return this.tree.proof(index);
  }

  /** The policy's struct hash. */
  get policyHash(): Felt {
    return policyStructHash(this.policy);
  }

  /** The serialized policy a full signature carries; undefined for a policy without limits. */
  get policyFelts(): Felt[] | undefined {
    return isUnlimitedPolicy(this.policy) ? undefined : policyFelts(this.policy);
  }

  /** Struct hash of the allowed off-chain message list. */
  get allowedMessagesHash(): Felt {
    return poseidonMany(
      this.allowedMessages.map((message) =>
        poseidonMany([protocolTypeHash(ALLOWED_MESSAGE_TYPE), message.domainHash, message.typeHash]),
      ),
    );
  }

  /** The session as the contract's `Session` serializes. */
  toFelts(): [Felt, Felt, Felt, Felt, Felt, Felt] {
    return [
      this.sessionKey,
      BigInt(this.expiresAt),
      this.allowedMethodsRoot,
      this.policyHash,
      this.epoch,
      this.allowedMessagesHash,
    ];
  }

  /** The SNIP-12 struct hash of the session. */
  get structHash(): Felt {
    return poseidonMany([protocolTypeHash(SESSION_TYPE), ...this.toFelts()]);
  }

  /** The session hash for `account` on `chainId`: what the owner signs, and its on-chain id. */
  hash(chainId: Felt, account: Felt): Felt {
    return messageHash(sessionDomainHash(chainId), account, this.structHash);
  }

  /** The expiry and policy flags a by-reference signature carries. */
  terms(expiresAt: number = this.expiresAt): Felt {
    const policy = this.policy;
    const windowed = policy.maxCalls !== undefined || policy.feeBudget !== undefined;
    let flags = 0n;
    if (policy.maxCalls !== undefined) flags |= HAS_CALL_LIMIT;
    if (policy.maxFeePerTx !== undefined) flags |= HAS_FEE_CAP;
    if (policy.feeBudget !== undefined) flags |= HAS_FEE_BUDGET;
    if (policy.spendLimits.length > 0) flags |= HAS_SPEND_LIMITS;
    if (policy.validAfter !== 0) flags |= HAS_START;
    if (policy.limitsWindow !== 0 && windowed) flags |= HAS_LIMITS_WINDOW;
    return BigInt(expiresAt) + (flags << 64n);
  }

  /** The session's binding under `sessionHash`. */
  binding(sessionHash: Felt): bigint {
    return sessionBinding(sessionHash, this.sessionKey, this.allowedMethodsRoot);
  }

  private indexesOf(contract: Felt, selector: Felt): number[] {
    const indexes: number[] = [];
    this.allowedMethods.forEach((method, index) => {
      if (method.contractAddress === contract && method.selector === selector) indexes.push(index);
    });
    return indexes;
  }

  /**
   * The leaf index that covers `call` (the first leaf of its method whose rules it satisfies);
   * throws `PreflightError` METHOD_NOT_ALLOWED or ARGUMENT_NOT_ALLOWED.
   */
  leafIndexFor(call: FeltCall, names?: ReadonlyMap<Felt, string>): number {
    const indexes = this.indexesOf(call.to, call.selector);
    const method = describeMethod(call.to, call.selector, names ?? this.entrypointNames);
    if (indexes.length === 0) {
      throw new PreflightError('METHOD_NOT_ALLOWED', `the session does not allow calling ${method}`);
    }
    const index = indexes.find((candidate) =>
      this.allowedMethods[candidate]!.rules.every((rule) => ruleAllows(rule, call.calldata)),
    );
    if (index === undefined) {
      const rule = this.allowedMethods[indexes[0]!]!.rules.find((candidate) => !ruleAllows(candidate, call.calldata));
      const reason = rule ? explainViolation(rule, call.calldata) : '';
      throw new PreflightError(
        'ARGUMENT_NOT_ALLOWED',
        `the arguments of ${method} break the session's argument rules: ${reason}`,
      );
    }
    return index;
  }

  /** The permission (proof, rules) `call` presents. */
  permissionFor(call: FeltCall, names?: ReadonlyMap<Felt, string>): CallPermission {
    return this.permissionAt(this.leafIndexFor(call, names));
  }

  /** The permission of the first leaf of a method (what a call breaking its rules presents). */
  firstPermissionOf(contract: Felt, selector: Felt): CallPermission | undefined {
    const index = this.indexesOf(contract, selector)[0];
    return index === undefined ? undefined : this.permissionAt(index);
  }

  private permissionAt(index: number): CallPermission {
    const rules = this.allowedMethods[index]!.rules;
    return { proof: this.tree.proof(index), rules: rules.length === 0 ? [] : argumentRulesFelts(rules), remember: false };
  }

  /**
   * Entries of a signature: a leaf the account knows (the root itself, one it remembers, or one an
   * earlier call of the same transaction proved) goes without proof; long proofs ask to be remembered.
   */
  entriesFor(calls: readonly FeltCall[], permissions: CallPermission[], remembered: ReadonlySet<Felt>): CallPermission[] {
    const known = new Set(remembered);
    known.add(this.allowedMethodsRoot);
    return calls.map((call, position) => {
      const permission = permissions[position]!;
      let leaf: Felt | undefined;
      try {
        leaf = this.leaves[this.leafIndexFor(call)];
      } catch {
        leaf = undefined;
      }
      if (leaf !== undefined && known.has(leaf)) return { proof: [], rules: permission.rules, remember: false };
      if (leaf !== undefined) known.add(leaf);
      return { ...permission, remember: permission.proof.length >= REMEMBER_FROM_PROOF_LENGTH };
    });
  }

  /**
   * The typed data the owner's wallet displays and signs (SNIP-12 revision 1, `chainId` a short
   * string felt such as `SN_SEPOLIA`); its message hash for the account is `hash()`.
   */
  typedData(chainId: Felt, entrypointNames: ReadonlyMap<Felt, string> = this.entrypointNames): SessionTypedData {
    return sessionTypedData(this, chainId, entrypointNames);
  }

  /**
   * Signs an off-chain message of an allowed kind for `account`: returns its message hash and the
   * `session-message-v1` signature `is_valid_signature` accepts for a stored session.
   */
  messageSignature(
    sign: (digest: Felt) => { r: Felt; s: Felt },
    chainId: Felt,
    account: Felt,
    message: AllowedMessage,
    fields: readonly Felt[],
  ): { messageHash: Felt; signature: Felt[] } {
    const index = this.allowedMessages.findIndex(
      (listed) => listed.domainHash === message.domainHash && listed.typeHash === message.typeHash,
    );
    const structHash = poseidonMany([message.typeHash, ...fields]);
    const hash = messageHash(message.domainHash, account, structHash);
    const { r, s } = sign(sessionMessageDigest(hash, this.hash(chainId, account)));
    const signature = [
      shortString('session-message-v1'),
      ...this.toFelts(),
      BigInt(this.allowedMessages.length),
      ...this.allowedMessages.flatMap((listed) => [listed.domainHash, listed.typeHash]),
      BigInt(index === -1 ? this.allowedMessages.length : index),
      BigInt(fields.length),
      ...fields,
      r,
      s,
    ];
    return { messageHash: hash, signature };
  }
}

/**
 * Checks an expiry a page asks for: required, in the future (by `now`, the chain's time), and at
 * most `maxLifetimeSeconds` away. Throws `BuildError` (`MISSING_EXPIRY`, `LIFETIME_TOO_LONG`) or
 * `PreflightError('EXPIRED')`.
 */
export function checkSessionLifetime(expiry: number | undefined, now: number, maxLifetimeSeconds: number): void {
  if (expiry === undefined || !Number.isSafeInteger(expiry) || expiry <= 0) {
    throw new BuildError('MISSING_EXPIRY', 'a session needs an expiry (Unix seconds)');
  }
  if (expiry <= now) throw new PreflightError('EXPIRED', `the expiry ${expiry} is not in the future (now ${now})`);
  if (expiry - now > maxLifetimeSeconds) {
    throw new BuildError('LIFETIME_TOO_LONG', `a session of ${expiry - now} s exceeds the maximum lifetime of ${maxLifetimeSeconds} s`);
  }
}
