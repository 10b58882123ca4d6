/**
 * React hooks for session keys, on @tanstack/react-query: create a session with one passkey prompt,
 * execute calls with none, watch it (expiry countdown, limits left, from the chain), revoke it.
 * Safe by default: an expiry is required and bounded, keys live in memory, persistence happens only
 * encrypted with the passkey's PRF output (never in the clear), the expiry is checked before sending,
 * and every refusal is a typed `SessionKeysError`.
 */
import {
  type UseMutationResult,
  type UseQueryResult,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import { type ReactNode, createContext, createElement, useContext, useEffect, useMemo, useState } from 'react';
import { type Call, RpcProvider } from 'starknet';

import { chainNow } from '../chain.js';
import { PreflightError, SessionKeysError, StorageError } from '../errors.js';
import { type Felt, hex } from '../felt.js';
import { StarkKey } from '../keys.js';
import { type PasskeyCredential, createPasskey } from '../passkey.js';
import {
  SESSION_PRF_SALT,
  type SessionMaterial,
  decryptSession,
  encryptSession,
  readSessionRecord,
  sessionStorageKey,
} from '../persistence.js';
import type { PolicyInput } from '../policy.js';
import type { Remaining } from '../preflight.js';
import { type AllowedMethodInput, Session, checkSessionLifetime } from '../session.js';
import { SessionAccount } from '../session-account.js';
import { OwnerAccount, PasskeyOwner } from '../owner.js';
import type { PaymasterConnection } from '../paymaster.js';

/** Configuration shared by the hooks. */
export interface SessionKeysConfig {
  /** The JSON-RPC endpoint (or give `provider`). */
  nodeUrl?: string;
  /** A starknet.js provider. */
  provider?: RpcProvider;
  /** The longest session the hooks create, in seconds (default one day). */
  maxLifetimeSeconds?: number;
  /** Where encrypted sessions are kept (default `localStorage`); only ever ciphertext. */
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  /** A SNIP-29 paymaster (URL and API key): session transactions are then sponsored (gasless). */
  paymaster?: PaymasterConnection;
}

/** The default longest session: one day. */
export const DEFAULT_MAX_LIFETIME_SECONDS = 24 * 3600;

interface ResolvedConfig {
  provider: RpcProvider;
  paymaster: PaymasterConnection | undefined;
  maxLifetimeSeconds: number;
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | undefined;
}

const ConfigContext = createContext<ResolvedConfig | null>(null);

/** Provides the chain (and limits) to the hooks; put it inside a react-query `QueryClientProvider`. */
export function SessionKeysProvider({ config, children }: { config: SessionKeysConfig; children?: ReactNode }): ReactNode {
  const value = useMemo<ResolvedConfig>(() => {
    const provider = config.provider ?? new RpcProvider({ nodeUrl: config.nodeUrl });
    return {
      provider,
      paymaster: config.paymaster,
      maxLifetimeSeconds: config.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS,
      storage: config.storage ?? (typeof localStorage === 'undefined' ? undefined : localStorage),
    };
  }, [config.provider, config.nodeUrl, config.maxLifetimeSeconds, config.storage, config.paymaster]);
  return createElement(ConfigContext.Provider, { value }, children);
}

function useConfig(): ResolvedConfig {
  const config = useContext(ConfigContext);
  if (config === null) throw new Error('session-keys/react hooks need a <SessionKeysProvider> above them');
  return config;
}

function typed(error: unknown): SessionKeysError {
  if (error instanceof SessionKeysError) return error;
  return new SessionKeysError('UNEXPECTED', error instanceof Error ? error.message : String(error), { cause: error });
}

async function guard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw typed(error);
  }
}

/** A usable session: its account (a starknet.js `Account`), key in memory, and how it was kept. */
export interface ActiveSession {
  /** The session account signing with the session key. */
  account: SessionAccount;
  /** The session. */
  session: Session;
  /** The session hash (its id on the account). */
  sessionHash: Felt;
  /** Unix time at which it expires. */
  expiresAt: number;
  /** Whether an encrypted copy was stored (passkey PRF available). */
  persisted: boolean;
}

function activate(material: SessionMaterial, provider: RpcProvider, persisted: boolean): ActiveSession {
  const account = new SessionAccount({ provider, ...material });
  return { account, session: material.session, sessionHash: account.sessionHash, expiresAt: material.session.expiresAt, persisted };
}

/** What `useCreatePasskeyAccount` needs. */
export interface CreatePasskeyAccountVariables {
  /** The user's name shown by the authenticator. */
  userName: string;
  /** The relying party's display name. */
  rpName: string;
  /** The session account class (declared on the chain). */
  classHash: Felt | string;
  /** Pays the deployment: must leave STRK at `address` (a faucet, a paymaster, the app's treasury). */
  fund: (address: string) => Promise<void>;
}

