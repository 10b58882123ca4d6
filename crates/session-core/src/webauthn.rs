//! Passkeys: WebAuthn credentials and assertions, encoded as the account parses them and checked
//! exactly as the account checks them (same rules, same order, same reasons).
//!
//! The challenge of an assertion is the base64url (no padding) of the signed hash's 32 big-endian
//! bytes: a transaction hash, a session hash, an outside-execution hash or a rotation hash. The
//! account requires `s ≤ n/2`; [`WebAuthnAssertion::from_browser`] normalises what authenticators
//! return.

use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::{Signature as P256Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use starknet_core::types::Felt;
use starknet_crypto::poseidon_hash_many;

use crate::snip12::short_string;

/// `authenticatorData` flag: user present.
pub const USER_PRESENT: u8 = 0x01;
/// `authenticatorData` flag: user verified.
pub const USER_VERIFIED: u8 = 0x04;
/// The order of the P-256 group, big-endian.
const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xbc,
    0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// A passkey (WebAuthn credential) that owns an account: its P-256 public key, the SHA-256 of its
/// relying party ID and the origin its assertions come from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Passkey {
    /// The public key's x coordinate, big-endian.
    #[serde(with = "hex32")]
    pub x: [u8; 32],
    /// The public key's y coordinate, big-endian.
    #[serde(with = "hex32")]
    pub y: [u8; 32],
    /// SHA-256 of the relying party ID.
    #[serde(with = "hex32")]
    pub rp_id_hash: [u8; 32],
    /// The origin assertions must come from, e.g. `https://game.example`.
    pub origin: String,
}

/// Why a passkey or an assertion is not one the account accepts (its revert reason in brackets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebAuthnError {
    /// The assertion's felts do not parse (`WebAuthn: malformed assertion`).
    #[error("malformed WebAuthn assertion: {0}")]
    Malformed(&'static str),
    /// `authenticatorData` is shorter than 37 bytes (`WebAuthn: auth data too short`).
    #[error("authenticatorData has {0} bytes, fewer than the 37 required")]
    AuthenticatorDataTooShort(usize),
    /// Another relying party's assertion (`WebAuthn: wrong RP ID`).
    #[error("the assertion is for another relying party (RP ID hash)")]
    WrongRpId,
    /// The user-present flag is not set (`WebAuthn: user not present`).
    #[error("the authenticator did not report the user present")]
    UserNotPresent,
    /// The user-verified flag is not set (`WebAuthn: user not verified`).
    #[error("the authenticator did not verify the user (PIN or biometrics)")]
    UserNotVerified,
    /// `clientDataJSON` is not a `webauthn.get` (`WebAuthn: not webauthn.get`).
    #[error("clientDataJSON is not of type webauthn.get")]
    NotAGet,
    /// `clientDataJSON` members out of order, repeated, or not closed (`WebAuthn: bad client data`).
    #[error("clientDataJSON is not in the form the account accepts: {0}")]
    BadClientData(&'static str),
    /// The challenge is not the signed hash (`WebAuthn: wrong challenge`).
    #[error("the assertion's challenge is not this hash")]
    WrongChallenge,
    /// The origin is not the passkey's (`WebAuthn: wrong origin`).
    #[error("the assertion comes from another origin than the passkey's")]
    WrongOrigin,
    /// Made in a cross-origin frame (`WebAuthn: cross-origin`).
    #[error("the assertion was made in a cross-origin frame")]
    CrossOrigin,
    /// `r` or `s` zero or not below the group order (`WebAuthn: r or s out of range`).
    #[error("signature r or s is zero or not below the P-256 group order")]
    SignatureOutOfRange,
    /// `s` above n/2 (`WebAuthn: high s`).
    #[error("signature s is above n/2 (send n - s)")]
    HighS,
    /// The P-256 signature does not verify (`WebAuthn: invalid signature`).
    #[error("the P-256 signature does not verify")]
    InvalidSignature,
    /// Not a P-256 public key (`WebAuthn: bad public key`).
    #[error("not a P-256 public key")]
    BadPublicKey,
    /// A DER signature from a browser that does not parse.
    #[error("the signature is not a DER-encoded P-256 ECDSA signature")]
    BadDerSignature,
}

impl WebAuthnError {
    /// The account's revert reason for this error (`None` for what only a client can get wrong).
    pub fn reason(&self) -> Option<&'static str> {
        Some(match self {
            Self::Malformed(_) => "WebAuthn: malformed assertion",
            Self::AuthenticatorDataTooShort(_) => "WebAuthn: auth data too short",
            Self::WrongRpId => "WebAuthn: wrong RP ID",
            Self::UserNotPresent => "WebAuthn: user not present",
            Self::UserNotVerified => "WebAuthn: user not verified",
            Self::NotAGet => "WebAuthn: not webauthn.get",
            Self::BadClientData(_) => "WebAuthn: bad client data",
            Self::WrongChallenge => "WebAuthn: wrong challenge",
            Self::WrongOrigin => "WebAuthn: wrong origin",
            Self::CrossOrigin => "WebAuthn: cross-origin",
            Self::SignatureOutOfRange => "WebAuthn: r or s out of range",
            Self::HighS => "WebAuthn: high s",
            Self::InvalidSignature => "WebAuthn: invalid signature",
            Self::BadPublicKey => "WebAuthn: bad public key",
            Self::BadDerSignature => return None,
        })
    }
}

