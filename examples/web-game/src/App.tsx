import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import {
  type ActiveSession,
  type OwnerAccount,
  PasskeyOwner,
  type SessionKeysError,
  useCreatePasskeyAccount,
  useCreateSessionKey,
  useExecuteSessionTransaction,
  useRestoreSessionKey,
  useRevokeSession,
  useSession,
} from 'session-keys/react';
import { chainNow } from 'session-keys';
import { type Call, RpcProvider } from 'starknet';

import { type GameConfig, devnetFaucet } from './config';
import { loadWallet, saveWallet } from './wallet-storage';

const SESSION_SECONDS = 3600;

/** `59 min 48 s`. */
const countdown = (seconds: number): string => `${Math.floor(seconds / 60)} min ${seconds % 60} s`;

function ErrorLine({ error }: { error: SessionKeysError | null }) {
  if (!error) return null;
  return (
    <p className="error" data-testid="error" data-code={error.code}>
      {error.code}: {error.message}
    </p>
  );
}

export function App({ config }: { config: GameConfig }) {
  const provider = useMemo(() => new RpcProvider({ nodeUrl: config.rpcUrl }), [config.rpcUrl]);
  const [wallet, setWallet] = useState<OwnerAccount | undefined>(() => loadWallet(provider));
  const [sessionKey, setSessionKey] = useState<ActiveSession | undefined>();
  const [moves, setMoves] = useState(0);
  const [gasless, setGasless] = useState(false);

  const createAccount = useCreatePasskeyAccount();
  const createSession = useCreateSessionKey();
  const restoreSession = useRestoreSessionKey();
  const execute = useExecuteSessionTransaction();
  const revoke = useRevokeSession();
  const session = useSession(sessionKey, { refetchIntervalMs: 2000 });

  const score = useQuery({
    queryKey: ['score', wallet?.address, moves],
    enabled: wallet !== undefined,
    queryFn: async () => {
      const [value] = await provider.callContract({ contractAddress: config.counterAddress, entrypoint: 'get', calldata: [wallet!.address] });
      return BigInt(value ?? '0');
    },
  });

  const move = (amount: number): Call => ({ contractAddress: config.counterAddress, entrypoint: 'increase', calldata: [amount] });
  const lastError = execute.error ?? createSession.error ?? restoreSession.error ?? revoke.error ?? createAccount.error;

  async function onCreateAccount() {
    const created = await createAccount.mutateAsync({
      userName: 'player',
      rpName: 'Session keys web game',
      classHash: config.sessionAccountClassHash,
      fund: config.devnetFaucet ? devnetFaucet : async () => undefined,
    });
    if (created.ownerSigner instanceof PasskeyOwner) saveWallet(created.address, created.ownerSigner.credential);
    setWallet(created);
  }

  async function onStartSession() {
    if (!wallet) return;
    execute.reset();
    const active = await createSession.mutateAsync({
      wallet,
      allowedMethods: [
        { contractAddress: config.counterAddress, entrypoint: 'increase', rules: [{ kind: 'at most', index: 0, bound: 10n }] },
      ],
      // The chain's clock decides expiry (on a devnet it may run ahead of this computer's).
      expiry: (await chainNow(provider)) + SESSION_SECONDS,
      policy: { maxCalls: 100 },
      persist: true,
    });
    setSessionKey(active);
  }

  async function onMove() {
    if (!sessionKey) return;
    await execute.mutateAsync({ sessionKey, calls: move(1), gasless });
    setMoves((count) => count + 1);
  }

  async function onCheat() {
    if (!sessionKey) return;
    await execute.mutateAsync({ sessionKey, calls: { contractAddress: config.counterAddress, entrypoint: 'reset', calldata: [] }, gasless });
  }

  const ignore = () => undefined;

  return (
    <main>
      <h1>Counter Quest</h1>
      <p className="subtitle">One passkey tap starts a session; every move after that is signed by a session key, with no prompt.</p>

      <section>
        <h2>Account</h2>
        {wallet ? (
          <dl>
            <dt>Address</dt>
            <dd data-testid="account-address">{wallet.address}</dd>
            <dt>Owner</dt>
            <dd>passkey</dd>
          </dl>
        ) : (
          <button data-testid="create-account" disabled={createAccount.isPending} onClick={() => void onCreateAccount().catch(ignore)}>
            {createAccount.isPending ? 'Creating…' : 'Create a passkey account'}
          </button>
        )}
      </section>

      {wallet && (
        <section>
          <h2>Session</h2>
          {sessionKey ? (
            <dl>
              <dt>Status</dt>
              <dd data-testid="session-status" className={`status-${session.data?.status ?? 'active'}`}>
                {session.data?.status ?? 'checking…'}
              </dd>
              <dt>Expires in</dt>
              <dd data-testid="seconds-left">{session.data ? countdown(session.data.secondsLeft) : '…'}</dd>
              <dt>Moves left</dt>
              <dd data-testid="calls-left">{session.data?.remaining.calls ?? '…'}</dd>
              <dt>Kept</dt>
              <dd data-testid="persisted">{sessionKey.persisted ? 'encrypted with your passkey' : 'in memory only'}</dd>
            </dl>
          ) : (
            <p>No session yet.</p>
          )}
          <button data-testid="start-session" disabled={createSession.isPending} onClick={() => void onStartSession().catch(ignore)}>
            {createSession.isPending ? 'Waiting for your passkey…' : sessionKey ? 'New session (one tap)' : 'Start playing (one tap)'}
          </button>
          {!sessionKey && (
            <button
              className="secondary"
              data-testid="restore-session"
              disabled={restoreSession.isPending}
              onClick={() => void restoreSession.mutateAsync({ wallet }).then(setSessionKey).catch(ignore)}
            >
              Restore saved session
            </button>
          )}
          {sessionKey && (
            <button
              className="danger"
              data-testid="revoke"
              disabled={revoke.isPending}
              onClick={() => void revoke.mutateAsync({ wallet, sessionKey }).catch(ignore)}
            >
              {revoke.isPending ? 'Revoking…' : 'Log out (revoke session)'}
            </button>
          )}
        </section>
      )}

      {wallet && (
        <section>
          <h2>Game</h2>
          <div className="score" data-testid="score">
            {score.data?.toString() ?? '…'}
          </div>
          <p data-testid="moves-done">Moves this visit: {moves}</p>
          {config.paymaster && (
            <p>
              <label>
                <input type="checkbox" data-testid="gasless" checked={gasless} onChange={(event) => setGasless(event.target.checked)} /> The game pays
                the gas (SNIP-29 paymaster)
              </label>
            </p>
          )}
          <button data-testid="move" disabled={!sessionKey || execute.isPending} onClick={() => void onMove().catch(ignore)}>
            {execute.isPending ? 'Moving…' : 'Move +1'}
          </button>
          <button className="secondary" data-testid="cheat" disabled={!sessionKey || execute.isPending} onClick={() => void onCheat().catch(ignore)}>
            Cheat: reset the score
          </button>
        </section>
      )}
      <ErrorLine error={lastError} />
    </main>
  );
}
