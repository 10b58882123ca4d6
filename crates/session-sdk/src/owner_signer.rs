//! Who signs for an account's owner: a Stark key or a passkey, behind one trait.
//!
//! A browser holds its passkeys in an authenticator and signs through `navigator.credentials.get`
//! (the TypeScript package does that); here a [`SoftwarePasskey`] plays the authenticator for bots,
//! tests and the CLI, producing assertions in exactly the browser's format.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::ecdsa::{Signature as P256Signature, SigningKey as P256SigningKey};
use session_core::webauthn::{
    authenticator_data, client_data_json, Passkey, WebAuthnAssertion, USER_PRESENT, USER_VERIFIED,
};
use session_core::{OwnerKey, OwnerSignature};
use starknet::core::types::Felt;
use starknet::signers::SigningKey;
use zeroize::Zeroizing;

use crate::keystore::{write_new_file, EncryptedSecret, KeystoreError};
use crate::SdkError;

/// Signs hashes (transactions, session authorizations, owner rotations, SNIP-9 payloads) for an
/// account's owner.
#[async_trait]
pub trait OwnerSigner: Send + Sync {
    /// The owner key this signer signs for (the account's constructor argument).
    fn owner_key(&self) -> OwnerKey;

    /// Signs `hash`.
    async fn sign_owner_hash(&self, hash: Felt) -> Result<OwnerSignature, SdkError>;

    /// Whether signing is too costly to do for fee estimates (e.g. a hardware wallet): estimates
    /// then skip validation, and leave its cost out — set the gas of such a signer's transactions
    /// yourself.
    fn is_interactive(&self) -> bool {
        false
    }
}

#[async_trait]
impl OwnerSigner for SigningKey {
    fn owner_key(&self) -> OwnerKey {
        OwnerKey::Stark { public_key: self.verifying_key().scalar() }
    }

    async fn sign_owner_hash(&self, hash: Felt) -> Result<OwnerSignature, SdkError> {
        let signature = self.sign(&hash).map_err(|error| SdkError::Signing(error.to_string()))?;
        Ok(OwnerSignature::Stark { r: signature.r, s: signature.s })
    }
}

/// A passkey whose P-256 key is held in software: it signs like a platform authenticator (user
/// present and verified) for its relying party and origin, in the browser's assertion format.
pub struct SoftwarePasskey {
    key: P256SigningKey,
    rp_id: String,
    passkey: Passkey,
    sign_count: AtomicU32,
}

impl std::fmt::Debug for SoftwarePasskey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("SoftwarePasskey").field("passkey", &self.passkey).finish_non_exhaustive()
    }
}

/// A software passkey saved to disk: its relying party, origin and public key in clear, the
/// P-256 secret encrypted with a password (the keystore format of owner keys).
#[derive(serde::Serialize, serde::Deserialize)]
struct PasskeyKeystore {
    /// Always `"software-passkey"`: tells the file from a Stark keystore.
    kind: String,
    rp_id: String,
    passkey: Passkey,
    secret: EncryptedSecret,
}

const PASSKEY_KEYSTORE_KIND: &str = "software-passkey";

impl SoftwarePasskey {
    /// A new passkey for relying party `rp_id` (e.g. `game.example`) used from `origin` (e.g.
    /// `https://game.example`).
    pub fn generate(rp_id: &str, origin: &str) -> Result<Self, SdkError> {
        loop {
            let mut secret = Zeroizing::new([0u8; 32]);
            getrandom::getrandom(secret.as_mut()).map_err(|error| SdkError::Signing(error.to_string()))?;
            // A random 32-byte string is a valid scalar except with negligible probability.
            if let Ok(passkey) = Self::from_secret(&secret, rp_id, origin) {
                return Ok(passkey);
            }
        }
    }

    /// The passkey of this P-256 secret scalar (32 big-endian bytes).
    pub fn from_secret(secret: &[u8; 32], rp_id: &str, origin: &str) -> Result<Self, SdkError> {
        let key = P256SigningKey::from_slice(secret)
            .map_err(|_| SdkError::Signing("not a P-256 secret scalar".into()))?;
        let passkey = Passkey::new(key.verifying_key(), rp_id, origin);
        Ok(Self { key, rp_id: rp_id.into(), passkey, sign_count: AtomicU32::new(0) })
    }