impl Passkey {
    /// The passkey of `public_key` for relying party `rp_id` (a domain) and `origin`.
    pub fn new(public_key: &VerifyingKey, rp_id: &str, origin: &str) -> Self {
        let point = public_key.to_encoded_point(false);
        let mut x = [0u8; 32];
        let mut y = [0u8; 32];
        x.copy_from_slice(point.x().map_or(&[0u8; 32][..], |x| x.as_slice()));
        y.copy_from_slice(point.y().map_or(&[0u8; 32][..], |y| y.as_slice()));
        Self { x, y, rp_id_hash: Sha256::digest(rp_id.as_bytes()).into(), origin: origin.to_owned() }
    }

    /// The passkey of a browser credential: `spki` is what `response.getPublicKey()` returns (a
    /// DER SubjectPublicKeyInfo of a P-256 key).
    pub fn from_spki(spki: &[u8], rp_id: &str, origin: &str) -> Result<Self, WebAuthnError> {
        // The uncompressed point is the last 65 bytes: 0x04 || x || y.
        let point =
            spki.len().checked_sub(65).map(|start| &spki[start..]).ok_or(WebAuthnError::BadPublicKey)?;
        let key = VerifyingKey::from_sec1_bytes(point).map_err(|_| WebAuthnError::BadPublicKey)?;
        Ok(Self::new(&key, rp_id, origin))
    }

    /// The P-256 public key.
    pub fn verifying_key(&self) -> Result<VerifyingKey, WebAuthnError> {
        let mut point = [0u8; 65];
        point[0] = 4;
        point[1..33].copy_from_slice(&self.x);
        point[33..].copy_from_slice(&self.y);
        VerifyingKey::from_sec1_bytes(&point).map_err(|_| WebAuthnError::BadPublicKey)
    }

    /// The passkey as the contract's `Passkey` struct serializes it.
    pub fn to_felts(&self) -> Vec<Felt> {
        let mut felts = Vec::new();
        for value in [&self.x, &self.y, &self.rp_id_hash] {
            let (low, high) = u256_words(value);
            felts.extend([low, high]);
        }
        felts.extend(byte_array_felts(self.origin.as_bytes()));
        felts
    }

