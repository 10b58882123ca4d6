/**
 * The passkey wallet's public part (address, credential id, public key: no secret) kept in
 * localStorage so a reload finds the account again. Sessions are never stored here: they are kept
 * in memory, or encrypted with the passkey's PRF by session-keys.
 */
import type { RpcProvider } from 'starknet';
import { type PasskeyCredential, passkeyWallet } from 'session-keys/react';
import type { OwnerAccount } from 'session-keys/react';

const KEY = 'web-game:wallet';

const toHex = (bytes: Uint8Array): string => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
const fromHex = (text: string): Uint8Array => Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));

interface StoredWallet {
  address: string;
  credentialId: string;
  rpId: string;
  prf: boolean;
  x: string;
  y: string;
  rpIdHash: string;
  origin: string;
}

/** Remembers the wallet's public part. */
export function saveWallet(address: string, credential: PasskeyCredential): void {
  const stored: StoredWallet = {
    address,
    credentialId: credential.credentialId,
    rpId: credential.rpId,
    prf: credential.prf,
    x: toHex(credential.passkey.x),
    y: toHex(credential.passkey.y),
    rpIdHash: toHex(credential.passkey.rpIdHash),
    origin: credential.passkey.origin,
  };
  localStorage.setItem(KEY, JSON.stringify(stored));
}

/** The remembered wallet, if any. */
export function loadWallet(provider: RpcProvider): OwnerAccount | undefined {
  const text = localStorage.getItem(KEY);
  if (text === null) return undefined;
  const stored = JSON.parse(text) as StoredWallet;
  return passkeyWallet(provider, stored.address, {
    credentialId: stored.credentialId,
    rpId: stored.rpId,
    prf: stored.prf,
    passkey: { x: fromHex(stored.x), y: fromHex(stored.y), rpIdHash: fromHex(stored.rpIdHash), origin: stored.origin },
  });
}

/** Forgets the wallet. */
export function forgetWallet(): void {
  localStorage.removeItem(KEY);
}
