// What the devnet tests share: a devnet with the game deployed and a Stark-key owner's session
// account, sessions built at the chain's time and current epoch, and view reads.
import type { Call } from 'starknet';

import { type Fixtures, type LocalDevnet, deployFixtures, startDevnet } from '../../../tests/web/local-chain.mjs';
import { OwnerAccount, Session, SessionAccount, type SessionSpec, StarkKey, StarkOwner } from '../src/index.js';

/** A devnet, the deployed game, and a deployed session account owned by a Stark key. */
export interface TestChain {
  devnet: LocalDevnet;
  fixtures: Fixtures;
  owner: OwnerAccount;
  ownerKey: StarkKey;
}

/** Starts devnet, deploys the game and a funded session account owned by a fresh Stark key. */
export async function startTestChain(): Promise<TestChain> {
  const devnet = await startDevnet();
  const fixtures = await deployFixtures(devnet);
  const ownerKey = StarkKey.random();
  const classHash = BigInt(fixtures.sessionAccountClassHash);
  const owner = OwnerAccount.counterfactual({ provider: devnet.provider, owner: new StarkOwner(ownerKey), classHash, salt: 7n });
  await devnet.mint(owner.address, 10n ** 21n);
  await owner.deploySessionAccount(classHash, 7n);
  return { devnet, fixtures, owner, ownerKey };
}

/** The first felt a view returns. */
export async function readFelt(chain: TestChain, contractAddress: string, entrypoint: string, calldata: string[] = []): Promise<bigint> {
  const [value] = await chain.devnet.provider.callContract({ contractAddress, entrypoint, calldata });
  return BigInt(value ?? '0');
}

/** The game's `entrypoint` call. */
export function gameCall(chain: TestChain, entrypoint: string, calldata: number[] = []): Call {
  return { contractAddress: chain.fixtures.counterAddress, entrypoint, calldata };
}

/** A session for the owner's account, expiring an hour after the chain's time, in the current epoch. */
export async function buildSession(
  chain: TestChain,
  spec: Partial<SessionSpec> & Pick<SessionSpec, 'allowedMethods'>,
): Promise<{ session: Session; key: StarkKey }> {
  const key = StarkKey.random();
  const { timestamp } = await chain.devnet.provider.getBlockWithTxHashes('latest');
  const session = Session.build({ sessionKey: key.publicKey, expiresAt: Number(timestamp) + 3600, epoch: await chain.owner.sessionEpoch(), ...spec });
  return { session, key };
}

/** The session account of `session`, carrying the owner's authorization unless it is registered. */
export async function sessionAccountOf(chain: TestChain, session: Session, key: StarkKey, authorize = true): Promise<SessionAccount> {
  return new SessionAccount({
    provider: chain.devnet.provider,
    accountAddress: BigInt(chain.owner.address),
    chainId: BigInt(chain.fixtures.chainId),
    session,
    sessionKey: key,
    ownerAuthorization: authorize ? await chain.owner.authorizeSession(session) : undefined,
  });
}