    /// Parses a serialized passkey that must use every felt (e.g. `get_owner_key`'s answer).
    pub fn from_felts(felts: &[Felt]) -> Result<Self, WebAuthnError> {
        let mut rest = felts;
        let (x, y, rp_id_hash) = (read_u256(&mut rest)?, read_u256(&mut rest)?, read_u256(&mut rest)?);
        let origin = String::from_utf8(read_byte_array(&mut rest)?)
            .map_err(|_| WebAuthnError::Malformed("origin is not UTF-8"))?;
        if !rest.is_empty() {
            return Err(WebAuthnError::Malformed("trailing felts"));
        }
        Ok(Self { x, y, rp_id_hash, origin })
    }

    /// The owner id the account reports for this passkey (`get_owner`, rotation hashes):
    /// `poseidon('passkey', x.low, x.high, y.low, y.high, rp_id_hash.low, rp_id_hash.high,
    /// poseidon(serialized origin))`.
    pub fn id(&self) -> Felt {
        let mut felts = vec![short_string("passkey")];
        felts.extend(&self.to_felts()[..6]);
        felts.push(poseidon_hash_many(&byte_array_felts(self.origin.as_bytes())));
        poseidon_hash_many(&felts)
    }
}

/// A WebAuthn assertion as the account takes it: `authenticatorData`, `clientDataJSON` and the
/// P-256 signature with `s ≤ n/2`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WebAuthnAssertion {
    /// `authenticatorData`.
    #[serde(with = "hex_bytes")]
    pub authenticator_data: Vec<u8>,
    /// `clientDataJSON`.
    #[serde(with = "hex_bytes")]
    pub client_data_json: Vec<u8>,
    /// The signature's `r`, big-endian.
    #[serde(with = "hex32")]
    pub r: [u8; 32],
    /// The signature's `s`, big-endian.
    #[serde(with = "hex32")]
    pub s: [u8; 32],
}

impl WebAuthnAssertion {
    /// An assertion as `navigator.credentials.get` returns it (`signature` DER-encoded), with
    /// `s` normalised to at most n/2.
    pub fn from_browser(
        authenticator_data: Vec<u8>,
        client_data_json: Vec<u8>,
        der_signature: &[u8],
    ) -> Result<Self, WebAuthnError> {
        let signature = P256Signature::from_der(der_signature).map_err(|_| WebAuthnError::BadDerSignature)?;
        Ok(Self::from_signature(authenticator_data, client_data_json, &signature))
    }

    /// An assertion with this P-256 signature (`s` normalised to at most n/2).
    pub fn from_signature(
        authenticator_data: Vec<u8>,
        client_data_json: Vec<u8>,
        signature: &P256Signature,
    ) -> Self {
        let signature = signature.normalize_s().unwrap_or(*signature);
        let (r, s) = signature.split_bytes();
        Self { authenticator_data, client_data_json, r: r.into(), s: s.into() }
    }

    /// The assertion as the contract's `WebAuthnAssertion` struct serializes it.
    pub fn to_felts(&self) -> Vec<Felt> {
        let mut felts = byte_array_felts(&self.authenticator_data);
        felts.extend(byte_array_felts(&self.client_data_json));
        for value in [&self.r, &self.s] {
            let (low, high) = u256_words(value);
            felts.extend([low, high]);
        }
        felts
    }

    /// Parses a serialized assertion that must use every felt.
    pub fn from_felts(felts: &[Felt]) -> Result<Self, WebAuthnError> {
        let mut rest = felts;
        let authenticator_data = read_byte_array(&mut rest)?;
        let client_data_json = read_byte_array(&mut rest)?;
        let r = read_u256(&mut rest)?;
        let s = read_u256(&mut rest)?;
        if !rest.is_empty() {
            return Err(WebAuthnError::Malformed("trailing felts"));
        }
        Ok(Self { authenticator_data, client_data_json, r, s })
    }

    /// What the authenticator signed: `sha256(authenticatorData || sha256(clientDataJSON))`.
    pub fn signed_message(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(&self.authenticator_data);
        hasher.update(Sha256::digest(&self.client_data_json));
        hasher.finalize().into()
    }
}

/// The base64url encoding without padding.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0u32, |group, (index, byte)| group | u32::from(*byte) << (16 - 8 * index));
        for index in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(group >> (18 - 6 * index) & 63) as usize]));
        }
    }
    out
}

