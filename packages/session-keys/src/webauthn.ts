/**
 * Passkey owners: credentials and WebAuthn assertions encoded as the account parses them. The
 * challenge of an assertion is the base64url (no padding) of the signed hash's 32 big-endian
 * bytes; the account requires `s ≤ n/2` (`assertionFromBrowser` normalises it).
 */
import { p256 } from '@noble/curves/p256';
import { sha256 } from '@noble/hashes/sha256';

import { base64url, bigIntToBytes, bytesToBigInt, feltToBytes } from './bytes.js';
import { PasskeyError } from './errors.js';
import { type Felt, poseidonMany, shortString } from './felt.js';
import { WEBAUTHN_MAGIC } from './signature.js';

/** authenticatorData flag: user present. */
export const USER_PRESENT = 0x01;
/** authenticatorData flag: user verified (PIN or biometrics); the account requires it. */
export const USER_VERIFIED = 0x04;

/** A P-256 passkey as the account stores it. */
export interface Passkey {
  /** Public key x (32 bytes big-endian). */
  x: Uint8Array;
  /** Public key y. */
  y: Uint8Array;
  /** SHA-256 of the relying party id. */
  rpIdHash: Uint8Array;
  /** The web origin assertions must come from (`https://game.example`). */
  origin: string;
}

/** Who owns an account: a Stark key or a passkey. */
export type OwnerKey = { kind: 'stark'; publicKey: Felt } | { kind: 'passkey'; passkey: Passkey };

/** A WebAuthn assertion as the account checks it. */
export interface WebAuthnAssertion {
  /** authenticatorData as returned. */
  authenticatorData: Uint8Array;
  /** clientDataJSON as returned. */
  clientDataJson: Uint8Array;
  /** r. */
  r: bigint;
  /** s (≤ n/2). */
  s: bigint;
}

const encoder = new TextEncoder();

/** `bytes` as Cairo serializes a `ByteArray`. */
export function byteArrayFelts(bytes: Uint8Array): Felt[] {
  const full = Math.floor(bytes.length / 31);
  const felts: Felt[] = [BigInt(full)];
  for (let word = 0; word < full; word += 1) felts.push(bytesToBigInt(bytes.subarray(31 * word, 31 * word + 31)));
  const pending = bytes.subarray(31 * full);
  felts.push(bytesToBigInt(pending), BigInt(pending.length));
  return felts;
}

function u256Felts(bytes: Uint8Array): [Felt, Felt] {
  return [bytesToBigInt(bytes.subarray(16)), bytesToBigInt(bytes.subarray(0, 16))];
}

/** A passkey from its public key's coordinates, relying party id and origin. */
export function passkeyFromPoint(point: Uint8Array, rpId: string, origin: string): Passkey {
  if (point.length !== 65 || point[0] !== 4) {
    throw new PasskeyError('BAD_PUBLIC_KEY', 'not an uncompressed P-256 public key');
  }
  try {
    p256.ProjectivePoint.fromHex(point).assertValidity();
  } catch (cause) {
    throw new PasskeyError('BAD_PUBLIC_KEY', 'not a point of P-256', { cause });
  }
  return { x: point.slice(1, 33), y: point.slice(33), rpIdHash: sha256(encoder.encode(rpId)), origin };
}

/** A passkey from the SPKI DER public key a browser returns (`getPublicKey()`). */
export function passkeyFromSpki(spki: Uint8Array, rpId: string, origin: string): Passkey {
  if (spki.length < 65) throw new PasskeyError('BAD_PUBLIC_KEY', 'the public key is too short for P-256');
  return passkeyFromPoint(spki.subarray(spki.length - 65), rpId, origin);
}

/** The passkey as the contract's `Passkey` serializes. */
export function passkeyFelts(passkey: Passkey): Felt[] {
  return [
    ...u256Felts(passkey.x),
    ...u256Felts(passkey.y),
    ...u256Felts(passkey.rpIdHash),
    ...byteArrayFelts(encoder.encode(passkey.origin)),
  ];
}

