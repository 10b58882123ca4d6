// Conformance: the TypeScript protocol reproduces tests/vectors/session_v3.json — written by the
// Rust crate and asserted by the Cairo contract's tests — byte for byte: type hashes, leaves,
// proofs, roots, policies, session hashes, typed data, and every encoded signature.
import { readFileSync } from 'node:fs';

import { p256 } from '@noble/curves/p256';
import { typedData } from 'starknet';
import { describe, expect, it } from 'vitest';

import {
  ANY_CALLER,
  BuildError,
  type CallPermission,
  type FeltCall,
  type OutsideExecution,
  type SessionTypedData,
  Session,
  StarkKey,
  argumentRulesFelts,
  argumentRulesFromFelts,
  assertionFromBrowser,
  assertionFromSignature,
  assertionSignedMessage,
  authenticatorData,
  bytesToHex,
  challengeOf,
  clientDataJson,
  encodeFullSessionSignature,
  encodeReferenceSessionSignature,
  encodeWebAuthnSignature,
  encodedType,
  hex,
  hexToBytes,
  nextEpoch,
  outsideExecutionHash,
  ownerKeyFelts,
  ownerRotationHash,
  passkeyFromPoint,
  passkeyFromSpki,
  passkeyId,
  policyFelts,
  protocolTypeHash,
  ruleStructHash,
  selectorOf,
  sessionDomainHash,
  sessionKeyMessage,
  starknetKeccak,
  CALL_TYPE,
  OUTSIDE_EXECUTION_TYPE,
  STARKNET_DOMAIN_TYPE,
  USER_PRESENT,
  USER_VERIFIED,
} from '../src/index.js';