/// The base64url decoding (no padding); `None` for anything else.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut group = 0u32;
        for (index, c) in chunk.iter().enumerate() {
            group |= value(*c)? << (18 - 6 * index);
        }
        for index in 0..chunk.len() - 1 {
            out.push((group >> (16 - 8 * index)) as u8);
        }
    }
    Some(out)
}

/// The challenge of an assertion over `hash`: base64url of its 32 big-endian bytes.
pub fn challenge_of(hash: Felt) -> String {
    base64url(&hash.to_bytes_be())
}

/// `clientDataJSON` as browsers write it for an assertion over `hash` from `origin`:
/// `{"type":"webauthn.get","challenge":"…","origin":"…","crossOrigin":false}`.
pub fn client_data_json(hash: Felt, origin: &str) -> Vec<u8> {
    format!(
        "{{\"type\":\"webauthn.get\",\"challenge\":\"{}\",\"origin\":\"{}\",\"crossOrigin\":false}}",
        challenge_of(hash),
        origin
    )
    .into_bytes()
}

/// `authenticatorData` without extensions: SHA-256 of `rp_id`, `flags`, the signature counter.
pub fn authenticator_data(rp_id: &str, flags: u8, sign_count: u32) -> Vec<u8> {
    let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
    data.push(flags);
    data.extend(sign_count.to_be_bytes());
    data
}

/// Checks `assertion` over `hash` against `passkey` exactly as the account does (the same checks
/// in the same order, so the first failure is the account's revert reason).
pub fn verify_assertion(
    passkey: &Passkey,
    hash: Felt,
    assertion: &WebAuthnAssertion,
) -> Result<(), WebAuthnError> {
    let data = &assertion.authenticator_data;
    if data.len() < 37 {
        return Err(WebAuthnError::AuthenticatorDataTooShort(data.len()));
    }
    if data[..32] != passkey.rp_id_hash {
        return Err(WebAuthnError::WrongRpId);
    }
    if data[32] & USER_PRESENT == 0 {
        return Err(WebAuthnError::UserNotPresent);
    }
    if data[32] & USER_VERIFIED == 0 {
        return Err(WebAuthnError::UserNotVerified);
    }
    check_client_data(&assertion.client_data_json, &challenge_of(hash), &passkey.origin)?;
    let zero = [0u8; 32];
    if assertion.r == zero || assertion.r >= P256_ORDER || assertion.s == zero || assertion.s >= P256_ORDER {
        return Err(WebAuthnError::SignatureOutOfRange);
    }
    if assertion.s > half_order() {
        return Err(WebAuthnError::HighS);
    }
    let key = passkey.verifying_key()?;
    let signature = P256Signature::from_scalars(assertion.r, assertion.s)
        .map_err(|_| WebAuthnError::SignatureOutOfRange)?;
    key.verify_prehash(&assertion.signed_message(), &signature).map_err(|_| WebAuthnError::InvalidSignature)
}

/// The limited verification algorithm of WebAuthn §5.8.1.2, as the account runs it.
fn check_client_data(data: &[u8], challenge: &str, origin: &str) -> Result<(), WebAuthnError> {
    let mut rest = data;
    let mut take = |expected: &[u8]| take_prefix(&mut rest, expected);
    if !take(b"{\"type\":\"webauthn.get\"") {
        return Err(WebAuthnError::NotAGet);
    }
    if !take(b",\"challenge\":\"") {
        return Err(WebAuthnError::BadClientData("the challenge is not the second member"));
    }
    if !take(challenge.as_bytes()) || !take(b"\"") {
        return Err(WebAuthnError::WrongChallenge);
    }
    if !take(b",\"origin\":\"") {
        return Err(WebAuthnError::BadClientData("the origin is not the third member"));
    }
    if !take(origin.as_bytes()) || !take(b"\"") {
        return Err(WebAuthnError::WrongOrigin);
    }
    if rest.starts_with(b",\"crossOrigin\":true") {
        return Err(WebAuthnError::CrossOrigin);
    }
    take_prefix(&mut rest, b",\"crossOrigin\":false");
    if rest.last() != Some(&b'}') {
        return Err(WebAuthnError::BadClientData("not closed by }"));
    }
    if rest.len() > 1 && rest[0] != b',' {
        return Err(WebAuthnError::BadClientData("members must be separated by a comma"));
    }
    for key in ["\"type\"", "\"challenge\"", "\"origin\"", "\"crossOrigin\"", "\"topOrigin\""] {
        if rest.windows(key.len()).any(|window| window == key.as_bytes()) {
            return Err(WebAuthnError::BadClientData("a member appears twice"));
        }
    }
    Ok(())
}