/** The passkey's owner id (what `get_owner` returns). */
export function passkeyId(passkey: Passkey): Felt {
  // x, y and the RP ID hash as u256 words (6 felts), then the hash of the origin's ByteArray.
  const felts = passkeyFelts(passkey);
  return poseidonMany([shortString('passkey'), ...felts.slice(0, 6), poseidonMany(felts.slice(6))]);
}

/** The owner as the constructor's `OwnerKey` serializes (variant, then fields). */
export function ownerKeyFelts(owner: OwnerKey): Felt[] {
  return owner.kind === 'stark' ? [0n, owner.publicKey] : [1n, ...passkeyFelts(owner.passkey)];
}

/** The owner's id: the Stark public key, or the passkey id. */
export function ownerId(owner: OwnerKey): Felt {
  return owner.kind === 'stark' ? owner.publicKey : passkeyId(owner.passkey);
}

/** The WebAuthn challenge of a hash: base64url of its 32 bytes. */
export function challengeOf(hash: Felt): string {
  return base64url(feltToBytes(hash));
}

/** The clientDataJSON a browser writes for an assertion over `hash` at `origin`. */
export function clientDataJson(hash: Felt, origin: string): Uint8Array {
  return encoder.encode(
    `{"type":"webauthn.get","challenge":"${challengeOf(hash)}","origin":"${origin}","crossOrigin":false}`,
  );
}

/** authenticatorData: rpIdHash, flags, signature counter. */
export function authenticatorData(rpId: string, flags: number, signCount: number): Uint8Array {
  const data = new Uint8Array(37);
  data.set(sha256(encoder.encode(rpId)));
  data[32] = flags;
  data.set(bigIntToBytes(BigInt(signCount), 4), 33);
  return data;
}

/** What the authenticator signs: SHA-256(authenticatorData ‖ SHA-256(clientDataJSON)). */
export function assertionSignedMessage(authenticatorDataBytes: Uint8Array, clientData: Uint8Array): Uint8Array {
  const message = new Uint8Array(authenticatorDataBytes.length + 32);
  message.set(authenticatorDataBytes);
  message.set(sha256(clientData), authenticatorDataBytes.length);
  return sha256(message);
}

/** An assertion from what `navigator.credentials.get` returns (DER signature), `s` normalised. */
export function assertionFromBrowser(
  authenticatorDataBytes: Uint8Array,
  clientData: Uint8Array,
  derSignature: Uint8Array,
): WebAuthnAssertion {
  let signature;
  try {
    signature = p256.Signature.fromDER(derSignature);
  } catch (cause) {
    throw new PasskeyError('BAD_SIGNATURE', 'the signature is not a DER-encoded P-256 ECDSA signature', { cause });
  }
  return assertionFromSignature(authenticatorDataBytes, clientData, signature.r, signature.s);
}

/** An assertion from `r` and `s`, `s` replaced by `n - s` when above n/2. */
export function assertionFromSignature(
  authenticatorDataBytes: Uint8Array,
  clientData: Uint8Array,
  r: bigint,
  s: bigint,
): WebAuthnAssertion {
  const n = p256.CURVE.n;
  return { authenticatorData: authenticatorDataBytes, clientDataJson: clientData, r, s: s > n / 2n ? n - s : s };
}

/** The assertion as the account parses it (after the magic). */
export function assertionFelts(assertion: WebAuthnAssertion): Felt[] {
  return [
    ...byteArrayFelts(assertion.authenticatorData),
    ...byteArrayFelts(assertion.clientDataJson),
    ...u256Felts(bigIntToBytes(assertion.r, 32)),
    ...u256Felts(bigIntToBytes(assertion.s, 32)),
  ];
}

/** A passkey owner's signature: `[WEBAUTHN_MAGIC, assertion…]`. */
export function encodeWebAuthnSignature(assertion: WebAuthnAssertion): Felt[] {
  return [WEBAUTHN_MAGIC, ...assertionFelts(assertion)];
}
