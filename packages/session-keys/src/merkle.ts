/**
 * The SNIP-12 `merkletree` of allowed methods (starknet.js's construction). Leaf order: the
 * leaves in the order given — a session sorts its allowed methods by (contract address, selector,
 * argument rules) before hashing them, so the same permissions always give the same root. Pairs
 * are hashed with `poseidon_hash(min, max)`, an odd last node is paired with 0, and a single leaf
 * is its own root.
 */
import type { Felt } from './felt.js';
import { merklePairHash } from './snip12.js';

/** A Merkle tree of allowed-method leaves, with proofs as the contract checks them. */
export class MethodTree {
  private readonly levels: Felt[][];

  /** Builds the tree of `leaves` (at least one). */
  constructor(leaves: readonly Felt[]) {
    if (leaves.length === 0) throw new RangeError('a Merkle tree needs at least one leaf');
    this.levels = [[...leaves]];
    for (let level = this.levels[0]!; level.length > 1; ) {
      const next: Felt[] = [];
      for (let index = 0; index < level.length; index += 2) {
        next.push(merklePairHash(level[index]!, level[index + 1] ?? 0n));
      }
      this.levels.push(next);
      level = next;
    }
  }

  /** The root. */
  get root(): Felt {
    return this.levels[this.levels.length - 1]![0]!;
  }

  /** The leaves, in tree order. */
  get leaves(): readonly Felt[] {
    return this.levels[0]!;
  }

  /** The siblings from leaf `index` up to the root. */
  proof(index: number): Felt[] {
    if (!Number.isInteger(index) || index < 0 || index >= this.leaves.length) {
      throw new RangeError(`no leaf ${index} in a tree of ${this.leaves.length}`);
    }
    const proof: Felt[] = [];
    let position = index;
    for (const level of this.levels.slice(0, -1)) {
      proof.push(level[position ^ 1] ?? 0n);
      position = Math.floor(position / 2);
    }
    return proof;
  }

  /** Whether `proof` links `leaf` to `root`, as the contract checks it. */
  static verify(leaf: Felt, proof: readonly Felt[], root: Felt): boolean {
    return proof.reduce((node, sibling) => merklePairHash(node, sibling), leaf) === root;
  }
}
