/**
 * Owner operations: deploy a session account, authorize a session (an off-chain signature of its
 * hash), register, revoke, revoke-all, pause, resume and extend — for a passkey owner (WebAuthn,
 * one prompt each) and a Stark-key owner.
 */
import {
  Account,
  type AllowArray,
  type Call,
  type DeclareSignerDetails,
  type DeployAccountSignerDetails,
  type EstimateFeeResponseOverhead,
  type InvocationsSignerDetails,
  type RpcProvider,
  type Signature,
  SignerInterface,
  type TypedData,
  hash as hashUtils,
} from 'starknet';

import { chainError, readAccount, waitForSuccess } from './chain.js';
import { SessionKeysError } from './errors.js';
import { type Felt, hex, randomFelt } from './felt.js';
import type { StarkKey } from './keys.js';
import { type PasskeyCredential, passkeyAssertion } from './passkey.js';
import { isUnlimitedPolicy, policyFelts } from './policy.js';
import type { Session } from './session.js';
import { deployAccountTransactionHash, invokeTransactionHash, isQueryVersion } from './tx-hash.js';
import { type OwnerKey, encodeWebAuthnSignature, ownerKeyFelts } from './webauthn.js';

/** L2 gas a passkey owner's signature check costs the account (P-256 and SHA-256 in Cairo), with room. */
export const PASSKEY_VALIDATION_L2_GAS = 120_000_000n;

/** Signs hashes as the account's owner. */
export interface OwnerSigner {
  /** The owner key the account stores. */
  readonly owner: OwnerKey;
  /** Whether signing prompts the user (passkeys): fee estimates then skip validation. */
  readonly interactive: boolean;
  /** The encoded owner signature of `hash` (`[r, s]`, or a WebAuthn assertion). */
  signHash(hash: Felt): Promise<Felt[]>;
}

/** A Stark-key owner. */
export class StarkOwner implements OwnerSigner {
  /** `{ kind: 'stark', publicKey }`. */
  readonly owner: OwnerKey;
  /** Signing never prompts. */
  readonly interactive = false;
  readonly #key: StarkKey;

  /** The owner of `key`. */
  constructor(key: StarkKey) {
    this.#key = key;
    this.owner = { kind: 'stark', publicKey: key.publicKey };
  }

  /** `[r, s]`. */
  async signHash(hash: Felt): Promise<Felt[]> {
    const { r, s } = this.#key.sign(hash);
    return [r, s];
  }
}

/** A passkey owner: every signature is one WebAuthn prompt. */
export class PasskeyOwner implements OwnerSigner {
  /** `{ kind: 'passkey', passkey }`. */
  readonly owner: OwnerKey;
  /** Every signature is a WebAuthn prompt. */
  readonly interactive = true;
  /** The credential it asks for. */
  readonly credential: PasskeyCredential;

  /** The owner of the passkey `credential`. */
  constructor(credential: PasskeyCredential) {
    this.credential = credential;
    this.owner = { kind: 'passkey', passkey: credential.passkey };
  }

  /** One WebAuthn assertion over `hash`, encoded as the account parses it. */
  async signHash(hash: Felt): Promise<Felt[]> {
    return encodeWebAuthnSignature((await passkeyAssertion(this.credential, hash)).assertion);
  }

  /** Signs `hash` and, in the same prompt, evaluates the passkey's PRF on `salt` (undefined if unsupported). */
  async signHashWithPrf(hash: Felt, salt: Uint8Array): Promise<{ signature: Felt[]; prfOutput?: Uint8Array }> {
    const { assertion, prfOutput } = await passkeyAssertion(this.credential, hash, salt);
    return { signature: encodeWebAuthnSignature(assertion), prfOutput };
  }
}

/** A starknet.js signer for owner transactions. Fee estimates of a passkey owner are not signed (no prompt). */
export class OwnerTransactionSigner extends SignerInterface {
  /** Who signs. */
  readonly ownerSigner: OwnerSigner;

  /** A signer for `ownerSigner`'s transactions. */
  constructor(ownerSigner: OwnerSigner) {
    super();
    this.ownerSigner = ownerSigner;
  }

  /** The Stark public key (0 for a passkey owner). */
  async getPubKey(): Promise<string> {
    const { owner } = this.ownerSigner;
    return hex(owner.kind === 'stark' ? owner.publicKey : 0n);
  }

