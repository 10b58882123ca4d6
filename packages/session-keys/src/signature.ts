/**
 * Transaction signatures of the session account, encoded exactly as the contract parses them.
 *
 * - Owner: `[r, s]` (Stark key) or `[WEBAUTHN_MAGIC, assertion…]` (passkey).
 * - Session, full form (carries the session; its first use stores it):
 *   `[SESSION_MAGIC, session_key, expires_at, root, policy_hash, epoch, messages_hash, auth_len,
 *   owner_authorization…, r, s, (policy)?, entry…]`; `auth_len` 0 when the session is stored.
 * - Session by reference (stored on-chain): `[SESSION_REF_MAGIC, session_hash, terms, session_key,
 *   r, s]` (the first call's leaf is the root, no call has rules), `+ root` (no call needs a
 *   proof or rules) or `+ root, entry…` (one entry per call).
 * - Entry: `header, proof…, (rules)?`, `header` = proof length | `REMEMBER_LEAF` | `HAS_RULES`.
 */
import type { Felt } from './felt.js';
import type { CallPermission, Session } from './session.js';
import { type FeltCall, allowedMethodLeaf } from './snip12.js';

/** `'session-v3'`: the full form's first felt. */
export const SESSION_MAGIC: Felt = 0x73657373696f6e2d7633n;
/** `'session-v3-ref'`: the by-reference form's first felt. */
export const SESSION_REF_MAGIC: Felt = 0x73657373696f6e2d76332d726566n;
/** `'webauthn-v1'`: a passkey owner signature's first felt. */
export const WEBAUTHN_MAGIC: Felt = 0x776562617574686e2d7631n;
/** Entry flag: remember this leaf once proven. */
export const REMEMBER_LEAF = 0x100n;
/** Entry flag: the leaf's serialized argument rules follow the proof. */
export const HAS_RULES = 0x200n;
/** At most this many calls in one session transaction. */
export const MAX_SESSION_CALLS = 32;

/** A Stark ECDSA signature. */
export interface StarkSignature {
  /** r. */
  r: Felt;
  /** s. */
  s: Felt;
}

function encodeEntries(entries: readonly CallPermission[]): Felt[] {
  return entries.flatMap((entry) => {
    let header = BigInt(entry.proof.length);
    if (entry.remember) header |= REMEMBER_LEAF;
    if (entry.rules.length > 0) header |= HAS_RULES;
    return [header, ...entry.proof, ...entry.rules];
  });
}

/** The full form: the session, the owner's authorization (encoded, or none when stored), entries. */
export function encodeFullSessionSignature(
  session: Session,
  ownerAuthorization: readonly Felt[] | undefined,
  sessionSignature: StarkSignature,
  entries: readonly CallPermission[],
): Felt[] {
  return [
    SESSION_MAGIC,
    ...session.toFelts(),
    BigInt(ownerAuthorization?.length ?? 0),
    ...(ownerAuthorization ?? []),
    sessionSignature.r,
    sessionSignature.s,
    ...(session.policyFelts ?? []),
    ...encodeEntries(entries),
  ];
}

/** The by-reference form for a stored session, as short as the calls allow. */
export function encodeReferenceSessionSignature(
  session: Session,
  sessionHash: Felt,
  sessionSignature: StarkSignature,
  calls: readonly FeltCall[],
  entries: readonly CallPermission[],
  terms: Felt = session.terms(),
): Felt[] {
  const root = session.allowedMethodsRoot;
  const head = [SESSION_REF_MAGIC, sessionHash, terms, session.sessionKey, sessionSignature.r, sessionSignature.s];
  const bare = entries.every((entry) => entry.proof.length === 0 && entry.rules.length === 0);
  const first = calls[0];
  const firstIsRoot = first !== undefined && allowedMethodLeaf(first.to, first.selector, []) === root;
  if (bare && firstIsRoot) return head;
  if (bare) return [...head, root];
  return [...head, root, ...encodeEntries(entries)];
}
