/** Byte helpers that work the same in browsers and Node (no `Buffer`). */
import type { Felt } from './felt.js';

/** Bytes as lowercase hex without prefix. */
export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Hex (with or without 0x) as bytes. */
export function hexToBytes(text: string): Uint8Array {
  const digits = text.startsWith('0x') ? text.slice(2) : text;
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) throw new RangeError(`not hex bytes: ${text}`);
  return Uint8Array.from({ length: digits.length / 2 }, (_, index) => parseInt(digits.slice(2 * index, 2 * index + 2), 16));
}

/** Big-endian bytes as an integer. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytesToHex(bytes)}`);
}

/** An integer as `length` big-endian bytes. */
export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  return hexToBytes(value.toString(16).padStart(2 * length, '0'));
}

/** A felt as its 32 big-endian bytes. */
export function feltToBytes(felt: Felt): Uint8Array {
  return bigIntToBytes(felt, 32);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url without padding (WebAuthn challenges). */
export function base64url(bytes: Uint8Array): string {
  let out = '';
  for (let index = 0; index < bytes.length; index += 3) {
    const chunk = bytes.subarray(index, index + 3);
    const group = (chunk[0]! << 16) | ((chunk[1] ?? 0) << 8) | (chunk[2] ?? 0);
    for (let digit = 0; digit <= chunk.length; digit += 1) out += ALPHABET[(group >> (18 - 6 * digit)) & 63];
  }
  return out;
}

/** Decodes base64url (padding tolerated). */
export function base64urlDecode(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '');
  const out: number[] = [];
  for (let index = 0; index < clean.length; index += 4) {
    const chunk = clean.slice(index, index + 4);
    if (chunk.length === 1) throw new RangeError('not base64url');
    let group = 0;
    for (let digit = 0; digit < chunk.length; digit += 1) {
      const value = ALPHABET.indexOf(chunk[digit]!);
      if (value < 0) throw new RangeError('not base64url');
      group |= value << (18 - 6 * digit);
    }
    for (let byte = 0; byte < chunk.length - 1; byte += 1) out.push((group >> (16 - 8 * byte)) & 0xff);
  }
  return Uint8Array.from(out);
}