  private async sign(hash: Felt, version: string): Promise<Signature> {
    // Estimates of an interactive owner skip validation: nothing to sign, nothing to prompt.
    if (this.ownerSigner.interactive && isQueryVersion(version)) return ['0x0', '0x0'];
    return (await this.ownerSigner.signHash(hash)).map(hex);
  }

  /** The owner's signature of an invoke transaction. */
  async signTransaction(calls: Call[], details: InvocationsSignerDetails): Promise<Signature> {
    return this.sign(invokeTransactionHash(calls, details), details.version);
  }

  /** The owner's signature of the account's deployment. */
  async signDeployAccountTransaction(details: DeployAccountSignerDetails): Promise<Signature> {
    return this.sign(deployAccountTransactionHash(details), details.version);
  }

  /** Refused: session authorizations go through `OwnerAccount.authorizeSession`. */
  async signMessage(_data: TypedData, _accountAddress: string): Promise<Signature> {
    throw new SessionKeysError('UNSUPPORTED', 'sign session authorizations with OwnerAccount.authorizeSession');
  }

  /** Refused: declare classes from another account. */
  async signDeclareTransaction(_details: DeclareSignerDetails): Promise<Signature> {
    throw new SessionKeysError('UNSUPPORTED', 'declaring through the session account owner is not supported here');
  }
}

/** The constructor calldata of a session account owned by `owner`. */
export function sessionAccountCalldata(owner: OwnerKey): string[] {
  return ownerKeyFelts(owner).map(hex);
}

/** The address a session account of `classHash` owned by `owner` deploys to with `salt`. */
export function sessionAccountAddress(owner: OwnerKey, classHash: Felt, salt: Felt = 0n): Felt {
  return BigInt(hashUtils.calculateContractAddressFromHash(hex(salt), hex(classHash), sessionAccountCalldata(owner), 0));
}

function withValidationGas(estimate: EstimateFeeResponseOverhead, interactive: boolean): EstimateFeeResponseOverhead['resourceBounds'] {
  const bounds = estimate.resourceBounds;
  if (!interactive) return bounds;
  return { ...bounds, l2_gas: { ...bounds.l2_gas, max_amount: BigInt(bounds.l2_gas.max_amount) + PASSKEY_VALIDATION_L2_GAS } };
}

/** The session account as its owner uses it: deployment and session management. */
export class OwnerAccount extends Account {
  /** The owner's signer. */
  readonly ownerSigner: OwnerSigner;
  private readonly rpc: RpcProvider;

  /** The deployed account at `address`, signing with `owner`. */
  constructor(options: { provider: RpcProvider; address: Felt; owner: OwnerSigner }) {
    super({ provider: options.provider, address: hex(options.address), signer: new OwnerTransactionSigner(options.owner), cairoVersion: '1' });
    this.ownerSigner = options.owner;
    this.rpc = options.provider;
  }

  /** The owner account of a not-yet-deployed session account of `classHash` (address from owner and salt). */
  static counterfactual(options: { provider: RpcProvider; owner: OwnerSigner; classHash: Felt; salt?: Felt }): OwnerAccount {
    return new OwnerAccount({
      provider: options.provider,
      owner: options.owner,
      address: sessionAccountAddress(options.owner.owner, options.classHash, options.salt ?? 0n),
    });
  }

  /** Deploys this account (a DEPLOY_ACCOUNT the owner signs; the address must hold STRK for the fee). */
  async deploySessionAccount(classHash: Felt, salt: Felt = 0n): Promise<string> {
    const payload = {
      classHash: hex(classHash),
      constructorCalldata: sessionAccountCalldata(this.ownerSigner.owner),
      addressSalt: hex(salt),
      contractAddress: this.address,
    };
    try {
      const estimate = await this.estimateAccountDeployFee(payload, { skipValidate: this.ownerSigner.interactive, tip: 0 });
      const { transaction_hash: transactionHash } = await this.deployAccount(payload, {
        resourceBounds: withValidationGas(estimate, this.ownerSigner.interactive),
        tip: 0,
      });
      await waitForSuccess(this.rpc, transactionHash);
      return transactionHash;
    } catch (cause) {
      throw chainError(`deploying the session account ${this.address}`, cause);
    }
  }