/** Creates a passkey (one prompt) and deploys a session account it owns (one prompt). */
export function useCreatePasskeyAccount(): UseMutationResult<OwnerAccount, SessionKeysError, CreatePasskeyAccountVariables> {
  const { provider } = useConfig();
  return useMutation<OwnerAccount, SessionKeysError, CreatePasskeyAccountVariables>({
    mutationFn: (variables) =>
      guard(async () => {
        const credential = await createPasskey({ rpName: variables.rpName, userName: variables.userName });
        const wallet = OwnerAccount.counterfactual({ provider, owner: new PasskeyOwner(credential), classHash: BigInt(variables.classHash) });
        await variables.fund(wallet.address);
        await wallet.deploySessionAccount(BigInt(variables.classHash));
        return wallet;
      }),
  });
}

/** A passkey wallet from what a page may keep in the clear (credential id and public key: no secret). */
export function passkeyWallet(provider: RpcProvider, address: string, credential: PasskeyCredential): OwnerAccount {
  return new OwnerAccount({ provider, address: BigInt(address), owner: new PasskeyOwner(credential) });
}

/** What `useCreateSessionKey` needs. */
export interface CreateSessionVariables {
  /** The owner's account (a passkey or Stark-key owner). */
  wallet: OwnerAccount;
  /** What the session may call. */
  allowedMethods: AllowedMethodInput[];
  /** Unix time (seconds) at which it expires: required, within the configured maximum lifetime. */
  expiry: number;
  /** Limits (spend, calls, fees, start time). */
  policy?: PolicyInput;
  /** Keep an encrypted copy (passkey PRF); without PRF support nothing is stored. Default false. */
  persist?: boolean;
}

/** Creates a session: a fresh key in memory, the owner's authorization (one passkey prompt), no transaction. */
export function useCreateSessionKey(): UseMutationResult<ActiveSession, SessionKeysError, CreateSessionVariables> {
  const { provider, maxLifetimeSeconds, storage } = useConfig();
  const queryClient = useQueryClient();
  return useMutation<ActiveSession, SessionKeysError, CreateSessionVariables>({
    mutationFn: (variables) =>
      guard(async () => {
        checkSessionLifetime(variables.expiry, await chainNow(provider), maxLifetimeSeconds);
        const sessionKey = StarkKey.random();
        const session = Session.build({
          sessionKey: sessionKey.publicKey,
          expiresAt: variables.expiry,
          epoch: await variables.wallet.sessionEpoch(),
          allowedMethods: variables.allowedMethods,
          policy: variables.policy,
        });
        const { authorization, prfOutput } = variables.persist
          ? await variables.wallet.authorizeSessionWithPrf(session, SESSION_PRF_SALT)
          : { authorization: await variables.wallet.authorizeSession(session), prfOutput: undefined };
        const material: SessionMaterial = {
          accountAddress: BigInt(variables.wallet.address),
          chainId: BigInt(await provider.getChainId()),
          session,
          sessionKey,
          ownerAuthorization: authorization,
        };
        let persisted = false;
        if (variables.persist && prfOutput !== undefined && storage !== undefined) {
          const record = await encryptSession(material, prfOutput);
          storage.setItem(sessionStorageKey(material.accountAddress), JSON.stringify(record));
          persisted = true;
        }
        return activate(material, provider, persisted);
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['session-keys'] }),
  });
}

/** Restores the account's encrypted session (one passkey prompt for the PRF); throws `StorageError` without one. */
export function useRestoreSessionKey(): UseMutationResult<ActiveSession, SessionKeysError, { wallet: OwnerAccount }> {
  const { provider, storage } = useConfig();
  return useMutation<ActiveSession, SessionKeysError, { wallet: OwnerAccount }>({
    mutationFn: ({ wallet }) =>
      guard(async () => {
        const record = storage === undefined ? undefined : readSessionRecord(storage, BigInt(wallet.address));
        if (record === undefined) throw new StorageError('NOT_FOUND', `no stored session for ${wallet.address}`);
        const prfOutput = await wallet.passkeyPrf(SESSION_PRF_SALT);
        if (prfOutput === undefined) throw new StorageError('NO_PRF', 'this passkey cannot decrypt (no PRF support)');
        const active = activate(await decryptSession(record, prfOutput), provider, true);
        const status = await active.account.status();
        if (status.revoked || status.now >= status.expiresAt) {
          storage?.removeItem(sessionStorageKey(BigInt(wallet.address)));
          throw status.revoked
            ? new PreflightError('REVOKED', 'the stored session was revoked by the owner')
            : new PreflightError('EXPIRED', `the stored session expired at ${status.expiresAt}`);
        }
        return active;
      }),
  });
}

/** What `useExecuteSessionTransaction` needs. */
export interface ExecuteSessionVariables {
  /** The session to sign with. */
  sessionKey: ActiveSession;
  /** The calls (starknet.js `Call`s). */
  calls: Call | Call[];
  /** Accepted for symmetry with `useCreateSessionKey`; the session already knows its account. */
  wallet?: OwnerAccount;
  /** Send through the configured paymaster (default: whenever one is configured). */
  gasless?: boolean;
}

/** The outcome of a session transaction. */
export interface SessionTransactionResult {
  /** Its hash. */
  transactionHash: string;
}

