/**
 * A starknet.js account that signs with a session key: `account.execute(calls)` and fee estimation
 * work as with any account, with the session's rules checked first (expiry against the chain's
 * clock, allowed methods and argument rules, limits read from the chain, the fee cap and budget),
 * and nonces tracked locally so back-to-back calls need no wait.
 */
import {
  Account,
  type AllowArray,
  type Call,
  type DeclareSignerDetails,
  type DeployAccountSignerDetails,
  type EstimateFeeResponseOverhead,
  type InvocationsSignerDetails,
  type InvokeFunctionResponse,
  type RpcProvider,
  type Signature,
  SignerInterface,
  type TypedData,
  type UniversalDetails,
  typedData as typedDataUtils,
} from 'starknet';

import { entrypointNamesOf, toFeltCall } from './calls.js';
import { chainError, chainNow, readAccount, readUsage, waitForSuccess } from './chain.js';
import { PreflightError } from './errors.js';
import { type Felt, hex, randomFelt } from './felt.js';
import type { StarkKey } from './keys.js';
import { type Remaining, type SessionUsage, checkSessionCalls, checkSessionFee, remainingOf } from './preflight.js';
import type { AllowedMessage, CallPermission, Session } from './session.js';
import { encodeFullSessionSignature, encodeReferenceSessionSignature } from './signature.js';
import { isOutsideExecutionDomain, outsideExecutionFromTypedData } from './outside-execution.js';
import { type PaymasterConnection, type PaymasterFeeMode, checkBuiltTransaction, paymasterClient, paymasterFailure } from './paymaster.js';
import {
  ANY_CALLER,
  type FeltCall,
  type OutsideExecution,
  outsideExecutionCalldata,
  outsideExecutionHash,
  sessionKeyMessage,
} from './snip12.js';
import { invokeTransactionHash } from './tx-hash.js';

/** Everything a session account needs to sign: the session, its key, where it is valid. */
export interface SessionCredentials {
  /** The account address. */
  accountAddress: Felt;
  /** The chain id (`SN_SEPOLIA` as a felt). */
  chainId: Felt;
  /** The session the owner authorized. */
  session: Session;
  /** The session's private key (in memory). */
  sessionKey: StarkKey;
  /** The owner's encoded authorization of the session hash; omit for a session registered on-chain. */
  ownerAuthorization?: Felt[];
}

/** The `execute_from_outside_v2` call a relayer sends for a signed outside execution. */
export function outsideExecutionCall(account: Felt, execution: OutsideExecution, signature: readonly Felt[]): Call {
  return { contractAddress: hex(account), entrypoint: 'execute_from_outside_v2', calldata: outsideExecutionCalldata(execution, signature).map(hex) };
}

/** The largest fee a transaction with these resource bounds can pay (no tip), as the account counts it. */
export function maxFeeOf(bounds: EstimateFeeResponseOverhead['resourceBounds']): bigint {
  return (
    BigInt(bounds.l1_gas.max_amount) * BigInt(bounds.l1_gas.max_price_per_unit) +
    BigInt(bounds.l2_gas.max_amount) * BigInt(bounds.l2_gas.max_price_per_unit) +
    BigInt(bounds.l1_data_gas.max_amount) * BigInt(bounds.l1_data_gas.max_price_per_unit)
  );
}

/**
 * A starknet.js signer for a session: transaction hashes (and SNIP-9 outside executions, for
 * paymasters) are signed in the session's full form until the account has stored the session,
 * then by reference (shorter and cheaper). It never signs declares, deployments or other messages.
 */
export class SessionSigner extends SignerInterface {
  /** The session and key it signs with. */
  readonly credentials: SessionCredentials;
  /** The session hash (its id on the account). */
  readonly sessionHash: Felt;
  private byReference: boolean;
  private readonly remembered = new Set<Felt>();
  /** The expiry the account stores for the session when the owner extended it. */
  private extendedTo: number | undefined;