/** The parts of tests/vectors/session_v3.json this test reads (written by crates/session-core/tests/vectors.rs). */
interface StarkSignatureJson {
  r: string;
  s: string;
}
interface VectorCall {
  to: string;
  selector: string;
  calldata: string[];
}
interface VectorMethod {
  contract_address: string;
  selector: string;
  argument_rules: string[];
  argument_rule_hashes: string[];
  leaf: string;
  proof: string[];
}
interface VectorPolicy {
  max_fee_per_tx?: string;
  fee_budget?: string;
  max_calls?: string;
  spend_limits?: { token: string; amount: string; period?: number }[];
  valid_after?: number;
  limits_window?: number;
}
interface VectorTypedData extends SessionTypedData {
  message: {
    'Allowed Messages': { 'Domain Hash': string; 'Type Hash': string }[];
    Policy: { 'Spend Limits': { 'Token Amount': { token_address: string; amount: { low: string } } }[] };
  };
}
interface VectorSession {
  name: string;
  expires_at: number;
  epoch: string;
  allowed_methods?: VectorMethod[];
  allowed_methods_root: string;
  policy: VectorPolicy | null;
  policy_felts: string[];
  policy_hash: string;
  struct_hash?: string;
  session_hash: string;
  binding?: string;
  terms?: string;
  owner_authorization?: StarkSignatureJson;
  typed_data: VectorTypedData;
}
type BuildableSession = VectorSession & { allowed_methods: VectorMethod[]; policy: VectorPolicy };
interface VectorSignature {
  name: string;
  session: string;
  transaction_hash: string;
  calls: VectorCall[];
  signature: string[];
  form: 'full' | 'reference';
  owner_authorization?: boolean;
  remembered?: string[];
  remember?: boolean;
}
interface VectorExecution {
  name: string;
  caller: string;
  nonce: string;
  execute_after: number;
  execute_before: number;
  calls: VectorCall[];
  message_hash: string;
  owner_signature: StarkSignatureJson;
  session_signature: string[];
  reference_signature: string[];
}
interface VectorAssertion {
  name: string;
  authenticator_data: string;
  client_data_json: string;
  r: string;
  s: string;
  signature: string[];
}
interface Vectors {
  chain_id: string;
  account: string;
  owner_public_key: string;
  test_secrets: { owner: string; new_owner: string; session: string; passkey_p256: string };
  encoded_types: Record<string, { encoded: string; hash: string }>;
  type_hashes: { StarknetDomain: string; OutsideExecution: string; Call: string };
  session_domain_hash: string;
  unlimited_policy_hash: string;
  epochs: { after_revoke_all: { transaction_hash: string; block_number: number; epoch: string } };
  owner_transaction: { transaction_hash: string; signature: StarkSignatureJson };
  owner_rotation: { message_hash: string; signature: StarkSignatureJson };
  owner_rotation_back: { message_hash: string; signature: StarkSignatureJson };
  sessions: VectorSession[];
  session_transaction_signatures: VectorSignature[];
  outside_executions: VectorExecution[];
  passkey: {
    rp_id: string;
    origin: string;
    passkey: { x: string; y: string; rp_id_hash: string; origin: string };
    id: string;
    owner_felts: string[];
    assertions: VectorAssertion[];
    main_full_increase_passkey: string[];
  };
  session_messages: {
    session: string;
    allowed: { domain_hash: string; type_hash: string };
    fields: string[];
    message_hash: string;
    signature: string[];
  };
}
interface BrowserVector {
  rp_id: string;
  origin: string;
  public_key_spki: string;
  challenge_hash: string;
  authenticator_data: string;
  client_data_json: string;
  signature_der: string;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as T;
const vectors = readJson<Vectors>('../../../tests/vectors/session_v3.json');
const browser = readJson<BrowserVector>('../../../tests/vectors/browser_webauthn.json');

const CHAIN_ID = BigInt(vectors.chain_id);
const ACCOUNT = BigInt(vectors.account);
const owner = new StarkKey(BigInt(vectors.test_secrets.owner));
const newOwner = new StarkKey(BigInt(vectors.test_secrets.new_owner));
const sessionKey = new StarkKey(BigInt(vectors.test_secrets.session));
const passkeySecret = hexToBytes(vectors.test_secrets.passkey_p256);
const NAMES = new Map(
  ['increase', 'get', 'reset', 'transfer', 'approve', 'transfer_from'].map((name) => [selectorOf(name), name]),
);
const hexes = (felts: readonly bigint[]): string[] => felts.map(hex);
const signatureFelts = ({ r, s }: { r: bigint; s: bigint }): bigint[] => [r, s];
const asJson = (value: { r: bigint; s: bigint }): { r: string; s: string } => ({ r: hex(value.r), s: hex(value.s) });

const feltCall = (call: VectorCall): FeltCall => ({
  to: BigInt(call.to),
  selector: BigInt(call.selector),
  calldata: call.calldata.map(BigInt),
});


/** Rebuilds a vector session through the TypeScript builder, from what a dapp would know. */
function buildSession(vector: BuildableSession): Session {
  const { policy } = vector;
  // Listed in reverse: the builder must sort them back into the same tree.
  const allowedMethods = [...vector.allowed_methods].reverse().map((method) => ({
    contractAddress: method.contract_address,
    selector: method.selector,
    rules: argumentRulesFromFelts(method.argument_rules.map(BigInt)),
  }));
  return Session.build({
    sessionKey: sessionKey.publicKey,
    expiresAt: vector.expires_at,
    epoch: vector.epoch,
    allowedMethods,
    policy: {
      maxFeePerTx: policy.max_fee_per_tx,
      feeBudget: policy.fee_budget,
      maxCalls: policy.max_calls === undefined ? undefined : Number(policy.max_calls),
      spendLimits: (policy.spend_limits ?? []).map((limit) => ({ ...limit })),
      validAfter: policy.valid_after,
      limitsWindow: policy.limits_window,
    },
    allowedMessages: vector.typed_data.message['Allowed Messages'].map((message) => ({
      domainHash: message['Domain Hash'],
      typeHash: message['Type Hash'],
    })),
  });
}

const buildable = vectors.sessions.filter(
  (vector): vector is BuildableSession => vector.allowed_methods !== undefined && vector.policy !== null,
);
const sessions = new Map(buildable.map((vector) => [vector.name, buildSession(vector)]));
const session = (name: string): Session => {
  const found = sessions.get(name);
  if (!found) throw new Error(`no session ${name} in the vectors`);
  return found;
};

describe('type strings and hashes', () => {
  it.each(Object.entries(vectors.encoded_types))(
    '%s',
    (name, expected) => {
      const primary = expected.encoded.split(/(?<=\))(?=")/)[0]!;
      expect(primary.startsWith(`"${name}"`)).toBe(true);
      expect(encodedType(primary)).toBe(expected.encoded);
      expect(hex(protocolTypeHash(primary))).toBe(expected.hash);
    },
  );

  it('SNIP-12 domain, SNIP-9 outside execution and call types', () => {
    expect(hex(starknetKeccak(STARKNET_DOMAIN_TYPE))).toBe(vectors.type_hashes.StarknetDomain);
    expect(hex(starknetKeccak(OUTSIDE_EXECUTION_TYPE))).toBe(vectors.type_hashes.OutsideExecution);
    expect(hex(starknetKeccak(CALL_TYPE))).toBe(vectors.type_hashes.Call);
    expect(hex(sessionDomainHash(CHAIN_ID))).toBe(vectors.session_domain_hash);
    expect(hex(session('main').policyHash)).toBe(vectors.unlimited_policy_hash);
  });
});

describe.each(buildable)('session $name', (expected) => {
  const built = session(expected.name);

  it('has the same leaves, argument rules and proofs, in the same order', () => {
    expect(built.allowedMethods).toHaveLength(expected.allowed_methods.length);
    expected.allowed_methods.forEach((method, index) => {
      const permission = built.allowedMethods[index]!;
      expect(hex(permission.contractAddress)).toBe(method.contract_address);
      expect(hex(permission.selector)).toBe(method.selector);
      expect(hexes(argumentRulesFelts(permission.rules))).toEqual(method.argument_rules);
      expect(permission.rules.map((rule) => hex(ruleStructHash(rule)))).toEqual(method.argument_rule_hashes);
      expect(hex(built.leaves[index]!)).toBe(method.leaf);
      expect(hexes(built.proof(index))).toEqual(method.proof);
    });
    expect(hex(built.allowedMethodsRoot)).toBe(expected.allowed_methods_root);
  });

  it('has the same policy, hashes, binding and terms', () => {
    expect(hexes(policyFelts(built.policy))).toEqual(expected.policy_felts);
    expect(hex(built.policyHash)).toBe(expected.policy_hash);
    expect(hex(built.structHash)).toBe(expected.struct_hash);
    const sessionHash = built.hash(CHAIN_ID, ACCOUNT);
    expect(hex(sessionHash)).toBe(expected.session_hash);
    expect(`0x${built.binding(sessionHash).toString(16)}`).toBe(expected.binding);
    expect(hex(built.terms())).toBe(expected.terms);
    expect(asJson(owner.sign(sessionHash))).toEqual(expected.owner_authorization);
  });

  it('has the same typed data, whose starknet.js message hash is the session hash', () => {
    const data = built.typedData(CHAIN_ID, NAMES);
    expect(data).toEqual(expected.typed_data);
    expect(BigInt(typedData.getMessageHash(data, ACCOUNT))).toBe(BigInt(expected.session_hash));
  });
});

describe('sessions the builder refuses', () => {
  it('a token with two spend limits of the same period (the duplicate_limits vector)', () => {
    const duplicate = vectors.sessions.find((vector) => vector.name === 'duplicate_limits');
    if (!duplicate) throw new Error('no duplicate_limits vector');
    const limits = duplicate.typed_data.message.Policy['Spend Limits'].map((limit) => ({
      token: limit['Token Amount'].token_address,
      amount: limit['Token Amount'].amount.low,
    }));
    const build = (): Session =>
      Session.build({
        sessionKey: sessionKey.publicKey,
        expiresAt: duplicate.expires_at,
        allowedMethods: [{ contractAddress: '0x70ce', entrypoint: 'transfer' }],
        policy: { spendLimits: limits },
      });
    expect(build).toThrow(BuildError);
    expect(build).toThrow('token 0x70ce has two spend limits with the same period (0 s)');
  });
});

/** The permission a call presents, or an empty one for a call the session does not cover. */
function permissionOrEmpty(built: Session, call: FeltCall): CallPermission {
  try {
    return built.permissionFor(call);
  } catch {
    return { proof: [], rules: [], remember: false };
  }
}

function fullSignature(built: Session, signedHash: bigint, calls: FeltCall[], authorization: bigint[] | undefined): bigint[] {
  const sessionHash = built.hash(CHAIN_ID, ACCOUNT);
  const entries = calls.map((call) => permissionOrEmpty(built, call));
  return encodeFullSessionSignature(built, authorization, sessionKey.sign(sessionKeyMessage(signedHash, sessionHash)), entries);
}

function referenceSignature(
  built: Session,
  signedHash: bigint,
  calls: FeltCall[],
  remembered: bigint[],
  remember: boolean,
): bigint[] {
  const sessionHash = built.hash(CHAIN_ID, ACCOUNT);
  const entries = built
    .entriesFor(calls, calls.map((call) => permissionOrEmpty(built, call)), new Set(remembered))
    .map((entry) => ({ ...entry, remember: remember && entry.proof.length > 0 }));
  return encodeReferenceSessionSignature(
    built,
    sessionHash,
    sessionKey.sign(sessionKeyMessage(signedHash, sessionHash)),
    calls,
    entries,
  );
}

describe('session transaction signatures', () => {
  const signatures = vectors.session_transaction_signatures.filter((entry) => entry.session !== 'duplicate_limits');
  it.each(signatures)('$name', (expected) => {
    const built = session(expected.session);
    const calls = expected.calls.map(feltCall);
    const signedHash = BigInt(expected.transaction_hash);
    const felts =
      expected.form === 'full'
        ? fullSignature(
            built,
            signedHash,
            calls,
            expected.owner_authorization ? signatureFelts(owner.sign(built.hash(CHAIN_ID, ACCOUNT))) : undefined,
          )
        : referenceSignature(built, signedHash, calls, (expected.remembered ?? []).map(BigInt), expected.remember === true);
    expect(hexes(felts)).toEqual(expected.signature);
  });
});

describe('SNIP-9 outside executions', () => {
  it.each(vectors.outside_executions)('$name', (expected) => {
    const execution: OutsideExecution = {
      caller: BigInt(expected.caller),
      nonce: BigInt(expected.nonce),
      executeAfter: BigInt(expected.execute_after),
      executeBefore: BigInt(expected.execute_before),
      calls: expected.calls.map(feltCall),
    };
    expect(execution.caller).toBe(ANY_CALLER);
    const hash = outsideExecutionHash(execution, CHAIN_ID, ACCOUNT);
    expect(hex(hash)).toBe(expected.message_hash);
    expect(asJson(owner.sign(hash))).toEqual(expected.owner_signature);
    const main = session('main');
    const authorization = signatureFelts(owner.sign(main.hash(CHAIN_ID, ACCOUNT)));
    expect(hexes(fullSignature(main, hash, execution.calls, authorization))).toEqual(expected.session_signature);
    expect(hexes(referenceSignature(main, hash, execution.calls, [], false))).toEqual(expected.reference_signature);
  });
});

describe('owners', () => {
  it('the owner signs transactions and rotations as the contract expects', () => {
    expect(asJson(owner.sign(BigInt(vectors.owner_transaction.transaction_hash)))).toEqual(
      vectors.owner_transaction.signature,
    );
    expect(owner.publicKey).toBe(BigInt(vectors.owner_public_key));
    const rotation = ownerRotationHash(CHAIN_ID, ACCOUNT, owner.publicKey, newOwner.publicKey);
    expect(hex(rotation)).toBe(vectors.owner_rotation.message_hash);
    expect(asJson(newOwner.sign(rotation))).toEqual(vectors.owner_rotation.signature);
    const back = ownerRotationHash(CHAIN_ID, ACCOUNT, newOwner.publicKey, owner.publicKey);
    expect(hex(back)).toBe(vectors.owner_rotation_back.message_hash);
    expect(asJson(owner.sign(back))).toEqual(vectors.owner_rotation_back.signature);
  });

  it('a revoke-all starts the epoch the contract derives', () => {
    const after = vectors.epochs.after_revoke_all;
    expect(hex(nextEpoch(0n, BigInt(after.transaction_hash), BigInt(after.block_number)))).toBe(after.epoch);
  });
});

describe('passkey owners', () => {
  const vector = vectors.passkey;
  const passkey = passkeyFromPoint(p256.getPublicKey(passkeySecret, false), vector.rp_id, vector.origin);
  const signedHashes: Record<string, bigint> = {
    tx: BigInt(vectors.owner_transaction.transaction_hash),
    main_authorization: session('main').hash(CHAIN_ID, ACCOUNT),
  };

  it('the passkey, its owner felts and its id', () => {
    expect(`0x${bytesToHex(passkey.x)}`).toBe(vector.passkey.x);
    expect(`0x${bytesToHex(passkey.y)}`).toBe(vector.passkey.y);
    expect(`0x${bytesToHex(passkey.rpIdHash)}`).toBe(vector.passkey.rp_id_hash);
    expect(hexes(ownerKeyFelts({ kind: 'passkey', passkey }))).toEqual(vector.owner_felts);
    expect(hex(passkeyId(passkey))).toBe(vector.id);
  });

  it.each(vector.assertions)('assertion $name encodes as the account parses it', (expected) => {
    const assertion = {
      authenticatorData: hexToBytes(expected.authenticator_data),
      clientDataJson: new TextEncoder().encode(expected.client_data_json),
      r: BigInt(expected.r),
      s: BigInt(expected.s),
    };
    expect(hexes(encodeWebAuthnSignature(assertion))).toEqual(expected.signature);
  });

  it.each(Object.entries(signedHashes))('a browser-shaped assertion over %s is what the authenticator signs', (name, hash) => {
    const expected = vector.assertions.find((entry) => entry.name === name);
    if (!expected) throw new Error(`no assertion ${name}`);
    const data = authenticatorData(vector.rp_id, USER_PRESENT | USER_VERIFIED, 7);
    const client = clientDataJson(hash, vector.origin);
    expect(new TextDecoder().decode(client)).toBe(expected.client_data_json);
    expect(client.includes(0) || challengeOf(hash).length !== 43).toBe(false);
    const signature = p256.sign(assertionSignedMessage(data, client), passkeySecret, { lowS: true });
    expect(hexes(encodeWebAuthnSignature(assertionFromSignature(data, client, signature.r, signature.s)))).toEqual(
      expected.signature,
    );
  });

  it("a session's first use authorized by the passkey", () => {
    const main = session('main');
    const sessionHash = main.hash(CHAIN_ID, ACCOUNT);
    const data = authenticatorData(vector.rp_id, USER_PRESENT | USER_VERIFIED, 7);
    const client = clientDataJson(sessionHash, vector.origin);
    const signature = p256.sign(assertionSignedMessage(data, client), passkeySecret, { lowS: true });
    const authorization = encodeWebAuthnSignature(assertionFromSignature(data, client, signature.r, signature.s));
    const calls = [{ to: 0x6a3en, selector: selectorOf('increase'), calldata: [] }];
    expect(hexes(fullSignature(main, BigInt(vectors.owner_transaction.transaction_hash), calls, authorization))).toEqual(
      vector.main_full_increase_passkey,
    );
  });

  it("Chromium's assertion (browser_webauthn.json): DER decoded, s normalised, and it verifies", () => {
    const key = passkeyFromSpki(hexToBytes(browser.public_key_spki), browser.rp_id, browser.origin);
    const assertion = assertionFromBrowser(
      hexToBytes(browser.authenticator_data),
      hexToBytes(browser.client_data_json),
      hexToBytes(browser.signature_der),
    );
    expect(assertion.s <= p256.CURVE.n / 2n).toBe(true);
    const point = new Uint8Array([4, ...key.x, ...key.y]);
    const message = assertionSignedMessage(assertion.authenticatorData, assertion.clientDataJson);
    expect(p256.verify({ r: assertion.r, s: assertion.s }, message, point)).toBe(true);
    const clientData = JSON.parse(new TextDecoder().decode(assertion.clientDataJson)) as { challenge: string };
    expect(clientData.challenge).toBe(
      challengeOf(BigInt(browser.challenge_hash)),
    );
  });
});

describe('off-chain messages of the orders session', () => {
  it('signs the allowed order as the account checks it', () => {
    const messages = vectors.session_messages;
    const orders = session(messages.session);
    const signed = orders.messageSignature(
      (digest) => sessionKey.sign(digest),
      CHAIN_ID,
      ACCOUNT,
      { domainHash: BigInt(messages.allowed.domain_hash), typeHash: BigInt(messages.allowed.type_hash) },
      messages.fields.map(BigInt),
    );
    expect(hex(signed.messageHash)).toBe(messages.message_hash);
    expect(hexes(signed.signature)).toEqual(messages.signature);
  });
});

describe('argument rules round-trip through their serialization', () => {
  it('every vector rule decodes and re-encodes identically', () => {
    for (const vector of buildable) {
      for (const method of vector.allowed_methods) {
        const felts = method.argument_rules.map(BigInt);
        expect(hexes(argumentRulesFelts(argumentRulesFromFelts(felts)))).toEqual(method.argument_rules);
      }
    }
  });

  it('refuses a malformed serialization with a BuildError', () => {
    expect(() => argumentRulesFromFelts([1n, 0x1234n, 0n, 0n, 0n, 0n])).toThrow(BuildError);
    expect(() => argumentRulesFromFelts([1n])).toThrow(/truncated/);
  });
});