/**
 * Executes calls with the session (no prompt): checked before signing, sent (through the paymaster
 * when one is configured: gasless), and waited for.
 */
export function useExecuteSessionTransaction(): UseMutationResult<SessionTransactionResult, SessionKeysError, ExecuteSessionVariables> {
  const { paymaster } = useConfig();
  const queryClient = useQueryClient();
  return useMutation<SessionTransactionResult, SessionKeysError, ExecuteSessionVariables>({
    mutationFn: ({ sessionKey, calls, gasless }) =>
      guard(async () => {
        // The session account checks, before signing, the expiry the account stores (an extension
        // included) by the chain's clock, the revocation and the pause, then the session's rules.
        if (gasless ?? paymaster !== undefined) {
          if (paymaster === undefined) throw new SessionKeysError('NO_PAYMASTER', 'gasless sending needs `paymaster` in the SessionKeysProvider config');
          return { transactionHash: (await sessionKey.account.executeViaPaymaster(calls, { paymaster })).transactionHash };
        }
        return { transactionHash: await sessionKey.account.executeAndWait(calls) };
      }),
    onSettled: (_data, _error, variables) =>
      queryClient.invalidateQueries({ queryKey: ['session-keys', 'session', hex(variables.sessionKey.sessionHash)] }),
  });
}

/** What `useRevokeSession` needs. */
export interface RevokeSessionVariables {
  /** The owner's account. */
  wallet: OwnerAccount;
  /** The session to revoke. */
  sessionKey: ActiveSession;
}

/** Revokes a session on-chain (one owner prompt) and forgets any stored copy. */
export function useRevokeSession(): UseMutationResult<{ transactionHash: string }, SessionKeysError, RevokeSessionVariables> {
  const { storage } = useConfig();
  const queryClient = useQueryClient();
  return useMutation<{ transactionHash: string }, SessionKeysError, RevokeSessionVariables>({
    mutationFn: ({ wallet, sessionKey }) =>
      guard(async () => {
        storage?.removeItem(sessionStorageKey(BigInt(wallet.address)));
        return { transactionHash: await wallet.revokeSession(sessionKey.sessionHash) };
      }),
    onSettled: (_data, _error, variables) =>
      queryClient.invalidateQueries({ queryKey: ['session-keys', 'session', hex(variables.sessionKey.sessionHash)] }),
  });
}

/** A session's state for display. */
export interface SessionState {
  /** `active`, `paused` (by the owner), `expired` or `revoked`. */
  status: 'active' | 'paused' | 'expired' | 'revoked';
  /** Unix time at which it expires (a later one when the owner extended it). */
  expiresAt: number;
  /** Seconds until expiry (0 once expired), ticking every second. */
  secondsLeft: number;
  /** Whether the account stored it (used once or registered). */
  stored: boolean;
  /** What it may still do. */
  remaining: Remaining;
}

/** Watches a session on the chain (refreshed every `refetchIntervalMs`, default 10 s) with a live countdown. */
export function useSession(
  sessionKey: ActiveSession | undefined,
  options: { refetchIntervalMs?: number } = {},
): UseQueryResult<SessionState, SessionKeysError> {
  const [clock, setClock] = useState(() => Math.floor(Date.now() / 1000));
  useEffect(() => {
    const timer = setInterval(() => setClock(Math.floor(Date.now() / 1000)), 1000);
    return () => clearInterval(timer);
  }, []);
  return useQuery<ChainSessionState, SessionKeysError, SessionState>({
    queryKey: ['session-keys', 'session', sessionKey ? hex(sessionKey.sessionHash) : 'none'],
    enabled: sessionKey !== undefined,
    refetchInterval: options.refetchIntervalMs ?? 10_000,
    queryFn: () =>
      guard(async () => {
        if (sessionKey === undefined) throw new SessionKeysError('NO_SESSION', 'no session');
        const status = await sessionKey.account.status();
        return {
          status: status.revoked ? 'revoked' : status.now >= status.expiresAt ? 'expired' : status.paused ? 'paused' : 'active',
          expiresAt: status.expiresAt,
          stored: status.stored,
          remaining: status.remaining,
          chainAhead: Math.max(0, status.now - Math.floor(Date.now() / 1000)),
        };
      }),
    // Recomputed every second by the clock: the countdown moves between refreshes.
    select: ({ chainAhead, ...state }) => {
      const secondsLeft = Math.max(0, state.expiresAt - (clock + chainAhead));
      return { ...state, status: state.status === 'active' && secondsLeft === 0 ? 'expired' : state.status, secondsLeft };
    },
  });
}

/** A session's state as last read from the chain. */
type ChainSessionState = Omit<SessionState, 'secondsLeft'> & { chainAhead: number };

export type { PasskeyCredential } from '../passkey.js';
export { OwnerAccount, PasskeyOwner } from '../owner.js';
export { SessionKeysError, PreflightError, BuildError, ChainError, PasskeyError, PaymasterError, StorageError } from '../errors.js';
export type { PaymasterConnection } from '../paymaster.js';