/// Whether `rest` starts with `expected`; if so, moves past it.
fn take_prefix(rest: &mut &[u8], expected: &[u8]) -> bool {
    match rest.strip_prefix(expected) {
        Some(after) => {
            *rest = after;
            true
        }
        None => false,
    }
}

fn half_order() -> [u8; 32] {
    // n / 2, big-endian: shift right by one bit.
    let mut half = [0u8; 32];
    let mut carry = 0u8;
    for (index, byte) in P256_ORDER.iter().enumerate() {
        half[index] = (byte >> 1) | carry;
        carry = (byte & 1) << 7;
    }
    half
}

/// (low, high) felts of a 32-byte big-endian `u256`.
fn u256_words(value: &[u8; 32]) -> (Felt, Felt) {
    (Felt::from_bytes_be_slice(&value[16..]), Felt::from_bytes_be_slice(&value[..16]))
}

/// `bytes` as Cairo serializes a `ByteArray`: the number of full 31-byte words, the words, the
/// pending word and its length.
pub fn byte_array_felts(bytes: &[u8]) -> Vec<Felt> {
    let full = bytes.len() / 31;
    let mut felts = vec![Felt::from(full)];
    felts.extend(bytes.chunks_exact(31).map(Felt::from_bytes_be_slice));
    let pending = &bytes[full * 31..];
    felts.push(Felt::from_bytes_be_slice(pending));
    felts.push(Felt::from(pending.len()));
    felts
}

fn read_felt(rest: &mut &[Felt]) -> Result<Felt, WebAuthnError> {
    let (first, others) = rest.split_first().ok_or(WebAuthnError::Malformed("truncated"))?;
    *rest = others;
    Ok(*first)
}

fn read_byte_array(rest: &mut &[Felt]) -> Result<Vec<u8>, WebAuthnError> {
    let full: usize =
        read_felt(rest)?.try_into().map_err(|_| WebAuthnError::Malformed("word count out of range"))?;
    if full > rest.len() {
        return Err(WebAuthnError::Malformed("truncated"));
    }
    let mut bytes = Vec::with_capacity(full * 31 + 30);
    for _ in 0..full {
        let word = read_felt(rest)?.to_bytes_be();
        if word[0] != 0 {
            return Err(WebAuthnError::Malformed("a word above 31 bytes"));
        }
        bytes.extend(&word[1..]);
    }
    let pending = read_felt(rest)?.to_bytes_be();
    let length: usize =
        read_felt(rest)?.try_into().map_err(|_| WebAuthnError::Malformed("pending length out of range"))?;
    if length > 30 || pending[..32 - length].iter().any(|byte| *byte != 0) {
        return Err(WebAuthnError::Malformed("pending word does not fit its length"));
    }
    bytes.extend(&pending[32 - length..]);
    Ok(bytes)
}

fn read_u256(rest: &mut &[Felt]) -> Result<[u8; 32], WebAuthnError> {
    let low = read_felt(rest)?.to_bytes_be();
    let high = read_felt(rest)?.to_bytes_be();
    if low[..16].iter().chain(&high[..16]).any(|byte| *byte != 0) {
        return Err(WebAuthnError::Malformed("a u256 word above 128 bits"));
    }
    let mut value = [0u8; 32];
    value[..16].copy_from_slice(&high[16..]);
    value[16..].copy_from_slice(&low[16..]);
    Ok(value)
}