    /// The public passkey (what the account stores).
    pub fn passkey(&self) -> &Passkey {
        &self.passkey
    }

    /// The relying party ID.
    pub fn rp_id(&self) -> &str {
        &self.rp_id
    }

    /// An assertion over `hash`, as `navigator.credentials.get` returns it for the challenge
    /// `base64url(hash)`.
    pub fn assert(&self, hash: Felt) -> Result<WebAuthnAssertion, SdkError> {
        let sign_count = self.sign_count.fetch_add(1, Ordering::Relaxed) + 1;
        let unsigned = WebAuthnAssertion {
            authenticator_data: authenticator_data(&self.rp_id, USER_PRESENT | USER_VERIFIED, sign_count),
            client_data_json: client_data_json(hash, &self.passkey.origin),
            r: [0; 32],
            s: [0; 32],
        };
        let signature: P256Signature = self
            .key
            .sign_prehash(&unsigned.signed_message())
            .map_err(|error| SdkError::Signing(error.to_string()))?;
        Ok(WebAuthnAssertion::from_signature(
            unsigned.authenticator_data,
            unsigned.client_data_json,
            &signature,
        ))
    }

    /// Saves the passkey to a new file (never over an existing one), its secret encrypted with
    /// `password`.
    pub fn save(&self, path: &Path, password: &str) -> Result<(), KeystoreError> {
        let secret = Zeroizing::new(<[u8; 32]>::from(self.key.to_bytes()));
        let file = PasskeyKeystore {
            kind: PASSKEY_KEYSTORE_KIND.into(),
            rp_id: self.rp_id.clone(),
            passkey: self.passkey.clone(),
            secret: EncryptedSecret::encrypt(&secret, password)?,
        };
        let text = serde_json::to_string_pretty(&file).expect("a passkey keystore always serializes");
        write_new_file(path, text.as_bytes())
    }

    /// Loads a passkey saved by [`save`](Self::save).
    pub fn load(path: &Path, password: &str) -> Result<Self, KeystoreError> {
        let what = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|source| KeystoreError::Io { path: path.into(), source })?;
        let unsupported = |reason: String| KeystoreError::Unsupported { what: what.clone(), reason };
        let file: PasskeyKeystore =
            serde_json::from_str(&text).map_err(|error| unsupported(error.to_string()))?;
        if file.kind != PASSKEY_KEYSTORE_KIND {
            return Err(unsupported(format!("kind {:?} (expected {PASSKEY_KEYSTORE_KIND:?})", file.kind)));
        }
        let secret = file.secret.decrypt(password, &what)?;
        let passkey = Self::from_secret(&secret, &file.rp_id, &file.passkey.origin)
            .map_err(|_| unsupported("the secret is not a P-256 key".into()))?;
        if passkey.passkey != file.passkey {
            return Err(unsupported("the public key does not match the secret".into()));
        }
        Ok(passkey)
    }

    /// Whether the file at `path` holds a software passkey (rather than a Stark keystore).
    pub fn is_passkey_file(path: &Path) -> bool {
        let Ok(text) = std::fs::read_to_string(path) else {
            return false;
        };
        serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|value| {
            value.get("kind").and_then(|kind| kind.as_str()) == Some(PASSKEY_KEYSTORE_KIND)
        })
    }
}

#[async_trait]
impl OwnerSigner for SoftwarePasskey {
    fn owner_key(&self) -> OwnerKey {
        OwnerKey::Passkey(self.passkey.clone())
    }

    async fn sign_owner_hash(&self, hash: Felt) -> Result<OwnerSignature, SdkError> {
        Ok(OwnerSignature::WebAuthn(self.assert(hash)?))
    }
}

/// How an [`ExternalPasskey`] obtains an assertion for a challenge (the hash): e.g. by asking a
/// browser to run `navigator.credentials.get`.
pub type AssertionSource = Box<
    dyn Fn(
            Felt,
        )
            -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<WebAuthnAssertion, String>> + Send>>
        + Send
        + Sync,
