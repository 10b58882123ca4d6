//! Every revert reason of the session account, as named constants (each at most 31 characters).
//! Tests pin the literal text, so a reason never changes silently.

/// Errors of the owner and SRC-6 account logic.
pub mod AccountErrors {
    /// `__execute__` was called by something other than the protocol.
    pub const INVALID_CALLER: felt252 = 'Account: invalid caller';
    /// The transaction version is not 3 (or its query version).
    pub const INVALID_TX_VERSION: felt252 = 'Account: invalid tx version';
    /// The signature is not a valid owner signature.
    pub const INVALID_SIGNATURE: felt252 = 'Account: invalid signature';
    /// The signature is neither `[r, s]` nor a session signature.
    pub const INVALID_SIGNATURE_FORMAT: felt252 = 'Account: bad signature format';
    /// An administrative entrypoint was called by someone other than the account itself.
    pub const UNAUTHORIZED: felt252 = 'Account: unauthorized';
    /// The new owner public key is zero.
    pub const ZERO_OWNER: felt252 = 'Account: zero owner key';
    /// The new owner did not sign the ownership acceptance message.
    pub const INVALID_NEW_OWNER_SIGNATURE: felt252 = 'Account: bad new owner sig';
}

/// Errors of session validation and management.
pub mod SessionErrors {
    /// The session signature is truncated, has bad lengths or trailing felts.
    pub const MALFORMED_SIGNATURE: felt252 = 'Session: malformed signature';
    /// The owner authorization is neither empty nor an owner signature (`[r, s]` or a WebAuthn
    /// assertion).
    pub const BAD_AUTHORIZATION: felt252 = 'Session: bad authorization';
    /// The owner authorization is not the current owner's signature of the session hash.
    pub const INVALID_AUTHORIZATION: felt252 = 'Session: invalid authorization';
    /// No owner authorization was sent and the session is not registered or cached.
    pub const NOT_AUTHORIZED: felt252 = 'Session: not authorized';
    /// The session key did not sign this transaction.
    pub const INVALID_SESSION_SIGNATURE: felt252 = 'Session: invalid session sig';
    /// The session's expiry is not in the future.
    pub const EXPIRED: felt252 = 'Session: expired';
    /// The session was revoked by its hash.
    pub const REVOKED: felt252 = 'Session: revoked';
    /// The session belongs to an epoch closed by `revoke_all_sessions`.
    pub const STALE_EPOCH: felt252 = 'Session: stale epoch';
    /// A call's (contract, selector) is not in the session's allowed-methods tree.
    pub const METHOD_NOT_ALLOWED: felt252 = 'Session: method not allowed';
    /// A call targets the account itself.
    pub const CALL_TO_SELF: felt252 = 'Session: call to self';
    /// More calls than `MAX_SESSION_CALLS` in one transaction.
    pub const TOO_MANY_CALLS: felt252 = 'Session: too many calls';
    /// A Merkle proof is longer than `MAX_PROOF_LENGTH`.
    pub const PROOF_TOO_LONG: felt252 = 'Session: proof too long';
    /// The policy sent in the signature does not hash to the session's `policy`.
    pub const POLICY_MISMATCH: felt252 = 'Session: policy mismatch';
    /// A policy's spend limits are not strictly increasing by (token, period): a limit is listed
    /// twice, or out of the canonical order.
    pub const SPEND_LIMITS_UNORDERED: felt252 = 'Session: spend limits unordered';
    /// A by-reference signature's expiry and limit flags differ from the stored session's.
    pub const TERMS_MISMATCH: felt252 = 'Session: terms mismatch';
    /// A by-reference signature's session key and root do not match the stored session's
    /// binding (a short signature's root is its first call's leaf).
    pub const REFERENCE_MISMATCH: felt252 = 'Session: reference mismatch';
    /// A spend limit's amount is above `u128` max (and not unlimited): the account stores `u128`s.
    pub const LIMIT_ABOVE_U128: felt252 = 'Session: limit above u128';
    /// A spend limit's window is 2^32 seconds (136 years) or longer.
    pub const WINDOW_TOO_LONG: felt252 = 'Session: window too long';
    /// An argument rule's kind is none of `'equal'`, `'not equal'`, `'one of'`, `'at most'`,
    /// `'at most u256'`, `'at least'`, `'at least u256'`.
    pub const UNKNOWN_RULE: felt252 = 'Session: unknown argument rule';
    /// An argument rule's values or bound do not fit its kind (e.g. `'equal'` with two values).
    pub const MALFORMED_RULE: felt252 = 'Session: malformed rule';
    /// A call's argument breaks an argument rule of its allowed method.
    pub const ARGUMENT_NOT_ALLOWED: felt252 = 'Session: argument not allowed';
    /// A call would move or approve value of a token the policy does not list.
    pub const TOKEN_NOT_ALLOWED: felt252 = 'Session: token not allowed';
    /// A value-moving call's amount is missing or not a valid `u256`.
    pub const BAD_AMOUNT: felt252 = 'Session: bad amount';
    /// The calls would move more of a token than the session has left.
    pub const SPEND_LIMIT_EXCEEDED: felt252 = 'Session: spend limit exceeded';
    /// The calls would take a `total at most u256` argument rule past its bound.
    pub const RULE_TOTAL_EXCEEDED: felt252 = 'Session: rule total exceeded';
    /// The calls would take the session past its maximum number of calls.
    pub const CALL_LIMIT_REACHED: felt252 = 'Session: call limit reached';
    /// The transaction's maximum fee is above the session's per-transaction cap.
    pub const FEE_CAP_EXCEEDED: felt252 = 'Session: fee cap exceeded';
    /// The transaction's maximum fee does not fit in the session's remaining fee budget.
    pub const FEE_BUDGET_EXCEEDED: felt252 = 'Session: fee budget exceeded';
    /// The session public key is zero.
    pub const ZERO_SESSION_KEY: felt252 = 'Session: zero session key';
    /// The session is already revoked.
    pub const ALREADY_REVOKED: felt252 = 'Session: already revoked';
    /// The session is already registered.
    pub const ALREADY_REGISTERED: felt252 = 'Session: already registered';
    /// The session's policy sets a later `valid_after` than the transaction's time.
    pub const NOT_YET_VALID: felt252 = 'Session: not yet valid';
    /// The policy's `limits_window` is not a whole number of hours below 2^32 seconds.
    pub const BAD_LIMITS_WINDOW: felt252 = 'Session: bad limits window';
    /// The owner paused the session (its counters are kept; `resume_session` resumes it).
    pub const PAUSED: felt252 = 'Session: paused';
    /// The session is already paused.
    pub const ALREADY_PAUSED: felt252 = 'Session: already paused';
    /// The session is not paused.
    pub const NOT_PAUSED: felt252 = 'Session: not paused';
    /// A new expiry not after the session's current one.
    pub const NOT_AN_EXTENSION: felt252 = 'Session: not an extension';
}

