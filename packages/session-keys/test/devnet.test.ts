// The session account through starknet.js against a real devnet (started by the test): a
// Stark-key owner deploys, authorizes and registers sessions, revokes them; sessions execute
// back-to-back with tracked nonces; every refusal comes as its typed error.
import { Account, type Call } from 'starknet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Fixtures, type LocalDevnet, deployFixtures, startDevnet } from '../../../tests/web/local-chain.mjs';
import {
  ChainError,
  OwnerAccount,
  PreflightError,
  Session,
  SessionAccount,
  SessionSigner,
  StarkKey,
  StarkOwner,
  hex,
} from '../src/index.js';

let devnet: LocalDevnet;
let fixtures: Fixtures;
let owner: OwnerAccount;
const ownerKey = StarkKey.random();

async function counterOf(account: string): Promise<bigint> {
  const [value] = await devnet.provider.callContract({ contractAddress: fixtures.counterAddress, entrypoint: 'get', calldata: [account] });
  return BigInt(value ?? '0');
}

const increase = (amount: number): Call => ({ contractAddress: fixtures.counterAddress, entrypoint: 'increase', calldata: [amount] });

async function newSession(spec: Partial<Parameters<typeof Session.build>[0]> = {}): Promise<{ session: Session; key: StarkKey }> {
  const key = StarkKey.random();
  const { timestamp } = await devnet.provider.getBlockWithTxHashes('latest');
  const session = Session.build({
    sessionKey: key.publicKey,
    expiresAt: Number(timestamp) + 3600,
    epoch: await owner.sessionEpoch(),
    allowedMethods: [
      { contractAddress: fixtures.counterAddress, entrypoint: 'increase', rules: [{ kind: 'at most', index: 0, bound: 5n }] },
    ],
    ...spec,
  });
  return { session, key };
}

async function sessionAccount(session: Session, key: StarkKey, authorize = true): Promise<SessionAccount> {
  return new SessionAccount({
    provider: devnet.provider,
    accountAddress: BigInt(owner.address),
    chainId: BigInt(fixtures.chainId),
    session,
    sessionKey: key,
    ownerAuthorization: authorize ? await owner.authorizeSession(session) : undefined,
  });
}

beforeAll(async () => {
  devnet = await startDevnet();
  fixtures = await deployFixtures(devnet);
  owner = OwnerAccount.counterfactual({
    provider: devnet.provider,
    owner: new StarkOwner(ownerKey),
    classHash: BigInt(fixtures.sessionAccountClassHash),
    salt: 7n,
  });
  await devnet.mint(owner.address, 10n ** 21n);
  await owner.deploySessionAccount(BigInt(fixtures.sessionAccountClassHash), 7n);
}, 120_000);

afterAll(async () => {
  await devnet?.stop();
});

describe('a Stark-key owner', () => {
  it('deployed the account it owns at the counterfactual address', async () => {
    const [stored] = await devnet.provider.callContract({ contractAddress: owner.address, entrypoint: 'get_owner', calldata: [] });
    expect(BigInt(stored ?? '0')).toBe(ownerKey.publicKey);
  });
});

