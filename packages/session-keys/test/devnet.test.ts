// The session account through starknet.js against a real devnet (started by the test): a
// Stark-key owner deploys, authorizes and registers sessions, revokes them; sessions execute
// back-to-back with tracked nonces; every refusal comes as its typed error.
import { Account, type Call } from 'starknet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ChainError, PreflightError, type Session, SessionSigner, type SessionSpec, type StarkKey, chainError, hex } from '../src/index.js';
import { type TestChain, buildSession, gameCall, readFelt, sessionAccountOf, startTestChain } from './support.js';

let chain: TestChain;

const increase = (amount: number): Call => gameCall(chain, 'increase', [amount]);
const score = (): Promise<bigint> => readFelt(chain, chain.fixtures.counterAddress, 'get', [chain.owner.address]);

/** A session allowing `increase` with amounts of at most 5, unless `spec` says otherwise. */
function newSession(spec: Partial<SessionSpec> = {}): Promise<{ session: Session; key: StarkKey }> {
  return buildSession(chain, {
    allowedMethods: [{ contractAddress: chain.fixtures.counterAddress, entrypoint: 'increase', rules: [{ kind: 'at most', index: 0, bound: 5n }] }],
    ...spec,
  });
}

async function newSessionAccount(spec: Partial<SessionSpec> = {}) {
  const { session, key } = await newSession(spec);
  return sessionAccountOf(chain, session, key);
}

beforeAll(async () => {
  chain = await startTestChain();
}, 120_000);

afterAll(async () => {
  await chain?.devnet.stop();
});

describe('a Stark-key owner', () => {
  it('deployed the account it owns at the counterfactual address', async () => {
    expect(await readFelt(chain, chain.owner.address, 'get_owner')).toBe(chain.ownerKey.publicKey);
  });
});

describe('a session authorized off-chain', () => {
  it('sends back-to-back moves with tracked nonces, then signs by reference', async () => {
    const { session, key } = await newSession();
    const account = await sessionAccountOf(chain, session, key);
    const before = await score();
    const nonce = BigInt(await account.getNonce());
    const sent = [];
    for (const amount of [1, 2, 3]) sent.push(await account.execute(increase(amount)));
    expect(account.signer.signsByReference).toBe(true);
    for (const { transaction_hash: hash } of sent) await chain.devnet.provider.waitForTransaction(hash, { retryInterval: 100 });
    expect(await score()).toBe(before + 6n);
    expect(BigInt(await account.getNonce())).toBe(nonce + 3n);
    expect(await account.status()).toMatchObject({ revoked: false, stored: true, expiresAt: session.expiresAt });
  });

  it('estimates fees through the session (validation included)', async () => {
    const account = await newSessionAccount();
    const estimate = await account.estimateInvokeFee(increase(1));
    expect(BigInt(estimate.overall_fee)).toBeGreaterThan(0n);
  });

  it('refuses a method the session does not allow, naming it, before signing', async () => {
    const account = await newSessionAccount();
    const refusal = await account.execute(gameCall(chain, 'reset')).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(PreflightError);
    expect(refusal).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
    expect(String(refusal)).toContain('`reset` on contract');
  });

  it('refuses arguments outside its rules', async () => {
    const account = await newSessionAccount();
    const refusal = await account.execute(increase(6)).catch((error: unknown) => error);
    expect(refusal).toMatchObject({ code: 'ARGUMENT_NOT_ALLOWED' });
    expect(String(refusal)).toContain('argument 0 is 6, but must be at most 5');
  });

  it('refuses calls to the account itself', async () => {
    const account = await newSessionAccount({ allowedMethods: [{ contractAddress: chain.owner.address, entrypoint: 'revoke_all_sessions' }] });
    await expect(
      account.execute({ contractAddress: chain.owner.address, entrypoint: 'revoke_all_sessions', calldata: [] }),
    ).rejects.toMatchObject({ code: 'CALL_TO_SELF' });
  });

  it('stops at its call limit, counted by the account', async () => {
    const account = await newSessionAccount({ policy: { maxCalls: 2 } });
    await account.executeAndWait(increase(1));
    await account.executeAndWait(increase(1));
    expect((await account.status()).remaining.calls).toBe(0);
    await expect(account.execute(increase(1))).rejects.toMatchObject({ code: 'CALL_LIMIT_REACHED' });
  });

  it('refuses a fee above its cap before sending', async () => {
    const account = await newSessionAccount({ policy: { maxFeePerTx: 1n } });
    await expect(account.execute(increase(1))).rejects.toMatchObject({ code: 'FEE_CAP_EXCEEDED' });
  });

  it('is refused once revoked: by the pre-flight, and by the account itself', async () => {
    const { session, key } = await newSession();
    const account = await sessionAccountOf(chain, session, key);
    await account.executeAndWait(increase(1));
    await chain.owner.revokeSession(account.sessionHash);
    expect((await account.status()).revoked).toBe(true);
    await expect(account.execute(increase(1))).rejects.toMatchObject({ name: 'PreflightError', code: 'REVOKED' });
    // Without the pre-flight (a plain starknet.js account with the session signer), the chain refuses it.
    const signer = new SessionSigner({ accountAddress: BigInt(chain.owner.address), chainId: BigInt(chain.fixtures.chainId), session, sessionKey: key });
    const plain = new Account({ provider: chain.devnet.provider, address: chain.owner.address, signer, cairoVersion: '1' });
    const wrapped = chainError('sending increase', await plain.execute(increase(1), { tip: 0 }).catch((error: unknown) => error));
    expect(wrapped).toBeInstanceOf(ChainError);
    expect(wrapped.reason).toBe('Session: revoked');
  });

  it('is refused after it expires, by the chain clock', async () => {
    const { timestamp } = await chain.devnet.provider.getBlockWithTxHashes('latest');
    const account = await newSessionAccount({ expiresAt: Number(timestamp) + 600 });
    await account.executeAndWait(increase(1));
    await chain.devnet.advanceTime(3600);
    await expect(account.execute(increase(1))).rejects.toMatchObject({ code: 'EXPIRED' });
  });
});

