// Gasless session transactions through the real session-paymaster binary (built by cargo) on a
// devnet the test starts: sponsored moves cost the user nothing; the paymaster's refusals arrive
// as PaymasterError with their SNIP-29 / session-paymaster codes; calls the session may not make
// never reach the paymaster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startPaymaster } from '../../../tests/web/local-chain.mjs';
import { PaymasterError, PreflightError, type SessionAccount } from '../src/index.js';
import { type TestChain, buildSession, gameCall, readFelt, sessionAccountOf, startTestChain } from './support.js';

const STRK = '0x04718f5a0fc34cc1af16a1cdee98ffb20c31f5cd61d6ab07201858f4287c938d';
const API_KEY = 'web-game-test-key';

let chain: TestChain;
let paymaster: { url: string; stop(): Promise<void> };

const score = (): Promise<bigint> => readFelt(chain, chain.fixtures.counterAddress, 'get', [chain.owner.address]);
const balance = (): Promise<bigint> => readFelt(chain, STRK, 'balance_of', [chain.owner.address]);

async function sessionAccount(entrypoints: string[]): Promise<SessionAccount> {
  const { session, key } = await buildSession(chain, {
    allowedMethods: entrypoints.map((entrypoint) => ({ contractAddress: chain.fixtures.counterAddress, entrypoint })),
  });
  return sessionAccountOf(chain, session, key);
}

beforeAll(async () => {
  chain = await startTestChain();
  paymaster = await startPaymaster(chain.devnet, { apiKey: API_KEY, contract: chain.fixtures.counterAddress, entrypoints: ['increase'] });
}, 120_000);

afterAll(async () => {
  await paymaster?.stop();
  await chain?.devnet.stop();
});

describe('gasless session transactions (SNIP-29)', () => {
  it('a sponsored move costs the user nothing', async () => {
    const account = await sessionAccount(['increase']);
    const [strk, before] = [await balance(), await score()];
    const sent = await account.executeViaPaymaster(gameCall(chain, 'increase', [1]), { paymaster: { nodeUrl: paymaster.url, apiKey: API_KEY } });
    expect(sent.transactionHash).toMatch(/^0x/);
    expect(await score()).toBe(before + 1n);
    expect(await balance()).toBe(strk);
    expect(account.signer.signsByReference).toBe(true);
    await account.executeViaPaymaster(gameCall(chain, 'increase', [1]), { paymaster: { nodeUrl: paymaster.url, apiKey: API_KEY } });
    expect(await score()).toBe(before + 2n);
    expect(await balance()).toBe(strk);
  });

  it('a wrong API key is refused with INVALID_API_KEY (170)', async () => {
    const account = await sessionAccount(['increase']);
    const refusal = await account
      .executeViaPaymaster(gameCall(chain, 'increase', [1]), { paymaster: { nodeUrl: paymaster.url, apiKey: 'not-a-key' } })
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(PaymasterError);
    expect(refusal).toMatchObject({ code: 'REFUSED', paymasterCode: 170, paymasterCodeName: 'INVALID_API_KEY' });
  });

  it('a call the key does not sponsor is refused with CALL_NOT_SPONSORED (171)', async () => {
    const account = await sessionAccount(['increase', 'reset']);
    const before = await score();
    const refusal = await account
      .executeViaPaymaster(gameCall(chain, 'reset'), { paymaster: { nodeUrl: paymaster.url, apiKey: API_KEY } })
      .catch((error: unknown) => error);
    expect(refusal).toMatchObject({ name: 'PaymasterError', paymasterCode: 171, paymasterCodeName: 'CALL_NOT_SPONSORED' });
    expect(await score()).toBe(before);
  });

  it('a call outside the session never reaches the paymaster', async () => {
    const account = await sessionAccount(['increase']);
    // An unreachable paymaster: the pre-flight refuses first.
    const refusal = await account
      .executeViaPaymaster(gameCall(chain, 'reset'), { paymaster: { nodeUrl: 'http://127.0.0.1:9/', apiKey: API_KEY } })
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(PreflightError);
    expect(refusal).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
  });
});
