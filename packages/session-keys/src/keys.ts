/** Session keys: Stark key pairs, made from the platform's secure random source and kept in memory. */
import { invert, mod } from '@noble/curves/abstract/modular';
import { concatBytes, createHmacDrbg } from '@noble/curves/abstract/utils';
import { hmac } from '@noble/hashes/hmac';
import { sha256 } from '@noble/hashes/sha256';
import { ec } from 'starknet';

import { bigIntToBytes, bytesToBigInt } from './bytes.js';
import type { Felt } from './felt.js';
import type { StarkSignature } from './signature.js';

const ORDER = ec.starkCurve.CURVE.n;
const UPPER_BOUND = 2n ** 251n;

/**
 * RFC 6979 `k` as starknet-crypto derives it (the DRBG's 32 bytes shifted right by 4), so a key
 * signs exactly what the Rust SDK signs; `seed` is starknet-crypto's retry counter.
 */
function deterministicK(hash: Felt, secret: Felt, seed: bigint): bigint {
  const drbg = createHmacDrbg<bigint>(32, 32, (key, ...messages) => hmac(sha256, key, concatBytes(...messages)));
  const extra = seed === 0n ? new Uint8Array() : bigIntToBytes(seed, Math.ceil(seed.toString(16).length / 2));
  return drbg(concatBytes(bigIntToBytes(secret, 32), bigIntToBytes(hash, 32), extra), (bytes) => {
    const k = bytesToBigInt(bytes) >> 4n;
    return k > 0n && k < ORDER ? k : undefined;
  });
}

/** A Stark key pair; the private scalar never leaves this object except through `exportSecret`. */
export class StarkKey {
  /** The public key (x coordinate). */
  readonly publicKey: Felt;
  readonly #secret: Felt;

  /** A key from a private scalar (1 ≤ k < curve order). */
  constructor(secret: Felt) {
    if (secret <= 0n || secret >= ORDER) throw new RangeError('not a Stark private key');
    this.#secret = secret;
    this.publicKey = BigInt(ec.starkCurve.getStarkKey(`0x${secret.toString(16)}`));
  }

  /** A fresh random key (`crypto.getRandomValues`). */
  static random(): StarkKey {
    return new StarkKey(bytesToBigInt(ec.starkCurve.utils.randomPrivateKey()));
  }

  /** Signs a hash (< 2^251) with a deterministic nonce, identical to starknet-rs's signatures. */
  sign(hash: Felt): StarkSignature {
    if (hash < 0n || hash >= UPPER_BOUND) throw new RangeError('a Stark signature needs a hash below 2^251');
    for (let seed = 0n; ; seed += 1n) {
      const k = deterministicK(hash, this.#secret, seed);
      const r = ec.starkCurve.ProjectivePoint.BASE.multiply(k).toAffine().x;
      if (r === 0n || r >= UPPER_BOUND) continue;
      const s = mod((mod(r * this.#secret, ORDER) + hash) * invert(k, ORDER), ORDER);
      if (s === 0n || s >= UPPER_BOUND) continue;
      return { r, s };
    }
  }

  /** The private scalar (for encrypted persistence only). */
  exportSecret(): Felt {
    return this.#secret;
  }

  /** Never prints the secret. */
  toJSON(): { publicKey: string } {
    return { publicKey: `0x${this.publicKey.toString(16)}` };
  }
}
