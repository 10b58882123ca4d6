//! Password-encrypted keys: the Web3 Secret Storage (v3) JSON format that starkli and starknet-rs
//! use for keystores (scrypt key derivation, AES-128-CTR, Keccak-256 MAC).
//!
//! The owner key lives in such a file, unlocked once to authorize a session; a session key is only
//! ever written out in the same encrypted form (inside a session file).

use std::path::{Path, PathBuf};

use aes::cipher::{KeyIvInit, StreamCipher};
use eth_keystore::{CipherparamsJson, CryptoJson, EthKeystore, KdfType, KdfparamsType};
use sha3::{Digest, Keccak256};
use starknet::core::types::Felt;
use starknet::signers::SigningKey;
use zeroize::Zeroizing;

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;

/// scrypt cost parameters written by starkli (and eth-keystore): N = 2^13, r = 8, p = 1.
const SCRYPT_LOG_N: u8 = 13;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;
const DERIVED_KEY_LENGTH: u8 = 32;
const CIPHER: &str = "aes-128-ctr";

/// Why a keystore could not be read, written or decrypted.
#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// The password does not open this keystore (or the file was altered).
    #[error("wrong password for {what} (or the file was altered)")]
    WrongPassword {
        /// Which key.
        what: String,
    },
    /// The file is not a keystore this SDK can read.
    #[error("{what} is not a supported keystore: {reason}")]
    Unsupported {
        /// Which key.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The decrypted secret is not a Stark private key.
    #[error("{what} does not hold a Stark private key")]
    NotAStarkKey {
        /// Which key.
        what: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The operating system's random generator failed.
    #[error("no randomness available: {0}")]
    Randomness(String),
    /// The file exists and overwriting was not asked for.
    #[error("{0} already exists; refusing to overwrite a key")]
    AlreadyExists(PathBuf),
}

/// A 32-byte secret encrypted with a password, in Web3 Secret Storage v3 form.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct EncryptedSecret(EthKeystore);

impl EncryptedSecret {
    /// Encrypts `secret` (32 big-endian bytes) under `password`.
    pub fn encrypt(secret: &[u8; 32], password: &str) -> Result<Self, KeystoreError> {
        let mut salt = [0u8; 32];
        let mut iv = [0u8; 16];
        for bytes in [&mut salt[..], &mut iv[..]] {
            getrandom::getrandom(bytes).map_err(|error| KeystoreError::Randomness(error.to_string()))?;
        }
        let key = derive_key(password, &salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)?;
        let mut ciphertext = secret.to_vec();
        Aes128Ctr::new(key[..16].into(), (&iv).into()).apply_keystream(&mut ciphertext);
        let mac = mac(&key, &ciphertext).to_vec();
        Ok(Self(EthKeystore {
            crypto: CryptoJson {
                cipher: CIPHER.into(),
                cipherparams: CipherparamsJson { iv: iv.to_vec() },
                ciphertext,
                kdf: KdfType::Scrypt,
                kdfparams: KdfparamsType::Scrypt {
                    dklen: DERIVED_KEY_LENGTH,
                    n: 1 << SCRYPT_LOG_N,
                    p: SCRYPT_P,
                    r: SCRYPT_R,
                    salt: salt.to_vec(),
                },
                mac,
            },
            id: uuid::Uuid::new_v4(),
            version: 3,
        }))
    }

    /// The secret, if `password` is right; `what` names the key in errors.
    pub fn decrypt(&self, password: &str, what: &str) -> Result<Zeroizing<[u8; 32]>, KeystoreError> {
        let crypto = &self.0.crypto;
        let unsupported = |reason: String| KeystoreError::Unsupported { what: what.into(), reason };
        if self.0.version != 3 {
            return Err(unsupported(format!("version {} (expected 3)", self.0.version)));
        }
        if crypto.cipher != CIPHER {
            return Err(unsupported(format!("cipher {} (expected {CIPHER})", crypto.cipher)));
        }
        let KdfparamsType::Scrypt { dklen, n, p, r, salt } = &crypto.kdfparams else {
            return Err(unsupported("key derivation is not scrypt".into()));
        };
        if *dklen != DERIVED_KEY_LENGTH || !n.is_power_of_two() || crypto.cipherparams.iv.len() != 16 {
            return Err(unsupported("unexpected scrypt or cipher parameters".into()));
        }
        if crypto.ciphertext.len() != 32 {
            return Err(unsupported(format!("a {}-byte secret (expected 32)", crypto.ciphertext.len())));
        }
        let key = derive_key(password, salt, n.trailing_zeros() as u8, *r, *p)
            .map_err(|_| unsupported("bad scrypt parameters".into()))?;
        if mac(&key, &crypto.ciphertext).as_slice() != crypto.mac.as_slice() {
            return Err(KeystoreError::WrongPassword { what: what.into() });
        }
        let mut secret = Zeroizing::new([0u8; 32]);
        secret.copy_from_slice(&crypto.ciphertext);
        Aes128Ctr::new(key[..16].into(), crypto.cipherparams.iv[..16].into())
            .apply_keystream(secret.as_mut());
        Ok(secret)
    }
}

fn derive_key(
    password: &str,
    salt: &[u8],
    log_n: u8,
    r: u32,
    p: u32,
) -> Result<Zeroizing<[u8; 32]>, KeystoreError> {
    let params = scrypt::Params::new(log_n, r, p)
        .map_err(|error| KeystoreError::Unsupported { what: "key".into(), reason: error.to_string() })?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password.as_bytes(), salt, &params, key.as_mut())
        .map_err(|error| KeystoreError::Unsupported { what: "key".into(), reason: error.to_string() })?;
    Ok(key)
}