  /** A signer for the session in `credentials`. */
  constructor(credentials: SessionCredentials) {
    super();
    this.credentials = credentials;
    this.sessionHash = credentials.session.hash(credentials.chainId, credentials.accountAddress);
    this.byReference = credentials.ownerAuthorization === undefined;
  }

  /** The session public key. */
  async getPubKey(): Promise<string> {
    return hex(this.credentials.session.sessionKey);
  }

  /** Whether signatures now name the stored session by hash. */
  get signsByReference(): boolean {
    return this.byReference;
  }

  /** Follows what the account stores for the session: stored (sign by reference), and its expiry. */
  followStoredExpiry(storedExpiry: number): void {
    if (storedExpiry === 0) return;
    this.byReference = true;
    this.extendedTo = storedExpiry === this.credentials.session.expiresAt ? undefined : storedExpiry;
  }

  /** Records that the account stored the session (after its first accepted transaction). */
  markStored(calls: readonly FeltCall[]): void {
    const { session } = this.credentials;
    const entries = session.entriesFor(calls, this.permissions(calls), this.remembered);
    calls.forEach((call, index) => {
      if (entries[index]?.remember) this.remembered.add(session.leaves[session.leafIndexFor(call)]!);
    });
    this.byReference = true;
  }

  private permissions(calls: readonly FeltCall[]): CallPermission[] {
    const { session } = this.credentials;
    return calls.map((call) => {
      try {
        return session.permissionFor(call);
      } catch {
        // A call outside the session presents its method's first leaf (or nothing): the chain refuses it.
        return session.firstPermissionOf(call.to, call.selector) ?? { proof: [], rules: [], remember: false };
      }
    });
  }

  /** The session signature of `hash` (a transaction or outside-execution hash) for `calls`. */
  signCalls(hash: Felt, calls: readonly FeltCall[]): Felt[] {
    const { session, sessionKey, ownerAuthorization } = this.credentials;
    const signature = sessionKey.sign(sessionKeyMessage(hash, this.sessionHash));
    const entries = session.entriesFor(calls, this.permissions(calls), this.remembered);
    if (!this.byReference) return encodeFullSessionSignature(session, ownerAuthorization, signature, entries);
    return encodeReferenceSessionSignature(session, this.sessionHash, signature, calls, entries, session.terms(this.extendedTo));
  }

  /**
   * A SNIP-9 v2 outside execution of `calls` signed by the session, for any relayer to submit
   * (`caller` ANY_CALLER unless given) while the block time is strictly between the bounds; the
   * relayer sends `outsideExecutionCall(…)`. The calls are checked against the session first.
   */
  signOutsideExecution(
    calls: Call[],
    bounds: { executeAfter: number; executeBefore: number; caller?: Felt },
  ): { execution: OutsideExecution; signature: Felt[]; call: Call } {
    const { session, chainId, accountAddress } = this.credentials;
    const feltCalls = calls.map(toFeltCall);
    checkSessionCalls(session, accountAddress, feltCalls, 0, undefined, entrypointNamesOf(calls));
    const execution: OutsideExecution = {
      caller: bounds.caller ?? ANY_CALLER,
      nonce: randomFelt(),
      executeAfter: BigInt(bounds.executeAfter),
      executeBefore: BigInt(bounds.executeBefore),
      calls: feltCalls,
    };
    const signature = this.signCalls(outsideExecutionHash(execution, chainId, accountAddress), feltCalls);
    return { execution, signature, call: outsideExecutionCall(accountAddress, execution, signature) };
  }

  /** Signs an invoke transaction (or its fee-estimation version) with the session. */
  async signTransaction(calls: Call[], details: InvocationsSignerDetails): Promise<Signature> {
    return this.signCalls(invokeTransactionHash(calls, details), calls.map(toFeltCall)).map(hex);
  }

