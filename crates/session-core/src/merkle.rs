//! The SNIP-12 `merkletree` of allowed methods (the de-facto starknet.js construction).

use starknet_core::types::Felt;

use crate::snip12::merkle_pair_hash;

/// A Merkle tree over leaves in the given order: pairs hashed with `merkle_pair_hash`, an odd
/// last node paired with 0, a single leaf being its own root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MethodTree {
    /// `levels[0]` are the leaves, the last level holds only the root.
    levels: Vec<Vec<Felt>>,
}

impl MethodTree {
    /// Builds the tree of `leaves`; `None` when there are none.
    pub fn new(leaves: Vec<Felt>) -> Option<Self> {
        if leaves.is_empty() {
            return None;
        }
        let mut levels = vec![leaves];
        while let Some(level) = levels.last().filter(|level| level.len() > 1) {
            let next = level
                .chunks(2)
                .map(|pair| merkle_pair_hash(pair[0], pair.get(1).copied().unwrap_or(Felt::ZERO)))
                .collect();
            levels.push(next);
        }
        Some(Self { levels })
    }

    /// The root.
    pub fn root(&self) -> Felt {
        self.levels.last().and_then(|level| level.first()).copied().unwrap_or(Felt::ZERO)
    }

    /// The leaves, in tree order.
    pub fn leaves(&self) -> &[Felt] {
        &self.levels[0]
    }

    /// The proof (siblings from the leaf up) of leaf `index`, or `None` if out of range.
    pub fn proof(&self, mut index: usize) -> Option<Vec<Felt>> {
        if index >= self.leaves().len() {
            return None;
        }
        let mut proof = Vec::with_capacity(self.levels.len() - 1);
        for level in &self.levels[..self.levels.len() - 1] {
            proof.push(level.get(index ^ 1).copied().unwrap_or(Felt::ZERO));
            index /= 2;
        }
        Some(proof)
    }

    /// Whether `proof` links `leaf` to `root`, as the contract checks it.
    pub fn verify(leaf: Felt, proof: &[Felt], root: Felt) -> bool {
        proof.iter().fold(leaf, |node, sibling| merkle_pair_hash(node, *sibling)) == root
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn felts(values: &[u64]) -> Vec<Felt> {
        values.iter().map(|&v| Felt::from(v)).collect()
    }

    #[test]
    fn single_leaf_is_its_own_root_with_an_empty_proof() {
        let tree = MethodTree::new(felts(&[42])).unwrap();
        assert_eq!(tree.root(), Felt::from(42u64));
        assert_eq!(tree.proof(0).unwrap(), Vec::<Felt>::new());
        assert!(tree.proof(1).is_none());
    }

    #[test]
    fn odd_node_pairs_with_zero() {
        let tree = MethodTree::new(felts(&[1, 2, 3])).unwrap();
        let left = merkle_pair_hash(Felt::ONE, Felt::TWO);
        let right = merkle_pair_hash(Felt::THREE, Felt::ZERO);
        assert_eq!(tree.root(), merkle_pair_hash(left, right));
        assert_eq!(tree.proof(2).unwrap(), vec![Felt::ZERO, left]);
    }

    #[test]
    fn empty_tree_is_refused() {
        assert!(MethodTree::new(vec![]).is_none());
    }

    proptest! {
        #[test]
        fn every_leaf_proves_and_nothing_else_does(
            leaves in proptest::collection::btree_set(1u64..u64::MAX, 1..40),
            outsider in 1u64..u64::MAX,
        ) {
            let leaves: Vec<Felt> = leaves.into_iter().map(Felt::from).collect();
            let tree = MethodTree::new(leaves.clone()).unwrap();
            for (index, leaf) in leaves.iter().enumerate() {
                let proof = tree.proof(index).unwrap();
                prop_assert!(MethodTree::verify(*leaf, &proof, tree.root()));
                let outsider = Felt::from(outsider);
                if !leaves.contains(&outsider) {
                    prop_assert!(!MethodTree::verify(outsider, &proof, tree.root()));
                }
            }
        }
    }
}
