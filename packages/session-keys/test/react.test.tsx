// @vitest-environment happy-dom
// The React hooks against a real devnet (started by the test), with a Stark-key owner (no WebAuthn
// here: the passkey path runs in Chromium, examples/web-game/e2e): the safety defaults refuse with
// typed errors, a session is created without any transaction, executes with no owner signature,
// is watched from the chain, and revoked; nothing is ever written to storage without a PRF.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import type { Call } from 'starknet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BuildError, PreflightError } from '../src/index.js';
import {
  type ActiveSession,
  SessionKeysProvider,
  useCreateSessionKey,
  useExecuteSessionTransaction,
  useRevokeSession,
  useSession,
} from '../src/react/index.js';
import { type TestChain, gameCall, readFelt, startTestChain } from './support.js';

let chain: TestChain;

const increase = (amount: number): Call => gameCall(chain, 'increase', [amount]);
const score = (): Promise<bigint> => readFelt(chain, chain.fixtures.counterAddress, 'get', [chain.owner.address]);
const chainTime = async (): Promise<number> => Number((await chain.devnet.provider.getBlockWithTxHashes('latest')).timestamp);

function wrapper({ children }: { children: ReactNode }) {
  return (
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <SessionKeysProvider config={{ provider: chain.devnet.provider, maxLifetimeSeconds: 3600 }}>{children}</SessionKeysProvider>
    </QueryClientProvider>
  );
}

function useGame() {
  return { create: useCreateSessionKey(), execute: useExecuteSessionTransaction(), revoke: useRevokeSession() };
}

beforeAll(async () => {
  chain = await startTestChain();
}, 120_000);

afterAll(async () => {
  await chain?.devnet.stop();
});

describe('useCreateSessionKey', () => {
  it('refuses a session without an expiry, or longer than the maximum lifetime, with a typed error', async () => {
    const { result } = renderHook(() => useCreateSessionKey(), { wrapper });
    const allowedMethods = [{ contractAddress: chain.fixtures.counterAddress, entrypoint: 'increase' }];
    await act(() => result.current.mutateAsync({ wallet: chain.owner, allowedMethods, expiry: 0 }).catch(() => undefined));
    await waitFor(() => expect(result.current.error).toBeInstanceOf(BuildError));
    expect(result.current.error?.code).toBe('MISSING_EXPIRY');
    const tooLong = (await chainTime()) + 7200;
    await act(() => result.current.mutateAsync({ wallet: chain.owner, allowedMethods, expiry: tooLong }).catch(() => undefined));
    await waitFor(() => expect(result.current.error?.code).toBe('LIFETIME_TOO_LONG'));
    expect(localStorage.length).toBe(0);
  });
});

describe('a session through the hooks', () => {
  it('is created with no transaction, executes, is watched from the chain, refuses calls outside it, and is revoked', async () => {
    const { result } = renderHook(useGame, { wrapper });
    const nonce = await chain.devnet.provider.getNonceForAddress(chain.owner.address);
    let session: ActiveSession | undefined;
    await act(async () => {
      session = await result.current.create.mutateAsync({
        wallet: chain.owner,
        allowedMethods: [{ contractAddress: chain.fixtures.counterAddress, entrypoint: 'increase' }],
        expiry: (await chainTime()) + 600,
        policy: { maxCalls: 3 },
        persist: true,
      });
    });
    if (!session) throw new Error('no session');
    expect(await chain.devnet.provider.getNonceForAddress(chain.owner.address)).toBe(nonce);
    expect(session.persisted).toBe(false); // a Stark-key owner has no PRF: nothing is stored
    expect(localStorage.length).toBe(0);

    const before = await score();
    await act(() => result.current.execute.mutateAsync({ sessionKey: session!, calls: increase(1) }));
    expect(await score()).toBe(before + 1n);

    const watched = renderHook(() => useSession(session, { refetchIntervalMs: 200 }), { wrapper });
    await waitFor(() => expect(watched.result.current.data?.remaining.calls).toBe(2));
    expect(watched.result.current.data).toMatchObject({ status: 'active', stored: true });
    expect(watched.result.current.data?.secondsLeft).toBeGreaterThan(0);
    expect(watched.result.current.data?.secondsLeft).toBeLessThanOrEqual(600);

    await act(() => result.current.execute.mutateAsync({ sessionKey: session!, calls: gameCall(chain, 'reset') }).catch(() => undefined));
    await waitFor(() => expect(result.current.execute.error).toBeInstanceOf(PreflightError));
    expect(result.current.execute.error?.code).toBe('METHOD_NOT_ALLOWED');
    expect(result.current.execute.isPending).toBe(false);

    await act(() => result.current.revoke.mutateAsync({ wallet: chain.owner, sessionKey: session! }));
    await waitFor(() => expect(watched.result.current.data?.status).toBe('revoked'));
    await act(() => result.current.execute.mutateAsync({ sessionKey: session!, calls: increase(1) }).catch(() => undefined));
    await waitFor(() => expect(result.current.execute.error?.code).toBe('REVOKED'));
    expect(await score()).toBe(before + 1n);
    watched.unmount();
  });

  it('refuses to execute after the expiry, by the chain clock, and shows it expired', async () => {
    const { result } = renderHook(useGame, { wrapper });
    let session: ActiveSession | undefined;
    await act(async () => {
      session = await result.current.create.mutateAsync({
        wallet: chain.owner,
        allowedMethods: [{ contractAddress: chain.fixtures.counterAddress, entrypoint: 'increase' }],
        expiry: (await chainTime()) + 300,
      });
    });
    await chain.devnet.advanceTime(600);
    await act(() => result.current.execute.mutateAsync({ sessionKey: session!, calls: increase(1) }).catch(() => undefined));
    await waitFor(() => expect(result.current.execute.error?.code).toBe('EXPIRED'));
    const watched = renderHook(() => useSession(session), { wrapper });
    await waitFor(() => expect(watched.result.current.data?.status).toBe('expired'));
    expect(watched.result.current.data?.secondsLeft).toBe(0);
    watched.unmount();
  });
});