  /**
   * Signs a SNIP-9 v2 outside execution (what a SNIP-29 paymaster asks to sign) with the session;
   * refuses any other message: a session key never signs arbitrary hashes.
   */
  async signMessage(data: TypedData, accountAddress: string): Promise<Signature> {
    const { chainId, accountAddress: account } = this.credentials;
    if (BigInt(accountAddress) !== account || !isOutsideExecutionDomain(data.domain)) {
      throw new PreflightError('MESSAGE_NOT_ALLOWED', 'a session key signs only transactions and SNIP-9 v2 outside executions');
    }
    const execution = outsideExecutionFromTypedData(data);
    const hash = outsideExecutionHash(execution, chainId, account);
    if (BigInt(typedDataUtils.getMessageHash(data, accountAddress)) !== hash) {
      throw new PreflightError('MESSAGE_NOT_ALLOWED', 'the outside execution is not for this chain and account');
    }
    return this.signCalls(hash, execution.calls).map(hex);
  }

  /**
   * Signs an off-chain message of a kind the session lists (`allowedMessages`: a SNIP-12 domain and
   * type, e.g. a DEX's orders) with its struct `fields`; `is_valid_signature` accepts it once the
   * session is stored. Any other kind: `PreflightError('MESSAGE_NOT_ALLOWED')`.
   */
  signAllowedMessage(message: AllowedMessage, fields: readonly Felt[]): { messageHash: Felt; signature: Felt[] } {
    const { session, sessionKey, chainId, accountAddress } = this.credentials;
    const listed = session.allowedMessages.some(
      (allowed) => allowed.domainHash === message.domainHash && allowed.typeHash === message.typeHash,
    );
    if (!listed) {
      throw new PreflightError(
        'MESSAGE_NOT_ALLOWED',
        `the session may not sign messages of type ${hex(message.typeHash)} in domain ${hex(message.domainHash)}`,
      );
    }
    return session.messageSignature((digest) => sessionKey.sign(digest), chainId, accountAddress, message, fields);
  }

  /** Sessions never deploy accounts. */
  async signDeployAccountTransaction(_details: DeployAccountSignerDetails): Promise<Signature> {
    throw new PreflightError('METHOD_NOT_ALLOWED', 'a session key cannot sign an account deployment');
  }

  /** Sessions never declare classes. */
  async signDeclareTransaction(_details: DeclareSignerDetails): Promise<Signature> {
    throw new PreflightError('METHOD_NOT_ALLOWED', 'a session key cannot sign a declare transaction');
  }
}

/** A session's state as the chain reports it. */
export interface SessionStatus {
  /** The session hash. */
  sessionHash: Felt;
  /** Revoked (by hash, or by a revoke-all since it was issued). */
  revoked: boolean;
  /** Stored on the account (registered or used once). */
  stored: boolean;
  /** Paused by the owner. */
  paused: boolean;
  /** Its expiry (Unix seconds): the signed one, or a later one the owner set. */
  expiresAt: number;
  /** The chain's time. */
  now: number;
  /** What the session may still do. */
  remaining: Remaining;
}

/** Options of a session account. */
export interface SessionAccountOptions extends SessionCredentials {
  /** The RPC provider (a starknet.js `RpcProvider`). */
  provider: RpcProvider;
}

/**
 * A starknet.js `Account` whose signer is a session: `execute`, `estimateInvokeFee` and
 * `waitForTransaction` work as usual; refusals come as `PreflightError` (nothing signed) or
 * `ChainError` (the node's or contract's refusal, with its reason).
 */
export class SessionAccount extends Account {
  /** The session signer. */
  declare readonly signer: SessionSigner;
  /** The session. */
  readonly session: Session;
  /** The session hash. */
  readonly sessionHash: Felt;
  private readonly rpc: RpcProvider;
  private nextNonce: bigint | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  /** The account of `options.accountAddress`, signing with the session. */
  constructor(options: SessionAccountOptions) {
    const signer = new SessionSigner(options);
    super({ provider: options.provider, address: hex(options.accountAddress), signer, cairoVersion: '1' });
    this.rpc = options.provider;
    this.session = options.session;
    this.sessionHash = signer.sessionHash;
  }

  /** What the session has used, read from the account. */
  async usage(): Promise<SessionUsage> {
    return readUsage(this.rpc, BigInt(this.address), this.session, this.sessionHash);
  }

