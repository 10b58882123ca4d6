//! WebAuthn (passkey) assertions, verified on-chain in full: authenticator data (RP ID hash, user
//! present and user verified flags), client data (type, challenge, origin, not cross-origin),
//! SHA-256 and the P-256 signature through the secp256r1 syscalls.
//!
//! Client data is checked with the WebAuthn "limited verification algorithm" (§5.8.1.2): it must
//! start `{"type":"webauthn.get","challenge":"<challenge>","origin":"<origin>"`, then optionally
//! `,"crossOrigin":false`, then `}` or further members (browsers may add some) none of which is
//! `type`, `challenge`, `origin`, `crossOrigin` or `topOrigin` again. The challenge is the
//! base64url (no padding) of the 32-byte big-endian hash being signed.
//!
//! Low-s rule: `s` must be at most n/2 (the corelib's check). Authenticators do not normalise
//! `s`; clients replace a high `s` by `n - s` (an equally valid signature) before submitting, so
//! every assertion has exactly one accepted encoding.

use core::sha256::compute_sha256_byte_array;
use starknet::SyscallResultTrait;
use starknet::secp256_trait::{Secp256Trait, is_valid_signature};
use starknet::secp256r1::Secp256r1Point;
use crate::errors::WebAuthnErrors;
use crate::interfaces::Passkey;

/// `authenticatorData` flag: user present.
const USER_PRESENT: u8 = 0x01;
/// `authenticatorData` flag: user verified.
const USER_VERIFIED: u8 = 0x04;
/// Bytes of `authenticatorData` before its extensions: RP ID hash, flags, signature counter.
const AUTHENTICATOR_DATA_MIN_LENGTH: usize = 37;
/// The order of the P-256 group.
const P256_ORDER: u256 = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551;

/// A WebAuthn assertion (what `navigator.credentials.get` returns), with the signature's `s`
/// normalised to at most n/2.
#[derive(Clone, Drop, Debug, PartialEq, Serde)]
pub struct WebAuthnAssertion {
    /// `authenticatorData`.
    pub authenticator_data: ByteArray,
    /// `clientDataJSON`.
    pub client_data_json: ByteArray,
    /// The P-256 signature's `r`.
    pub r: u256,
    /// The P-256 signature's `s`.
    pub s: u256,
}

/// Checks that `assertion` is `passkey`'s over `challenge`; the error is a `WebAuthnErrors` reason.
pub fn verify_assertion(
    passkey: @Passkey, challenge: felt252, assertion: @WebAuthnAssertion,
) -> Result<(), felt252> {
    check_authenticator_data(assertion.authenticator_data, *passkey.rp_id_hash)?;
    check_client_data(assertion.client_data_json, @base64url_32(challenge.into()), passkey.origin)?;
    let (r, s) = (*assertion.r, *assertion.s);
    if r == 0 || r >= P256_ORDER || s == 0 || s >= P256_ORDER {
        return Err(WebAuthnErrors::SIGNATURE_OUT_OF_RANGE);
    }
    if s > P256_ORDER / 2 {
        return Err(WebAuthnErrors::HIGH_S);
    }
    let public_key = public_key_point(*passkey.x, *passkey.y).ok_or(WebAuthnErrors::BAD_PUBLIC_KEY)?;
    let message = signed_message(assertion.authenticator_data, assertion.client_data_json);
    if !is_valid_signature::<Secp256r1Point>(message, r, s, public_key) {
        return Err(WebAuthnErrors::INVALID_SIGNATURE);
    }
    Ok(())
}

/// The P-256 point `(x, y)`, if it is on the curve.
pub fn public_key_point(x: u256, y: u256) -> Option<Secp256r1Point> {
    Secp256Trait::<Secp256r1Point>::secp256_ec_new_syscall(x, y).unwrap_syscall()
}

/// `sha256(authenticator_data || sha256(client_data_json))`, big-endian: what the authenticator
/// signs.
fn signed_message(authenticator_data: @ByteArray, client_data_json: @ByteArray) -> u256 {
    let client_data_hash = compute_sha256_byte_array(client_data_json);
    let mut signed: ByteArray = authenticator_data.clone();
    for word in client_data_hash.span() {
        signed.append_word((*word).into(), 4);
    }
    words_to_u256(compute_sha256_byte_array(@signed))
}

fn words_to_u256(words: [u32; 8]) -> u256 {
    let [w0, w1, w2, w3, w4, w5, w6, w7] = words;
    u256 { high: u128_of_words(w0, w1, w2, w3), low: u128_of_words(w4, w5, w6, w7) }
}

fn u128_of_words(a: u32, b: u32, c: u32, d: u32) -> u128 {
    let (a, b, c, d): (u128, u128, u128, u128) = (a.into(), b.into(), c.into(), d.into());
    ((a * 0x100000000 + b) * 0x100000000 + c) * 0x100000000 + d
}

