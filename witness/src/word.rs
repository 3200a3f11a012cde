//! 256-bit EVM words as 32 byte limbs (little-endian: limb 0 is the least
//! significant byte), the representation every table uses.

use crate::F;
use plonky2::field::types::Field;
use revm::primitives::U256;

/// Number of byte limbs in a 256-bit word.
pub const LIMBS: usize = 32;

/// The byte limbs of `value`, least significant first.
pub fn limbs(value: U256) -> [u8; LIMBS] {
    value.to_le_bytes::<LIMBS>()
}

/// The byte limbs of `value` as field elements, least significant first.
pub fn limbs_f(value: U256) -> [F; LIMBS] {
    limbs(value).map(F::from_canonical_u8)
}

/// The word whose big-endian bytes are `bytes` (at most 32), as PUSHn reads its immediate.
pub fn from_be_bytes(bytes: &[u8]) -> U256 {
    let mut padded = [0u8; LIMBS];
    padded[LIMBS - bytes.len()..].copy_from_slice(bytes);
    U256::from_be_bytes(padded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limbs_are_little_endian_bytes() {
        let v = U256::from(0x0102u64);
        let l = limbs(v);
        assert_eq!(l[0], 0x02);
        assert_eq!(l[1], 0x01);
        assert!(l[2..].iter().all(|&b| b == 0));
        assert_eq!(from_be_bytes(&[0x01, 0x02]), v);
    }
}