/// Errors of WebAuthn (passkey) owner signatures.
pub mod WebAuthnErrors {
    /// The assertion's felts do not parse (lengths, bytes, trailing felts).
    pub const MALFORMED: felt252 = 'WebAuthn: malformed assertion';
    /// `authenticatorData` is shorter than its 37 fixed bytes.
    pub const AUTHENTICATOR_DATA_TOO_SHORT: felt252 = 'WebAuthn: auth data too short';
    /// `authenticatorData`'s RP ID hash is not the passkey's.
    pub const WRONG_RP_ID: felt252 = 'WebAuthn: wrong RP ID';
    /// The user-present flag is not set.
    pub const USER_NOT_PRESENT: felt252 = 'WebAuthn: user not present';
    /// The user-verified flag is not set.
    pub const USER_NOT_VERIFIED: felt252 = 'WebAuthn: user not verified';
    /// `clientDataJSON` does not start with `{"type":"webauthn.get"`.
    pub const NOT_A_GET: felt252 = 'WebAuthn: not webauthn.get';
    /// `clientDataJSON` members are out of order, repeated, or it is not closed.
    pub const BAD_CLIENT_DATA: felt252 = 'WebAuthn: bad client data';
    /// The challenge is not the hash being signed.
    pub const WRONG_CHALLENGE: felt252 = 'WebAuthn: wrong challenge';
    /// The origin is not the passkey's.
    pub const WRONG_ORIGIN: felt252 = 'WebAuthn: wrong origin';
    /// The assertion was made in a cross-origin frame.
    pub const CROSS_ORIGIN: felt252 = 'WebAuthn: cross-origin';
    /// `r` or `s` is zero or not below the group order.
    pub const SIGNATURE_OUT_OF_RANGE: felt252 = 'WebAuthn: r or s out of range';
    /// `s` is above n/2 (clients send `n - s` instead).
    pub const HIGH_S: felt252 = 'WebAuthn: high s';
    /// The P-256 signature does not verify.
    pub const INVALID_SIGNATURE: felt252 = 'WebAuthn: invalid signature';
    /// The passkey's public key is not a point of P-256.
    pub const BAD_PUBLIC_KEY: felt252 = 'WebAuthn: bad public key';
    /// A passkey without an RP ID hash or an origin.
    pub const BAD_PASSKEY: felt252 = 'WebAuthn: bad passkey';
}

/// Errors of SNIP-9 outside execution.
pub mod OutsideExecutionErrors {
    /// The caller is neither the designated caller nor is `ANY_CALLER` allowed.
    pub const INVALID_CALLER: felt252 = 'SNIP9: invalid caller';
    /// The block time is not after `execute_after`.
    pub const TOO_EARLY: felt252 = 'SNIP9: too early';
    /// The block time is not before `execute_before`.
    pub const TOO_LATE: felt252 = 'SNIP9: too late';
    /// The nonce was used before.
    pub const NONCE_USED: felt252 = 'SNIP9: nonce already used';
    /// An outside execution tried to start inside another one.
    pub const REENTRANT_CALL: felt252 = 'SNIP9: reentrant call';
}
