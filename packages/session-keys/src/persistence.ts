/**
 * Optional persistence of a session, only encrypted: AES-GCM under a key derived (HKDF-SHA-256)
 * from the passkey's PRF output, which only the authenticator can recompute. Without PRF there is
 * no persistence at all; a session is never written in the clear.
 */
import { base64url, base64urlDecode } from './bytes.js';
import { StorageError } from './errors.js';
import { type Felt, hex } from './felt.js';
import { StarkKey } from './keys.js';
import type { ArgumentRule } from './policy.js';
import { Session, type SessionSpec } from './session.js';

/** What a page stores per account: ciphertext only. */
export interface EncryptedSessionRecord {
  /** Format version. */
  version: 1;
  /** The account it belongs to. */
  accountAddress: string;
  /** AES-GCM nonce (base64url). */
  iv: string;
  /** The encrypted session (base64url). */
  ciphertext: string;
}

/** A session with everything needed to use it again. */
export interface SessionMaterial {
  /** The account. */
  accountAddress: Felt;
  /** The chain id. */
  chainId: Felt;
  /** The session. */
  session: Session;
  /** Its key. */
  sessionKey: StarkKey;
  /** The owner's authorization (absent for a registered session). */
  ownerAuthorization?: Felt[];
}

/** The salt a page passes to the passkey's PRF for session encryption (fixed per purpose). */
export const SESSION_PRF_SALT = new TextEncoder().encode('session-keys: encrypt session v1');

const STORAGE_PREFIX = 'session-keys:session:';

/** The storage key of an account's encrypted session. */
export function sessionStorageKey(accountAddress: Felt): string {
  return `${STORAGE_PREFIX}${hex(accountAddress)}`;
}

function toSpec(session: Session): SessionSpec {
  return {
    sessionKey: hex(session.sessionKey),
    expiresAt: session.expiresAt,
    epoch: hex(session.epoch),
    allowedMethods: session.allowedMethods.map((method) => {
      const name = session.entrypointNames.get(method.selector);
      return {
        contractAddress: hex(method.contractAddress),
        ...(name === undefined ? { selector: hex(method.selector) } : { entrypoint: name }),
        rules: method.rules,
      };
    }),
    policy: {
      maxFeePerTx: session.policy.maxFeePerTx?.toString(),
      feeBudget: session.policy.feeBudget?.toString(),
      maxCalls: session.policy.maxCalls,
      spendLimits: session.policy.spendLimits.map((limit) => ({
        token: hex(limit.token),
        amount: limit.amount.toString(),
        period: limit.period,
      })),
      validAfter: session.policy.validAfter,
      limitsWindow: session.policy.limitsWindow,
    },
    allowedMessages: session.allowedMessages.map((message) => ({
      domainHash: hex(message.domainHash),
      typeHash: hex(message.typeHash),
    })),
  };
}

const replacer = (_: string, value: unknown): unknown => (typeof value === 'bigint' ? { $bigint: hex(value) } : value);
const reviver = (_: string, value: unknown): unknown =>
  value !== null && typeof value === 'object' && '$bigint' in value ? BigInt((value as { $bigint: string }).$bigint) : value;

async function aesKey(prfOutput: Uint8Array, accountAddress: Felt): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', new Uint8Array(prfOutput), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: new TextEncoder().encode('session-keys v1'),
      info: new TextEncoder().encode(hex(accountAddress)),
    },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** Encrypts a session with the passkey's PRF output. */
export async function encryptSession(material: SessionMaterial, prfOutput: Uint8Array): Promise<EncryptedSessionRecord> {
  const plain = JSON.stringify(
    {
      chainId: material.chainId,
      spec: toSpec(material.session),
      secret: material.sessionKey.exportSecret(),
      ownerAuthorization: material.ownerAuthorization,
    },
    replacer,
  );
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await aesKey(prfOutput, material.accountAddress);
  const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(plain));
  return { version: 1, accountAddress: hex(material.accountAddress), iv: base64url(iv), ciphertext: base64url(new Uint8Array(ciphertext)) };
}

/** Decrypts a record with the passkey's PRF output; throws `StorageError('CORRUPT')` if it does not open. */
export async function decryptSession(record: EncryptedSessionRecord, prfOutput: Uint8Array): Promise<SessionMaterial> {
  const accountAddress = BigInt(record.accountAddress);
  let plain: string;
  try {
    const key = await aesKey(prfOutput, accountAddress);
    const bytes = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: new Uint8Array(base64urlDecode(record.iv)) },
      key,
      new Uint8Array(base64urlDecode(record.ciphertext)),
    );
    plain = new TextDecoder().decode(bytes);
  } catch {
    throw new StorageError('CORRUPT', 'the stored session does not decrypt with this passkey');
  }
  const stored = JSON.parse(plain, reviver) as {
    chainId: bigint;
    spec: SessionSpec & { allowedMethods: { rules?: ArgumentRule[] }[] };
    secret: bigint;
    ownerAuthorization?: bigint[];
  };
  return {
    accountAddress,
    chainId: stored.chainId,
    session: Session.build(stored.spec),
    sessionKey: new StarkKey(stored.secret),
    ownerAuthorization: stored.ownerAuthorization,
  };
}

/** Reads an account's encrypted record from `storage` (undefined when there is none). */
export function readSessionRecord(storage: Pick<Storage, 'getItem'>, accountAddress: Felt): EncryptedSessionRecord | undefined {
  const text = storage.getItem(sessionStorageKey(accountAddress));
  if (text === null) return undefined;
  try {
    const record = JSON.parse(text) as EncryptedSessionRecord;
    if (record.version !== 1 || typeof record.ciphertext !== 'string') throw new Error('unknown format');
    return record;
  } catch {
    throw new StorageError('CORRUPT', `the stored session of ${hex(accountAddress)} is not a session record`);
  }
}