fn mac(key: &[u8; 32], ciphertext: &[u8]) -> [u8; 32] {
    Keccak256::new().chain_update(&key[16..32]).chain_update(ciphertext).finalize().into()
}

/// Loads a Stark key from a starkli-compatible keystore file.
pub fn load_keystore(path: &Path, password: &str) -> Result<SigningKey, KeystoreError> {
    let what = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|source| KeystoreError::Io { path: path.into(), source })?;
    let encrypted: EncryptedSecret = serde_json::from_str(&text)
        .map_err(|error| KeystoreError::Unsupported { what: what.clone(), reason: error.to_string() })?;
    let secret = encrypted.decrypt(password, &what)?;
    let scalar = Felt::from_bytes_be(&secret);
    if scalar == Felt::ZERO {
        return Err(KeystoreError::NotAStarkKey { what });
    }
    Ok(SigningKey::from_secret_scalar(scalar))
}

/// Saves `key` to a new starkli-compatible keystore file (never overwrites one).
pub fn save_keystore(key: &SigningKey, path: &Path, password: &str) -> Result<(), KeystoreError> {
    let secret = Zeroizing::new(key.secret_scalar().to_bytes_be());
    let encrypted = EncryptedSecret::encrypt(&secret, password)?;
    let text = serde_json::to_string_pretty(&encrypted).expect("a keystore always serializes");
    write_new_file(path, text.as_bytes())
}

/// Writes a new file readable only by its owner; fails if it exists.
pub(crate) fn write_new_file(path: &Path, contents: &[u8]) -> Result<(), KeystoreError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::AlreadyExists => KeystoreError::AlreadyExists(path.into()),
        _ => KeystoreError::Io { path: path.into(), source },
    })?;
    file.write_all(contents).map_err(|source| KeystoreError::Io { path: path.into(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn starknet_rs_reads_what_we_write_and_we_read_what_it_writes() {
        let dir = temp_dir();
        let key = SigningKey::from_secret_scalar(Felt::from_hex_unchecked("0x1234abcd"));

        let ours = dir.path().join("ours.json");
        save_keystore(&key, &ours, "pw").unwrap();
        let read_by_starknet_rs = SigningKey::from_keystore(&ours, "pw").unwrap();
        assert_eq!(read_by_starknet_rs.secret_scalar(), key.secret_scalar());

        let theirs = dir.path().join("theirs.json");
        key.save_as_keystore(&theirs, "pw").unwrap();
        assert_eq!(load_keystore(&theirs, "pw").unwrap().secret_scalar(), key.secret_scalar());
    }

    #[test]
    fn wrong_password_is_refused() {
        let dir = temp_dir();
        let path = dir.path().join("owner.json");
        save_keystore(&SigningKey::from_secret_scalar(Felt::TWO), &path, "right").unwrap();
        let error = load_keystore(&path, "wrong").unwrap_err();
        assert!(matches!(error, KeystoreError::WrongPassword { .. }), "{error:?}");
    }

    #[test]
    fn an_existing_keystore_is_never_overwritten() {
        let dir = temp_dir();
        let path = dir.path().join("owner.json");
        save_keystore(&SigningKey::from_secret_scalar(Felt::TWO), &path, "pw").unwrap();
        let error = save_keystore(&SigningKey::from_secret_scalar(Felt::THREE), &path, "pw").unwrap_err();
        assert!(matches!(error, KeystoreError::AlreadyExists(_)), "{error:?}");
        assert_eq!(load_keystore(&path, "pw").unwrap().secret_scalar(), Felt::TWO);
    }

    #[test]
    fn an_altered_ciphertext_is_refused() {
        let secret = [7u8; 32];
        let mut encrypted = EncryptedSecret::encrypt(&secret, "pw").unwrap();
        encrypted.0.crypto.ciphertext[0] ^= 1;
        assert!(matches!(encrypted.decrypt("pw", "k"), Err(KeystoreError::WrongPassword { .. })));
    }
}
