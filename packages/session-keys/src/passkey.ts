/**
 * Passkeys in the browser (`navigator.credentials`): create one for a new account, and get an
 * assertion over a hash — optionally with the passkey's PRF output, used to encrypt what a page
 * persists.
 */
import { base64url, feltToBytes } from './bytes.js';
import { PasskeyError } from './errors.js';
import type { Felt } from './felt.js';
import { type Passkey, type WebAuthnAssertion, assertionFromBrowser, passkeyFromSpki } from './webauthn.js';

/** A passkey credential: its id (for `allowCredentials`), key, and whether it supports PRF. */
export interface PasskeyCredential {
  /** The credential id (base64url), to ask for this passkey again. */
  credentialId: string;
  /** The relying party id it is bound to. */
  rpId: string;
  /** The public key as the account stores it. */
  passkey: Passkey;
  /** Whether the authenticator supports the PRF extension (encrypted persistence). */
  prf: boolean;
}

function credentials(): CredentialsContainer {
  if (typeof navigator === 'undefined' || !navigator.credentials || typeof PublicKeyCredential === 'undefined') {
    throw new PasskeyError('NOT_SUPPORTED', 'this browser has no WebAuthn (navigator.credentials)');
  }
  return navigator.credentials;
}

function passkeyFailure(action: string, cause: unknown): PasskeyError {
  if (cause instanceof PasskeyError) return cause;
  const name = cause instanceof DOMException ? cause.name : '';
  if (name === 'NotAllowedError' || name === 'AbortError') {
    return new PasskeyError('CANCELLED', `${action}: the user cancelled or the request timed out`, { cause });
  }
  return new PasskeyError('NOT_SUPPORTED', `${action}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
}

function random(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length));
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** Creates a passkey (one prompt) whose public key can own a session account at this page's origin. */
export async function createPasskey(options: { rpId?: string; rpName: string; userName: string }): Promise<PasskeyCredential> {
  const rpId = options.rpId ?? location.hostname;
  let credential: Credential | null;
  try {
    credential = await credentials().create({
      publicKey: {
        challenge: random(32),
        rp: { id: rpId, name: options.rpName },
        user: { id: random(16), name: options.userName, displayName: options.userName },
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
        extensions: { prf: {} } as AuthenticationExtensionsClientInputs,
      },
    });
  } catch (cause) {
    throw passkeyFailure('creating a passkey', cause);
  }
  if (!(credential instanceof PublicKeyCredential)) throw new PasskeyError('NOT_SUPPORTED', 'no public-key credential was created');
  const response = credential.response as AuthenticatorAttestationResponse;
  const spki = response.getPublicKey();
  if (spki === null || response.getPublicKeyAlgorithm() !== -7) {
    throw new PasskeyError('BAD_PUBLIC_KEY', 'the authenticator did not create a P-256 (ES256) key');
  }
  const extensions = credential.getClientExtensionResults() as { prf?: { enabled?: boolean } };
  return {
    credentialId: base64url(new Uint8Array(credential.rawId)),
    rpId,
    passkey: passkeyFromSpki(new Uint8Array(spki), rpId, location.origin),
    prf: extensions.prf?.enabled === true,
  };
}

/** An assertion of `credential` over `hash` (one prompt); with `prfSalt`, also the PRF output. */
export async function passkeyAssertion(
  credential: Pick<PasskeyCredential, 'credentialId' | 'rpId'>,
  hash: Felt,
  prfSalt?: Uint8Array,
): Promise<{ assertion: WebAuthnAssertion; prfOutput?: Uint8Array }> {
  let result: Credential | null;
  try {
    result = await credentials().get({
      publicKey: {
        challenge: new Uint8Array(feltToBytes(hash)),
        rpId: credential.rpId,
        allowCredentials: [{ type: 'public-key', id: fromBase64url(credential.credentialId) }],
        userVerification: 'required',
        ...(prfSalt ? { extensions: { prf: { eval: { first: new Uint8Array(prfSalt) } } } as AuthenticationExtensionsClientInputs } : {}),
      },
    });
  } catch (cause) {
    throw passkeyFailure('signing with the passkey', cause);
  }
  if (!(result instanceof PublicKeyCredential)) throw new PasskeyError('NOT_SUPPORTED', 'no assertion was returned');
  const response = result.response as AuthenticatorAssertionResponse;
  const assertion = assertionFromBrowser(
    new Uint8Array(response.authenticatorData),
    new Uint8Array(response.clientDataJSON),
    new Uint8Array(response.signature),
  );
  const prf = (result.getClientExtensionResults() as { prf?: { results?: { first?: BufferSource } } }).prf?.results?.first;
  if (prf === undefined) return { assertion };
  const prfOutput = prf instanceof ArrayBuffer ? new Uint8Array(prf) : new Uint8Array(prf.buffer, prf.byteOffset, prf.byteLength);
  return { assertion, prfOutput };
}