describe('SNIP-9 outside executions signed by a session', () => {
  it('a relayer submits one; the same payload twice is refused', async () => {
    const account = await newSessionAccount();
    const { timestamp } = await chain.devnet.provider.getBlockWithTxHashes('latest');
    const signed = account.signer.signOutsideExecution([increase(2)], { executeAfter: 0, executeBefore: Number(timestamp) + 600 });
    const before = await score();
    const relayed = await chain.devnet.funder.execute(signed.call, { tip: 0 });
    await chain.devnet.provider.waitForTransaction(relayed.transaction_hash, { retryInterval: 100 });
    expect(await score()).toBe(before + 2n);
    const replay = await chain.devnet.funder.execute(signed.call, { tip: 0 }).catch((error: unknown) => error);
    expect(chainError('relaying again', replay).reason).toBe('SNIP9: nonce already used');
  });

  it('is not signed for a call outside the session', async () => {
    const account = await newSessionAccount();
    expect(() => account.signer.signOutsideExecution([gameCall(chain, 'reset')], { executeAfter: 0, executeBefore: 2 ** 40 })).toThrow(PreflightError);
  });
});

describe('the owner pauses, resumes and extends a session', () => {
  it('a paused session is refused, resumed it works, extended it outlives its signed expiry', async () => {
    const { timestamp } = await chain.devnet.provider.getBlockWithTxHashes('latest');
    const account = await newSessionAccount({ expiresAt: Number(timestamp) + 600 });
    await account.executeAndWait(increase(1));
    await chain.owner.pauseSession(account.sessionHash);
    expect((await account.status()).paused).toBe(true);
    await expect(account.execute(increase(1))).rejects.toMatchObject({ name: 'PreflightError', code: 'PAUSED' });
    await chain.owner.resumeSession(account.sessionHash);
    await account.executeAndWait(increase(1));
    const extended = Number(timestamp) + 7200;
    await chain.owner.extendSession(account.sessionHash, extended);
    await chain.devnet.advanceTime(1800);
    const before = await score();
    await account.executeAndWait(increase(1)); // by reference, with the extended terms
    expect(await score()).toBe(before + 1n);
    expect((await account.status()).expiresAt).toBe(extended);
  });
});

describe('a registered session', () => {
  it('needs no owner authorization and signs by reference from its first transaction', async () => {
    const { session, key } = await newSession({ policy: { maxCalls: 5 } });
    await chain.owner.registerSession(session);
    const account = await sessionAccountOf(chain, session, key, false);
    expect(account.signer.signsByReference).toBe(true);
    const before = await score();
    await account.executeAndWait(increase(4));
    expect(await score()).toBe(before + 4n);
    expect((await account.status()).remaining.calls).toBe(4);
  });
});

describe('revoke-all', () => {
  it('revokes every session issued before it', async () => {
    const account = await newSessionAccount();
    await account.executeAndWait(increase(1));
    const epoch = await chain.owner.sessionEpoch();
    await chain.owner.revokeAllSessions();
    expect(await chain.owner.sessionEpoch()).not.toBe(epoch);
    expect(hex(await chain.owner.sessionEpoch())).not.toBe('0x0');
    expect((await account.status()).revoked).toBe(true);
    await expect(account.execute(increase(1))).rejects.toMatchObject({ code: 'REVOKED' });
  });
});
