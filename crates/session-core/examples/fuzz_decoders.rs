//! Fuzzes the signature decoder outside the normal test run: `cargo run --release -p session-core
//! --example fuzz_decoders [CASES]` (default 1,000,000). Every input must decode or fail with a
//! `DecodeError` — never panic — and whatever decodes must re-encode to exactly the input.

use session_core::{AccountSignature, Felt, SESSION_MAGIC, SESSION_REF_MAGIC};

/// A small deterministic generator (xorshift64*), so a failing case can be replayed by its index.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    /// Mostly small numbers (lengths, counts), sometimes huge felts.
    fn felt(&mut self) -> Felt {
        match self.below(4) {
            0 => Felt::from(self.below(4)),
            1 => Felt::from(self.below(40)),
            2 => Felt::from(self.next()),
            _ => Felt::from_bytes_be(&core::array::from_fn(
                |index| if index == 0 { 0 } else { self.next() as u8 },
            )),
        }
    }
}

fn main() {
    let cases: u64 = std::env::args().nth(1).and_then(|text| text.parse().ok()).unwrap_or(1_000_000);
    let mut rng = Rng(0x5e55_10a4_c0de_f00d);
    let (mut decoded, mut rejected) = (0u64, 0u64);
    for case in 0..cases {
        let length = rng.below(48) as usize;
        let mut felts: Vec<Felt> = (0..length).map(|_| rng.felt()).collect();
        if !felts.is_empty() && rng.below(4) != 0 {
            // Most cases exercise the session parsers.
            felts[0] = if rng.below(2) == 0 { SESSION_MAGIC } else { SESSION_REF_MAGIC };
        }
        let call_count = rng.below(4) as usize;
        match AccountSignature::decode(&felts, call_count) {
            Ok(signature) => {
                assert_eq!(signature.encode(), felts, "case {case}: decode then encode changed the input");
                decoded += 1;
            }
            Err(_) => rejected += 1,
        }
    }
    println!("{cases} random signatures: {decoded} decoded and re-encoded identically, {rejected} rejected with a DecodeError, 0 panics");
}
