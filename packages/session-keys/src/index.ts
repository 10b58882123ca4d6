/**
 * session-keys: the Starknet session account's protocol for web apps — session typed data, the
 * allowed-method Merkle tree, policies and argument rules, every signature form, pre-flight checks,
 * SNIP-9 payloads — and a starknet.js account that signs with a session key. React hooks are in
 * `session-keys/react`.
 */
export * from './bytes.js';
export * from './errors.js';
export * from './felt.js';
export * from './keys.js';
export * from './merkle.js';
export * from './policy.js';
export * from './preflight.js';
export * from './session.js';
export * from './signature.js';
export * from './snip12.js';
export * from './typed-data.js';
export * from './webauthn.js';
export * from './calls.js';
export * from './chain.js';
export * from './outside-execution.js';
export * from './owner.js';
export * from './paymaster.js';
export * from './passkey.js';
export * from './persistence.js';
export * from './session-account.js';
export * from './tx-hash.js';
