/**
 * Felts as `bigint`s, and the hash primitives of the protocol (starknet.js's Poseidon and
 * starknet_keccak), with input checked where a user supplies it.
 */
import { ec, hash } from 'starknet';

import { BuildError } from './errors.js';

/** A field element; the protocol's values are all felts. */
export type Felt = bigint;
/** What a felt may be given as: a bigint, a safe integer, or a decimal or 0x-hex string. */
export type FeltLike = bigint | number | string;

/** The Stark field's prime, 2^251 + 17·2^192 + 1. */
export const FIELD_PRIME: Felt = 2n ** 251n + 17n * 2n ** 192n + 1n;
/** 2^128 - 1, the largest u128 (on the wire: "no limit"). */
export const U128_MAX: bigint = 2n ** 128n - 1n;
/** 2^64 - 1, the largest u64. */
export const U64_MAX: bigint = 2n ** 64n - 1n;
/** 2^256 - 1, the largest u256 (an unlimited spend limit). */
export const U256_MAX: bigint = 2n ** 256n - 1n;

function parseInteger(value: FeltLike, what: string): bigint {
  try {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Error('not an integer');
    return BigInt(value);
  } catch {
    throw new BuildError('INVALID_FELT', `${what} is not a number: ${String(value)}`);
  }
}

/** `value` as a felt; throws `BuildError('INVALID_FELT')` naming `what` when it is not one. */
export function toFelt(value: FeltLike, what = 'value'): Felt {
  const felt = parseInteger(value, what);
  if (felt < 0n || felt >= FIELD_PRIME) {
    throw new BuildError('INVALID_FELT', `${what} ${String(value)} is not a felt (0 ≤ x < 2^251 + 17·2^192 + 1)`);
  }
  return felt;
}

/** `value` as an integer in [0, max]; throws naming `what` otherwise. */
export function toUint(value: FeltLike, max: bigint, what: string): bigint {
  const integer = parseInteger(value, what);
  if (integer < 0n || integer > max) {
    throw new BuildError('INVALID_FELT', `${what} ${String(value)} is out of range (0 to ${max})`);
  }
  return integer;
}

/** A felt as 0x-prefixed lowercase hex without leading zeros (`0x0` for zero), as the vectors write it. */
export function hex(felt: bigint): string {
  return `0x${felt.toString(16)}`;
}

/** A short string (≤ 31 ASCII characters) as a felt. */
export function shortString(text: string): Felt {
  if (text.length > 31 || [...text].some((char) => char.charCodeAt(0) > 0x7f)) {
    throw new BuildError('INVALID_FELT', `not a short string (≤ 31 ASCII characters): ${JSON.stringify(text)}`);
  }
  let felt = 0n;
  for (const char of text) felt = (felt << 8n) | BigInt(char.charCodeAt(0));
  return felt;
}

/** A felt's short string, leading zero bytes dropped (a chain id's `SN_SEPOLIA`). */
export function decodeShortString(felt: Felt): string {
  let text = '';
  for (let value = felt; value > 0n; value >>= 8n) text = String.fromCharCode(Number(value & 0xffn)) + text;
  return text;
}

/** The selector of an entrypoint name (starknet_keccak of the ASCII name). */
export function selectorOf(entrypoint: string): Felt {
  if (entrypoint.length === 0 || !/^[\x21-\x7e]+$/.test(entrypoint)) {
    throw new BuildError('INVALID_ENTRYPOINT', `invalid entrypoint name ${JSON.stringify(entrypoint)}`);
  }
  return BigInt(hash.getSelectorFromName(entrypoint));
}

/** starknet_keccak of an ASCII string (type hashes). */
export function starknetKeccak(text: string): Felt {
  return BigInt(hash.starknetKeccak(text));
}

/** Poseidon over a list (`poseidon_hash_span` in Cairo, `poseidon_hash_many` in starknet-crypto). */
export function poseidonMany(values: readonly Felt[]): Felt {
  return ec.starkCurve.poseidonHashMany([...values]);
}

/** Poseidon of a pair with capacity 2 (`poseidon_hash(a, b)`: SNIP-12 Merkle nodes only). */
export function poseidonPair(a: Felt, b: Felt): Felt {
  return ec.starkCurve.poseidonHash(a, b);
}

/** Numeric order of two felts (for sorting, as the Rust crate orders them). */
export function compareFelts(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A random felt below 2^248 (`crypto.getRandomValues`): nonces and throwaway challenges. */
export function randomFelt(): Felt {
  return [...crypto.getRandomValues(new Uint8Array(31))].reduce((felt, byte) => (felt << 8n) | BigInt(byte), 0n);
}

/** The low 128 bits and high 128 bits of a u256, as Cairo serializes it. */
export function u256Words(value: bigint): [Felt, Felt] {
  return [value & U128_MAX, value >> 128n];
}