  /** What the account stores about the session now (and the chain's time). */
  private async onChain(): Promise<{ revoked: boolean; stored: boolean; paused: boolean; expiresAt: number; now: number }> {
    const account = BigInt(this.address);
    const [revoked, epoch, storedExpiry, paused, now] = await Promise.all([
      readAccount(this.rpc, account, 'is_session_revoked', [this.sessionHash]),
      readAccount(this.rpc, account, 'get_session_epoch'),
      readAccount(this.rpc, account, 'get_session_expiry', [this.sessionHash]),
      readAccount(this.rpc, account, 'is_session_paused', [this.sessionHash]),
      chainNow(this.rpc),
    ]);
    this.signer.followStoredExpiry(Number(storedExpiry));
    return {
      revoked: revoked !== 0n || epoch !== this.session.epoch,
      stored: storedExpiry !== 0n,
      paused: paused !== 0n,
      expiresAt: storedExpiry === 0n ? this.session.expiresAt : Number(storedExpiry),
      now,
    };
  }

  /** The session's status on the chain: revoked, stored, paused, expiry, time, and what remains. */
  async status(): Promise<SessionStatus> {
    const state = await this.onChain();
    const usage = await readUsage(this.rpc, BigInt(this.address), this.session, this.sessionHash, state.stored);
    return { sessionHash: this.sessionHash, ...state, remaining: remainingOf(this.session.policy, usage) };
  }

  /** Estimates with the account's validation included (the session signature is checked too). */
  override async estimateInvokeFee(calls: AllowArray<Call>, details: UniversalDetails = {}): Promise<EstimateFeeResponseOverhead> {
    try {
      return await super.estimateInvokeFee(calls, { skipValidate: false, tip: 0, ...details });
    } catch (cause) {
      throw chainError('estimating the fee', cause);
    }
  }