describe('a session authorized off-chain', () => {
  it('sends back-to-back moves with tracked nonces, then signs by reference', async () => {
    const { session, key } = await newSession();
    const account = await sessionAccount(session, key);
    const before = await counterOf(owner.address);
    const nonce = BigInt(await account.getNonce());
    const sent = [];
    for (const amount of [1, 2, 3]) sent.push(await account.execute(increase(amount)));
    expect(account.signer.signsByReference).toBe(true);
    for (const { transaction_hash: hash } of sent) await devnet.provider.waitForTransaction(hash, { retryInterval: 100 });
    expect(await counterOf(owner.address)).toBe(before + 6n);
    expect(BigInt(await account.getNonce())).toBe(nonce + 3n);
    const status = await account.status();
    expect(status).toMatchObject({ revoked: false, stored: true, expiresAt: session.expiresAt });
  });

  it('estimates fees through the session (validation included)', async () => {
    const { session, key } = await newSession();
    const account = await sessionAccount(session, key);
    const estimate = await account.estimateInvokeFee(increase(1));
    expect(BigInt(estimate.overall_fee)).toBeGreaterThan(0n);
  });

  it('refuses a method the session does not allow, naming it, before signing', async () => {
    const { session, key } = await newSession();
    const account = await sessionAccount(session, key);
    const reset: Call = { contractAddress: fixtures.counterAddress, entrypoint: 'reset', calldata: [] };
    const refusal = await account.execute(reset).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(PreflightError);
    expect(refusal).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
    expect(String(refusal)).toContain('`reset` on contract');
  });

  it('refuses arguments outside its rules', async () => {
    const { session, key } = await newSession();
    const account = await sessionAccount(session, key);
    const refusal = await account.execute(increase(6)).catch((error: unknown) => error);
    expect(refusal).toMatchObject({ code: 'ARGUMENT_NOT_ALLOWED' });
    expect(String(refusal)).toContain('argument 0 is 6, but must be at most 5');
  });

  it('refuses calls to the account itself', async () => {
    const { session, key } = await newSession({
      allowedMethods: [{ contractAddress: owner.address, entrypoint: 'revoke_all_sessions' }],
    });
    const account = await sessionAccount(session, key);
    await expect(
      account.execute({ contractAddress: owner.address, entrypoint: 'revoke_all_sessions', calldata: [] }),
    ).rejects.toMatchObject({ code: 'CALL_TO_SELF' });
  });

  it('stops at its call limit, counted by the account', async () => {
    const { session, key } = await newSession({ policy: { maxCalls: 2 } });
    const account = await sessionAccount(session, key);
    await account.executeAndWait(increase(1));
    await account.executeAndWait(increase(1));
    expect((await account.status()).remaining.calls).toBe(0);
    await expect(account.execute(increase(1))).rejects.toMatchObject({ code: 'CALL_LIMIT_REACHED' });
  });

  it('refuses a fee above its cap before sending', async () => {
    const { session, key } = await newSession({ policy: { maxFeePerTx: 1n } });
    const account = await sessionAccount(session, key);
    await expect(account.execute(increase(1))).rejects.toMatchObject({ code: 'FEE_CAP_EXCEEDED' });
  });

  it('is refused once revoked: by the pre-flight, and by the account itself', async () => {
    const { session, key } = await newSession();
    const account = await sessionAccount(session, key);
    await account.executeAndWait(increase(1));
    await owner.revokeSession(account.sessionHash);
    expect((await account.status()).revoked).toBe(true);
    await expect(account.execute(increase(1))).rejects.toMatchObject({ name: 'PreflightError', code: 'REVOKED' });
    // Without the pre-flight (a plain starknet.js account with the session signer), the chain refuses it.
    const signer = new SessionSigner({
      accountAddress: BigInt(owner.address),
      chainId: BigInt(fixtures.chainId),
      session,
      sessionKey: key,
    });
    const plain = new Account({ provider: devnet.provider, address: owner.address, signer, cairoVersion: '1' });
    const refusal = await plain.execute(increase(1), { tip: 0 }).catch((error: unknown) => error);
    const { chainError } = await import('../src/chain.js');
    const wrapped = chainError('sending increase', refusal);
    expect(wrapped).toBeInstanceOf(ChainError);
    expect(wrapped.reason).toBe('Session: revoked');
  });

  it('is refused after it expires, by the chain clock', async () => {
    const { timestamp } = await devnet.provider.getBlockWithTxHashes('latest');
    const { session, key } = await newSession({ expiresAt: Number(timestamp) + 600 });
    const account = await sessionAccount(session, key);
    await account.executeAndWait(increase(1));
    await devnet.advanceTime(3600);
    await expect(account.execute(increase(1))).rejects.toMatchObject({ code: 'EXPIRED' });
  });
});

describe('a registered session', () => {
  it('needs no owner authorization and signs by reference from its first transaction', async () => {
    const { session, key } = await newSession({ policy: { maxCalls: 5 } });
    await owner.registerSession(session);
    const account = await sessionAccount(session, key, false);
    expect(account.signer.signsByReference).toBe(true);
    const before = await counterOf(owner.address);
    await account.executeAndWait(increase(4));
    expect(await counterOf(owner.address)).toBe(before + 4n);
    expect((await account.status()).remaining.calls).toBe(4);
  });
});

describe('revoke-all', () => {
  it('revokes every session issued before it', async () => {
    const { session, key } = await newSession();
    const account = await sessionAccount(session, key);
    await account.executeAndWait(increase(1));
    const epoch = await owner.sessionEpoch();
    await owner.revokeAllSessions();
    expect(await owner.sessionEpoch()).not.toBe(epoch);
    expect((await account.status()).revoked).toBe(true);
    expect(hex(await owner.sessionEpoch())).not.toBe('0x0');
  });
});
