//! Fork rules: which revm specification a block runs under (the fork its
//! header names, or else mainnet's schedule), which forks the executor runs,
//! and the proof-of-work block reward of a fork.

use revm::primitives::hardfork::SpecId;
use revm::primitives::U256;
use serde::{Deserialize, Deserializer, Serializer};

/// Mainnet activation block of Homestead.
const HOMESTEAD_BLOCK: u64 = 1_150_000;
/// Mainnet activation block of Tangerine Whistle (EIP-150).
const TANGERINE_BLOCK: u64 = 2_463_000;
/// Mainnet activation block of Spurious Dragon (EIP-155/158).
const SPURIOUS_DRAGON_BLOCK: u64 = 2_675_000;
/// Mainnet activation block of Byzantium.
const BYZANTIUM_BLOCK: u64 = 4_370_000;
/// Mainnet activation block of Constantinople and Petersburg.
const PETERSBURG_BLOCK: u64 = 7_280_000;
/// Mainnet activation block of Istanbul.
const ISTANBUL_BLOCK: u64 = 9_069_000;
/// Mainnet activation block of Berlin.
const BERLIN_BLOCK: u64 = 12_244_000;
/// Mainnet activation block of London.
const LONDON_BLOCK: u64 = 12_965_000;
/// First mainnet block after the merge (Paris).
const MERGE_BLOCK: u64 = 15_537_394;
/// Mainnet activation timestamp of Shanghai.
const SHANGHAI_TIME: u64 = 1_681_338_455;
/// Mainnet activation timestamp of Cancun.
const CANCUN_TIME: u64 = 1_710_338_135;
/// Mainnet activation timestamp of Prague.
const PRAGUE_TIME: u64 = 1_746_612_311;
/// Mainnet activation timestamp of Osaka.
const OSAKA_TIME: u64 = 1_764_798_551;

/// The last fork the executor runs. Prague's block-level rules (the
/// EIP-2935 history contract, the EIP-7002 and EIP-7251 request contracts'
/// system calls, EIP-7702 transactions in the input formats) are not built,
/// so a block under Prague or later is refused rather than run under the
/// wrong rules.
pub const LATEST_EXECUTED: SpecId = SpecId::CANCUN;

/// The forks a block header may name, by the names revm gives them.
pub const FORK_NAMES: [&str; 15] = [
    "Frontier",
    "Homestead",
    "Tangerine",
    "Spurious",
    "Byzantium",
    "Petersburg",
    "Istanbul",
    "Berlin",
    "London",
    "Merge",
    "Shanghai",
    "Cancun",
    "Prague",
    "Osaka",
    "Amsterdam",
];

/// The fork a block named `name` runs under.
pub fn fork_named(name: &str) -> Option<SpecId> {
    FORK_NAMES.contains(&name).then(|| name.parse().ok()).flatten()
}

/// Serde of a header's fork as its name (`"Cancun"`), absent when the block
/// follows mainnet's schedule.
pub mod fork_name {
    use super::*;

    /// Writes the fork's name.
    pub fn serialize<S: Serializer>(fork: &Option<SpecId>, serializer: S) -> Result<S::Ok, S::Error> {
        match fork {
            Some(spec) => serializer.serialize_some(<&'static str>::from(*spec)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a fork name, refusing names that are none.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<SpecId>, D::Error> {
        let Some(name) = Option::<String>::deserialize(deserializer)? else {
            return Ok(None);
        };
        fork_named(&name).map(Some).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown fork {name:?}: expected one of {}",
                FORK_NAMES.join(", ")
            ))
        })
    }
}

/// The mainnet fork in force for a block with this number and timestamp.
pub fn mainnet_spec(number: u64, timestamp: u64) -> SpecId {
    if timestamp >= OSAKA_TIME && number >= MERGE_BLOCK {
        SpecId::OSAKA
    } else if timestamp >= PRAGUE_TIME && number >= MERGE_BLOCK {
        SpecId::PRAGUE
    } else if timestamp >= CANCUN_TIME && number >= MERGE_BLOCK {
        SpecId::CANCUN
    } else if timestamp >= SHANGHAI_TIME && number >= MERGE_BLOCK {
        SpecId::SHANGHAI
    } else if number >= MERGE_BLOCK {
        SpecId::MERGE
    } else if number >= LONDON_BLOCK {
        SpecId::LONDON
    } else if number >= BERLIN_BLOCK {
        SpecId::BERLIN
    } else if number >= ISTANBUL_BLOCK {
        SpecId::ISTANBUL
    } else if number >= PETERSBURG_BLOCK {
        SpecId::PETERSBURG
    } else if number >= BYZANTIUM_BLOCK {
        SpecId::BYZANTIUM
    } else if number >= SPURIOUS_DRAGON_BLOCK {
        SpecId::SPURIOUS_DRAGON
    } else if number >= TANGERINE_BLOCK {
        SpecId::TANGERINE
    } else if number >= HOMESTEAD_BLOCK {
        SpecId::HOMESTEAD
    } else {
        SpecId::FRONTIER
    }
}

/// The static block reward paid to the miner under `spec` (zero from the merge on).
pub fn block_reward(spec: SpecId) -> U256 {
    const ETHER: u128 = 1_000_000_000_000_000_000;
    let ether = if spec.is_enabled_in(SpecId::MERGE) {
        0
    } else if spec.is_enabled_in(SpecId::PETERSBURG) {
        2
    } else if spec.is_enabled_in(SpecId::BYZANTIUM) {
        3
    } else {
        5
    };
    U256::from(ether * ETHER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forks_follow_mainnet_history() {
        assert_eq!(mainnet_spec(46_147, 0), SpecId::FRONTIER);
        assert_eq!(mainnet_spec(4_369_999, 0), SpecId::SPURIOUS_DRAGON);
        assert_eq!(mainnet_spec(4_370_000, 0), SpecId::BYZANTIUM);
        assert_eq!(mainnet_spec(12_244_000, 0), SpecId::BERLIN);
        assert_eq!(mainnet_spec(15_537_393, 1_663_224_162), SpecId::LONDON);
        assert_eq!(mainnet_spec(15_537_394, 1_663_224_179), SpecId::MERGE);
        assert_eq!(mainnet_spec(19_426_587, 1_710_338_135), SpecId::CANCUN);
        assert_eq!(mainnet_spec(22_431_083, 1_746_612_299), SpecId::CANCUN);
        assert_eq!(mainnet_spec(22_431_084, 1_746_612_311), SpecId::PRAGUE);
        assert_eq!(mainnet_spec(23_935_694, 1_764_798_551), SpecId::OSAKA);
        assert_eq!(
            block_reward(SpecId::FRONTIER),
            U256::from(5_000_000_000_000_000_000u128)
        );
        assert_eq!(block_reward(SpecId::CANCUN), U256::ZERO);
    }

    #[test]
    fn every_fork_name_is_a_fork() {
        for name in FORK_NAMES {
            let spec = fork_named(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(<&'static str>::from(spec), name);
        }
        assert_eq!(fork_named("Latest"), None);
        assert_eq!(fork_named("cancun"), None);
    }
}