>;

/// A passkey held elsewhere (a browser, a phone): each signature is an assertion produced there
/// for the given challenge. Assertions are checked against the passkey before anything is sent,
/// so a wrong origin, RP ID or challenge fails here with the account's own reason.
///
/// Authorizing a session asks for one assertion (nothing is sent). An owner transaction asks for
/// two: one over the fee-estimation (query) hash — the estimate must include the passkey's
/// on-chain verification, tens of millions of L2 gas — and one over the transaction's hash.
pub struct ExternalPasskey {
    passkey: Passkey,
    source: AssertionSource,
}

impl ExternalPasskey {
    /// The passkey `passkey` (e.g. from [`Passkey::from_spki`] on the browser's
    /// `getPublicKey()`), signing through `source`.
    pub fn new(passkey: Passkey, source: AssertionSource) -> Self {
        Self { passkey, source }
    }

    /// The public passkey.
    pub fn passkey(&self) -> &Passkey {
        &self.passkey
    }
}

#[async_trait]
impl OwnerSigner for ExternalPasskey {
    fn owner_key(&self) -> OwnerKey {
        OwnerKey::Passkey(self.passkey.clone())
    }

    async fn sign_owner_hash(&self, hash: Felt) -> Result<OwnerSignature, SdkError> {
        let assertion = (self.source)(hash).await.map_err(SdkError::Signing)?;
        session_core::webauthn::verify_assertion(&self.passkey, hash, &assertion)
            .map_err(|error| SdkError::Signing(format!("the passkey's assertion is not valid: {error}")))?;
        Ok(OwnerSignature::WebAuthn(assertion))
    }
}

/// The owner signer saved at `path`: a software passkey ([`SoftwarePasskey::save`]) or a Stark
/// key in a starkli-compatible keystore.
pub fn load_owner_signer(path: &Path, password: &str) -> Result<Arc<dyn OwnerSigner>, KeystoreError> {
    if SoftwarePasskey::is_passkey_file(path) {
        Ok(Arc::new(SoftwarePasskey::load(path, password)?))
    } else {
        Ok(Arc::new(crate::load_keystore(path, password)?))
    }
}

#[async_trait]
impl<S: OwnerSigner + ?Sized> OwnerSigner for Arc<S> {
    fn owner_key(&self) -> OwnerKey {
        (**self).owner_key()
    }

    async fn sign_owner_hash(&self, hash: Felt) -> Result<OwnerSignature, SdkError> {
        (**self).sign_owner_hash(hash).await
    }

    fn is_interactive(&self) -> bool {
        (**self).is_interactive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use session_core::webauthn::verify_assertion;

    #[tokio::test]
    async fn software_assertions_verify_as_the_account_verifies_them() {
        let passkey = SoftwarePasskey::generate("game.example", "https://game.example").unwrap();
        let hash = Felt::from(0x1234u32);
        let OwnerSignature::WebAuthn(assertion) = passkey.sign_owner_hash(hash).await.unwrap() else {
            panic!("a passkey signs with an assertion");
        };
        verify_assertion(passkey.passkey(), hash, &assertion).unwrap();
        assert!(verify_assertion(passkey.passkey(), hash + Felt::ONE, &assertion).is_err());
        assert_eq!(passkey.assert(hash).unwrap().authenticator_data[32..], [0x05, 0, 0, 0, 2]);
    }

    #[test]
    fn a_saved_passkey_loads_with_its_password_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("passkey.json");
        let passkey = SoftwarePasskey::generate("game.example", "https://game.example").unwrap();
        passkey.save(&path, "right").unwrap();
        assert!(SoftwarePasskey::is_passkey_file(&path));
        assert_eq!(SoftwarePasskey::load(&path, "right").unwrap().passkey(), passkey.passkey());
        assert!(matches!(SoftwarePasskey::load(&path, "wrong"), Err(KeystoreError::WrongPassword { .. })));
        assert!(matches!(passkey.save(&path, "right"), Err(KeystoreError::AlreadyExists(_))));
    }
}