/// The RP ID hash and the user present and user verified flags.
fn check_authenticator_data(data: @ByteArray, rp_id_hash: u256) -> Result<(), felt252> {
    if data.len() < AUTHENTICATOR_DATA_MIN_LENGTH {
        return Err(WebAuthnErrors::AUTHENTICATOR_DATA_TOO_SHORT);
    }
    let mut high: u128 = 0;
    let mut low: u128 = 0;
    for index in 0..32_usize {
        let byte: u128 = data.at(index).unwrap().into(); // the length was checked
        if index < 16 {
            high = high * 0x100 + byte;
        } else {
            low = low * 0x100 + byte;
        }
    }
    if (u256 { high, low }) != rp_id_hash {
        return Err(WebAuthnErrors::WRONG_RP_ID);
    }
    let flags = data.at(32).unwrap();
    if (flags & USER_PRESENT) == 0 {
        return Err(WebAuthnErrors::USER_NOT_PRESENT);
    }
    if (flags & USER_VERIFIED) == 0 {
        return Err(WebAuthnErrors::USER_NOT_VERIFIED);
    }
    Ok(())
}

/// The limited verification algorithm of WebAuthn §5.8.1.2 (see the module's documentation).
fn check_client_data(data: @ByteArray, challenge: @ByteArray, origin: @ByteArray) -> Result<(), felt252> {
    let mut at = 0;
    if !take(data, ref at, @"{\"type\":\"webauthn.get\"") {
        return Err(WebAuthnErrors::NOT_A_GET);
    }
    if !take(data, ref at, @",\"challenge\":\"") {
        return Err(WebAuthnErrors::BAD_CLIENT_DATA);
    }
    if !take(data, ref at, challenge) || !take(data, ref at, @"\"") {
        return Err(WebAuthnErrors::WRONG_CHALLENGE);
    }
    if !take(data, ref at, @",\"origin\":\"") {
        return Err(WebAuthnErrors::BAD_CLIENT_DATA);
    }
    if !take(data, ref at, origin) || !take(data, ref at, @"\"") {
        return Err(WebAuthnErrors::WRONG_ORIGIN);
    }
    if starts_with(data, at, @",\"crossOrigin\":true") {
        return Err(WebAuthnErrors::CROSS_ORIGIN);
    }
    let _ = take(data, ref at, @",\"crossOrigin\":false");
    // The rest: `}`, or more members and `}`, none repeating a member checked above.
    let length = data.len();
    if at >= length || data.at(length - 1) != Some(125) { // '}'
        return Err(WebAuthnErrors::BAD_CLIENT_DATA);
    }
    if at + 1 < length && data.at(at) != Some(44) { // ','
        return Err(WebAuthnErrors::BAD_CLIENT_DATA);
    }
    let reserved: [ByteArray; 5] = [
        "\"type\"", "\"challenge\"", "\"origin\"", "\"crossOrigin\"", "\"topOrigin\"",
    ];
    for key in reserved.span() {
        if contains_from(data, at, key) {
            return Err(WebAuthnErrors::BAD_CLIENT_DATA);
        }
    }
    Ok(())
}

/// Whether `data` continues with `expected` at `at`; if so, moves `at` past it.
fn take(data: @ByteArray, ref at: usize, expected: @ByteArray) -> bool {
    if !starts_with(data, at, expected) {
        return false;
    }
    at += expected.len();
    true
}

/// Whether `data` has `expected` at `at`.
fn starts_with(data: @ByteArray, at: usize, expected: @ByteArray) -> bool {
    if at + expected.len() > data.len() {
        return false;
    }
    for index in 0..expected.len() {
        if data.at(at + index) != expected.at(index) {
            return false;
        }
    }
    true
}

/// Whether `wanted` occurs in `data` from `from` on.
fn contains_from(data: @ByteArray, from: usize, wanted: @ByteArray) -> bool {
    let (length, wanted_length) = (data.len(), wanted.len());
    let mut at = from;
    while at + wanted_length <= length {
        if starts_with(data, at, wanted) {
            return true;
        }
        at += 1;
    }
    false
}

/// The base64url encoding, without padding, of `value`'s 32 big-endian bytes (43 characters).
pub fn base64url_32(value: u256) -> ByteArray {
    let mut bytes: Array<u8> = array![];
    push_be_bytes(ref bytes, value.high);
    push_be_bytes(ref bytes, value.low);
    let mut out: ByteArray = "";
    let mut index = 0;
    while index + 3 <= 32 {
        let group: u32 = (*bytes[index]).into() * 0x10000
            + (*bytes[index + 1]).into() * 0x100
            + (*bytes[index + 2]).into();
        out.append_byte(base64url_char(group / 0x40000));
        out.append_byte(base64url_char((group / 0x1000) % 64));
        out.append_byte(base64url_char((group / 0x40) % 64));
        out.append_byte(base64url_char(group % 64));
        index += 3;
    }
    // Two bytes left (32 = 10 × 3 + 2): three characters.
    let group: u32 = (*bytes[30]).into() * 0x100 + (*bytes[31]).into();
    out.append_byte(base64url_char(group / 0x400));
    out.append_byte(base64url_char((group / 0x10) % 64));
    out.append_byte(base64url_char((group % 0x10) * 4));
    out
}

fn push_be_bytes(ref bytes: Array<u8>, value: u128) {
    let mut shift: u128 = 0x1000000000000000000000000000000; // 2^120
    loop {
        bytes.append(((value / shift) % 0x100).try_into().unwrap());
        if shift == 1 {
            break;
        }
        shift /= 0x100;
    }
}

fn base64url_char(value: u32) -> u8 {
    let value: u8 = value.try_into().unwrap(); // below 64
    if value < 26 {
        65 + value // 'A'
    } else if value < 52 {
        97 + value - 26 // 'a'
    } else if value < 62 {
        48 + value - 52 // '0'
    } else if value == 62 {
        45 // '-'
    } else {
        95 // '_'
    }
}