mod hex32 {
    pub fn serialize<S: serde::Serializer>(value: &[u8; 32], serializer: S) -> Result<S::Ok, S::Error> {
        super::hex_bytes::serialize(value.as_ref(), serializer)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<[u8; 32], D::Error> {
        let bytes = super::hex_bytes::deserialize(deserializer)?;
        bytes.try_into().map_err(|_| serde::de::Error::custom("expected 32 bytes"))
    }
}

mod hex_bytes {
    use serde::Deserialize;

    pub fn serialize<S: serde::Serializer>(value: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        let text: String = value.iter().map(|byte| format!("{byte:02x}")).collect();
        serializer.serialize_str(&format!("0x{text}"))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        let digits = text.strip_prefix("0x").unwrap_or(&text);
        if digits.len() % 2 != 0 {
            return Err(serde::de::Error::custom("odd number of hex digits"));
        }
        (0..digits.len())
            .step_by(2)
            .map(|index| u8::from_str_radix(&digits[index..index + 2], 16).map_err(serde::de::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::signature::hazmat::PrehashSigner;
    use p256::ecdsa::SigningKey;

    use super::*;

    fn passkey_and_key() -> (Passkey, SigningKey) {
        let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
        (Passkey::new(key.verifying_key(), "game.example", "https://game.example"), key)
    }

    fn assertion_over(key: &SigningKey, hash: Felt, origin: &str, flags: u8) -> WebAuthnAssertion {
        let authenticator_data = authenticator_data("game.example", flags, 1);
        let client_data_json = client_data_json(hash, origin);
        let mut unsigned = WebAuthnAssertion { authenticator_data, client_data_json, r: [0; 32], s: [0; 32] };
        let signature: P256Signature = key.sign_prehash(&unsigned.signed_message()).unwrap();
        unsigned = WebAuthnAssertion::from_signature(
            unsigned.authenticator_data,
            unsigned.client_data_json,
            &signature,
        );
        unsigned
    }

    #[test]
    fn base64url_round_trips_and_matches_the_rfc_alphabet() {
        assert_eq!(base64url(b"\xfb\xff"), "-_8");
        assert_eq!(base64url(b"foobar"), "Zm9vYmFy");
        for length in 0..70 {
            let bytes: Vec<u8> = (0..length).map(|index| (index * 37 % 256) as u8).collect();
            assert_eq!(base64url_decode(&base64url(&bytes)), Some(bytes));
        }
        assert_eq!(challenge_of(Felt::ONE).len(), 43);
    }

    #[test]
    fn assertions_verify_and_each_rule_refuses_with_its_reason() {
        let (passkey, key) = passkey_and_key();
        let hash = Felt::from(0x1234u32);
        let flags = USER_PRESENT | USER_VERIFIED;
        let good = assertion_over(&key, hash, "https://game.example", flags);
        assert_eq!(verify_assertion(&passkey, hash, &good), Ok(()));
        assert_eq!(WebAuthnAssertion::from_felts(&good.to_felts()), Ok(good.clone()));

        assert_eq!(verify_assertion(&passkey, hash + Felt::ONE, &good), Err(WebAuthnError::WrongChallenge));
        let other_origin = assertion_over(&key, hash, "https://evil.example", flags);
        assert_eq!(verify_assertion(&passkey, hash, &other_origin), Err(WebAuthnError::WrongOrigin));
        let prefix_origin = assertion_over(&key, hash, "https://game.example.evil", flags);
        assert_eq!(verify_assertion(&passkey, hash, &prefix_origin), Err(WebAuthnError::WrongOrigin));
        let not_verified = assertion_over(&key, hash, "https://game.example", USER_PRESENT);
        assert_eq!(verify_assertion(&passkey, hash, &not_verified), Err(WebAuthnError::UserNotVerified));
        let not_present = assertion_over(&key, hash, "https://game.example", USER_VERIFIED);
        assert_eq!(verify_assertion(&passkey, hash, &not_present), Err(WebAuthnError::UserNotPresent));
        let mut other_rp = good.clone();
        other_rp.authenticator_data[0] ^= 1;
        assert_eq!(verify_assertion(&passkey, hash, &other_rp), Err(WebAuthnError::WrongRpId));
        let mut short = good.clone();
        short.authenticator_data.truncate(36);
        assert_eq!(
            verify_assertion(&passkey, hash, &short),
            Err(WebAuthnError::AuthenticatorDataTooShort(36))
        );
        let mut high = good.clone();
        high.s = sub_be(&P256_ORDER, &good.s);
        assert_eq!(verify_assertion(&passkey, hash, &high), Err(WebAuthnError::HighS));
        let mut zero = good.clone();
        zero.r = [0; 32];
        assert_eq!(verify_assertion(&passkey, hash, &zero), Err(WebAuthnError::SignatureOutOfRange));
        let mut tampered = good.clone();
        tampered.authenticator_data[36] ^= 1; // the counter: signed, not checked
        assert_eq!(verify_assertion(&passkey, hash, &tampered), Err(WebAuthnError::InvalidSignature));
    }

    #[test]
    fn client_data_must_be_in_the_browsers_form() {
        let challenge = challenge_of(Felt::ONE);
        let origin = "https://game.example";
        let check = |json: String| check_client_data(json.as_bytes(), &challenge, origin);
        let base =
            format!("{{\"type\":\"webauthn.get\",\"challenge\":\"{challenge}\",\"origin\":\"{origin}\"");
        assert_eq!(check(format!("{base}}}")), Ok(()));
        assert_eq!(check(format!("{base},\"crossOrigin\":false}}")), Ok(()));
        assert_eq!(
            check(format!(
                "{base},\"crossOrigin\":false,\"other_keys_can_be_added_here\":\"do not compare\"}}"
            )),
            Ok(())
        );
        assert_eq!(check(format!("{base},\"crossOrigin\":true}}")), Err(WebAuthnError::CrossOrigin));
        assert!(matches!(
            check(format!("{base},\"challenge\":\"AAAA\"}}")),
            Err(WebAuthnError::BadClientData(_))
        ));
        assert!(matches!(check(base.to_string()), Err(WebAuthnError::BadClientData(_))));
        let reordered =
            format!("{{\"type\":\"webauthn.get\",\"origin\":\"{origin}\",\"challenge\":\"{challenge}\"}}");
        assert!(matches!(check(reordered), Err(WebAuthnError::BadClientData(_))));
        let created =
            format!("{{\"type\":\"webauthn.create\",\"challenge\":\"{challenge}\",\"origin\":\"{origin}\"}}");
        assert_eq!(check(created), Err(WebAuthnError::NotAGet));
    }

    #[test]
    fn byte_arrays_serialize_as_cairo_does() {
        assert_eq!(byte_array_felts(b""), vec![Felt::ZERO, Felt::ZERO, Felt::ZERO]);
        assert_eq!(byte_array_felts(b"ab"), vec![Felt::ZERO, Felt::from(0x6162u32), Felt::TWO]);
        let long = [1u8; 40];
        let felts = byte_array_felts(&long);
        assert_eq!(felts.len(), 4);
        assert_eq!(felts[0], Felt::ONE);
        assert_eq!(felts[3], Felt::from(9u8));
        let mut rest = &felts[..];
        assert_eq!(read_byte_array(&mut rest), Ok(long.to_vec()));
    }

    fn sub_be(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
        let mut out = [0u8; 32];
        let mut borrow = 0i16;
        for index in (0..32).rev() {
            let value = i16::from(a[index]) - i16::from(b[index]) - borrow;
            borrow = i16::from(value < 0);
            out[index] = value.rem_euclid(256) as u8;
        }
        out
    }
}