  /**
   * Checks the calls against the session (throws `PreflightError` without signing), estimates, checks
   * the fee against the session's cap and budget, signs and sends with the next tracked nonce.
   */
  override async execute(transactions: AllowArray<Call>, details: UniversalDetails = {}): Promise<InvokeFunctionResponse> {
    const run = this.queue.then(() => this.send([transactions].flat(), details));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Checks calls as the account will: revocation, pause, expiry (an extension included) by the
   * chain's clock, then methods, rules and the limits used.
   */
  private async preflight(calls: Call[], feltCalls: FeltCall[]): Promise<{ usage: SessionUsage; now: number }> {
    const state = await this.onChain();
    if (state.revoked) throw new PreflightError('REVOKED', `the session ${hex(this.sessionHash)} was revoked by the owner`);
    if (state.paused) throw new PreflightError('PAUSED', `the owner paused the session ${hex(this.sessionHash)}`);
    if (state.now >= state.expiresAt) {
      throw new PreflightError('EXPIRED', `session expired at ${state.expiresAt} (now ${state.now})`);
    }
    const usage = await readUsage(this.rpc, BigInt(this.address), this.session, this.sessionHash, state.stored);
    // Expiry checked above (it may have been extended): the rest as the Rust pre-flight.
    checkSessionCalls(this.session, BigInt(this.address), feltCalls, 0, usage, entrypointNamesOf(calls));
    return { usage, now: state.now };
  }

  private async send(calls: Call[], details: UniversalDetails): Promise<InvokeFunctionResponse> {
    const feltCalls = calls.map(toFeltCall);
    const { usage } = await this.preflight(calls, feltCalls);
    const what = `sending ${calls.map((call) => call.entrypoint).join(', ')}`;
    // The owner's transactions (revoke, pause, …) share the account's nonce: a nonce the chain
    // refuses is read again, once.
    for (let attempt = 0; ; attempt += 1) {
      const nonce = await this.nonceToUse();
      try {
        const resourceBounds = details.resourceBounds ?? (await this.estimateInvokeFee(calls, { ...details, nonce })).resourceBounds;
        checkSessionFee(this.session, maxFeeOf(resourceBounds), usage.feesCommitted);
        const response = await super.execute(calls, { tip: 0, ...details, nonce, resourceBounds });
        this.nextNonce = nonce + 1n;
        this.signer.markStored(feltCalls);
        return response;
      } catch (cause) {
        this.nextNonce = undefined;
        if (cause instanceof PreflightError) throw cause;
        const error = chainError(what, cause);
        if (attempt > 0 || !/nonce/i.test(error.message)) throw error;
      }
    }
  }

  /** The next nonce: the chain's, or this account's own count when it is ahead (back-to-back sends). */
  private async nonceToUse(): Promise<bigint> {
    let chain: bigint;
    try {
      chain = BigInt(await this.getNonce('pre_confirmed'));
    } catch (cause) {
      throw chainError('reading the nonce', cause);
    }
    return this.nextNonce !== undefined && this.nextNonce > chain ? this.nextNonce : chain;
  }

  /**
   * Sends `calls` gaslessly through a SNIP-29 paymaster (sponsored by default): checked like
   * `execute`, built by the paymaster, checked again as built (exactly these calls, plus at most
   * the agreed fee transfer, itself a session call within the spend limits), signed by the
   * session, submitted by the paymaster, and waited for.
   */
  async executeViaPaymaster(
    transactions: AllowArray<Call>,
    options: { paymaster: PaymasterConnection; feeMode?: PaymasterFeeMode },
  ): Promise<{ transactionHash: string; trackingId: string | undefined }> {
    const run = this.queue.then(() => this.sendViaPaymaster([transactions].flat(), options.paymaster, options.feeMode ?? { mode: 'sponsored' }));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sendViaPaymaster(
    calls: Call[],
    connection: PaymasterConnection,
    feeMode: PaymasterFeeMode,
  ): Promise<{ transactionHash: string; trackingId: string | undefined }> {
    const feltCalls = calls.map(toFeltCall);
    const { usage } = await this.preflight(calls, feltCalls);
    const client = paymasterClient(connection);
    const parameters = {
      version: '0x1' as const,
      feeMode: feeMode.mode === 'sponsored' ? { mode: 'sponsored' as const } : { mode: 'default' as const, gasToken: hex(feeMode.gasToken) },
    };
    const what = `${calls.map((call) => call.entrypoint).join(', ')} through the paymaster`;
    let prepared;
    try {
      prepared = await client.buildTransaction({ type: 'invoke', invoke: { userAddress: this.address, calls } }, parameters);
    } catch (cause) {
      throw paymasterFailure(`building ${what}`, cause);
    }
    if (prepared.type !== 'invoke') throw paymasterFailure(`building ${what}`, new Error(`a ${prepared.type} transaction came back`));
    const chainId = BigInt(await this.rpc.getChainId());
    const account = BigInt(this.address);
    const execution = checkBuiltTransaction(prepared.typed_data, chainId, account, feltCalls, feeMode);
    // The fee transfer, if any, is a session call like the others: allowed, and within the spend limits.
    checkSessionCalls(this.session, account, execution.calls, 0, usage, entrypointNamesOf(calls));
    // The typed data's hash was checked to be this execution's: sign that hash.
    const signature = this.signer.signCalls(outsideExecutionHash(execution, chainId, account), execution.calls).map(hex);
    let response;
    try {
      response = await client.executeTransaction(
        { type: 'invoke', invoke: { userAddress: this.address, typedData: prepared.typed_data, signature } },
        parameters,
      );
    } catch (cause) {
      throw paymasterFailure(`executing ${what}`, cause);
    }
    await waitForSuccess(this.rpc, response.transaction_hash);
    this.signer.markStored(execution.calls);
    return { transactionHash: response.transaction_hash, trackingId: response.tracking_id };
  }

  /** Sends `calls` and waits until they succeed (throws `ChainError('REVERTED')` otherwise). */
  async executeAndWait(calls: AllowArray<Call>, details: UniversalDetails = {}): Promise<string> {
    const { transaction_hash: transactionHash } = await this.execute(calls, details);
    await waitForSuccess(this.rpc, transactionHash);
    return transactionHash;
  }
}