  /** Sends an owner transaction (one passkey prompt) and waits for it to succeed. */
  async executeAsOwner(calls: AllowArray<Call>): Promise<string> {
    const list = [calls].flat();
    try {
      const estimate = await this.estimateInvokeFee(list, { skipValidate: this.ownerSigner.interactive, tip: 0 });
      const { transaction_hash: transactionHash } = await this.execute(list, {
        resourceBounds: withValidationGas(estimate, this.ownerSigner.interactive),
        tip: 0,
      });
      await waitForSuccess(this.rpc, transactionHash);
      return transactionHash;
    } catch (cause) {
      throw chainError(`sending ${list.map((call) => call.entrypoint).join(', ')} as the owner`, cause);
    }
  }

  /** The account's current session epoch (new sessions must carry it). */
  async sessionEpoch(): Promise<Felt> {
    return readAccount(this.rpc, BigInt(this.address), 'get_session_epoch');
  }

  /** The owner's authorization of `session` (a signature of its hash; one passkey prompt, no transaction). */
  async authorizeSession(session: Session): Promise<Felt[]> {
    return this.ownerSigner.signHash(await this.sessionHashOf(session));
  }

  /** The hash the owner signs to authorize `session` on this account's chain. */
  private async sessionHashOf(session: Session): Promise<Felt> {
    return session.hash(BigInt(await this.rpc.getChainId()), BigInt(this.address));
  }

  /**
   * Authorizes `session` and, with a passkey owner, gets the passkey's PRF output on `prfSalt` in
   * the same prompt (undefined when the owner is not a passkey or its authenticator has no PRF).
   */
  async authorizeSessionWithPrf(session: Session, prfSalt: Uint8Array): Promise<{ authorization: Felt[]; prfOutput?: Uint8Array }> {
    const hash = await this.sessionHashOf(session);
    if (!(this.ownerSigner instanceof PasskeyOwner)) return { authorization: await this.ownerSigner.signHash(hash) };
    const { signature, prfOutput } = await this.ownerSigner.signHashWithPrf(hash, prfSalt);
    return { authorization: signature, prfOutput };
  }

  /** Evaluates the passkey's PRF on `salt` (one prompt, signing nothing of value: a fresh random challenge). */
  async passkeyPrf(salt: Uint8Array): Promise<Uint8Array | undefined> {
    if (!(this.ownerSigner instanceof PasskeyOwner)) return undefined;
    return (await passkeyAssertion(this.ownerSigner.credential, randomFelt(), salt)).prfOutput;
  }

  /** Registers `session` on-chain (its transactions then need no owner authorization). */
  async registerSession(session: Session): Promise<string> {
    const policy = isUnlimitedPolicy(session.policy) ? [1n] : [0n, ...policyFelts(session.policy)];
    return this.executeAsOwner({
      contractAddress: this.address,
      entrypoint: 'register_session',
      calldata: [...session.toFelts(), ...policy].map(hex),
    });
  }

  /** Revokes one session by its hash. */
  async revokeSession(sessionHash: Felt): Promise<string> {
    return this.executeAsOwner({ contractAddress: this.address, entrypoint: 'revoke_session', calldata: [hex(sessionHash)] });
  }

  /** Pauses a stored session: its transactions are refused until `resumeSession`; its counters stay. */
  async pauseSession(sessionHash: Felt): Promise<string> {
    return this.executeAsOwner({ contractAddress: this.address, entrypoint: 'pause_session', calldata: [hex(sessionHash)] });
  }

  /** Resumes a paused session. */
  async resumeSession(sessionHash: Felt): Promise<string> {
    return this.executeAsOwner({ contractAddress: this.address, entrypoint: 'resume_session', calldata: [hex(sessionHash)] });
  }

  /** Moves a stored session's expiry later, to `expiresAt` (Unix seconds); its counters stay. */
  async extendSession(sessionHash: Felt, expiresAt: number): Promise<string> {
    return this.executeAsOwner({
      contractAddress: this.address,
      entrypoint: 'extend_session',
      calldata: [hex(sessionHash), hex(BigInt(expiresAt))],
    });
  }

  /** Revokes every session issued so far (starts a new epoch). */
  async revokeAllSessions(): Promise<string> {
    return this.executeAsOwner({ contractAddress: this.address, entrypoint: 'revoke_all_sessions', calldata: [] });
  }
}
