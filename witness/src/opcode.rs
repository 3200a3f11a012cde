//! The opcode families the step table constrains, their static effects (stack
//! size change, gas), and mnemonics for error messages.
//!
//! Milestone-1 scope so far: STOP, ADD, SUB, LT, GT, SLT, SGT, EQ, ISZERO,
//! AND, OR, XOR, NOT, POP, JUMP, JUMPI, PC, JUMPDEST, PUSH0..PUSH32,
//! DUP1..DUP16, SWAP1..SWAP16, ADDRESS, CALLER, CALLVALUE, CALLDATASIZE,
//! MLOAD, MSTORE, MSTORE8, MSIZE, CALLDATALOAD, GAS, RETURN, MUL, DIV, MOD,
//! SHL, SHR, SAR, BYTE, SIGNEXTEND, SLOAD, SSTORE, REVERT, SDIV, SMOD,
//! ADDMOD, MULMOD, EXP, INVALID (0xFE) and the undefined bytes, which halt
//! as INVALID does ([`is_undefined`]). Every other opcode is rejected by
//! [`decode`] returning `None`.

/// One opcode family: one selector column in the step table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// STOP: ends the transaction.
    Stop,
    /// PUSH0: pushes zero.
    Push0,
    /// PUSH1..PUSH32: pushes an immediate.
    Push,
    /// POP.
    Pop,
    /// DUP1..DUP16.
    Dup,
    /// SWAP1..SWAP16.
    Swap,
    /// ADD (wrapping).
    Add,
    /// SUB (wrapping).
    Sub,
    /// LT (unsigned).
    Lt,
    /// GT (unsigned).
    Gt,
    /// EQ.
    Eq,
    /// ISZERO.
    IsZero,
    /// JUMP.
    Jump,
    /// JUMPI.
    Jumpi,
    /// JUMPDEST.
    Jumpdest,
    /// PC.
    Pc,
    /// SLT (signed).
    Slt,
    /// SGT (signed).
    Sgt,
    /// AND (bitwise, proven by the logic table).
    And,
    /// OR (bitwise, proven by the logic table).
    Or,
    /// XOR (bitwise, proven by the logic table).
    Xor,
    /// NOT (bitwise complement).
    Not,
    /// ADDRESS, CALLER, CALLVALUE, CALLDATASIZE: pushes a field of the call
    /// context; `n` is the field (see [`mod@env`]).
    Env,
    /// MLOAD: reads 32 bytes of memory.
    Mload,
    /// MSTORE: writes 32 bytes of memory.
    Mstore,
    /// MSTORE8: writes one byte of memory.
    Mstore8,
    /// MSIZE: pushes the memory size in bytes.
    Msize,
    /// CALLDATALOAD: pushes 32 bytes of call data (zero past its end).
    CallDataLoad,
    /// GAS: pushes the gas left after paying for itself.
    Gas,
    /// RETURN: ends the transaction, paying for memory expansion to its
    /// data (the data is not part of the statement yet).
    Return,
    /// MUL (wrapping, proven by the arithmetic table).
    Mul,
    /// DIV (unsigned, x / 0 = 0, proven by the arithmetic table).
    Div,
    /// MOD (unsigned, x mod 0 = 0, proven by the arithmetic table).
    Mod,
    /// SHL (proven by the arithmetic table as a product with `2^shift`).
    Shl,
    /// SHR (proven by the arithmetic table as a quotient by `2^shift`).
    Shr,
    /// SAR (proven by the arithmetic table as SHR of the value's one's
    /// complement when it is negative, complemented back).
    Sar,
    /// BYTE (proven by the arithmetic table: the low byte of the value
    /// divided by `256^(31 - i)`).
    Byte,
    /// SLOAD: pushes a storage slot's value (read and priced by the storage table).
    Sload,
    /// SSTORE: writes a storage slot (priced by the storage table).
    Sstore,
    /// SIGNEXTEND (proven by the arithmetic table: the value modulo
    /// `256^(b + 1)`, its higher bytes set to its sign).
    SignExtend,
    /// REVERT: ends the transaction as failed, rolling back its storage
    /// writes, paying for memory expansion to its data (the data is not part
    /// of the statement yet).
    Revert,
    /// SDIV (signed, truncating toward zero, x / 0 = 0; proven by the
    /// arithmetic table on the operands' magnitudes).
    Sdiv,
    /// SMOD (signed, the result takes the dividend's sign, x mod 0 = 0;
    /// proven by the arithmetic table on the operands' magnitudes).
    Smod,
    /// ADDMOD (`(a + b) mod N` without wrapping, x mod 0 = 0; proven by
    /// the arithmetic table as a 512-bit division).
    Addmod,
    /// MULMOD (`(a * b) mod N` of the full 512-bit product, x mod 0 = 0;
    /// proven by the arithmetic table as a 512-bit division).
    Mulmod,
    /// EXP (`base^exponent mod 2^256`, 50 gas per exponent byte on top of
    /// its static gas; proven by the exponentiation table).
    Exp,
    /// INVALID (0xFE, the designated invalid instruction) and the bytes that
    /// are no instruction ([`is_undefined`]): an exceptional halt that ends
    /// the transaction as failed, consuming all its gas and rolling back its
    /// storage writes.
    Invalid,
}

/// The call-context fields the [`Family::Env`] opcodes read (their `n`).
pub mod env {
    /// ADDRESS: the called contract.
    pub const ADDRESS: u64 = 1;
    /// CALLER: the transaction's sender.
    pub const CALLER: u64 = 2;
    /// CALLVALUE: the value sent.
    pub const CALLVALUE: u64 = 3;
    /// CALLDATASIZE: the length of the call data.
    pub const CALLDATASIZE: u64 = 4;
    /// ORIGIN: the transaction's sender (the caller, at depth 0).
    pub const ORIGIN: u64 = 9;
    /// GASPRICE: the transaction's effective gas price.
    pub const GASPRICE: u64 = 10;
    /// COINBASE: the block's beneficiary.
    pub const COINBASE: u64 = 11;
    /// BASEFEE: the block's base fee per gas.
    pub const BASEFEE: u64 = 12;
    /// CODESIZE: the length of the running code.
    pub const CODESIZE: u64 = 13;
    /// RETURNDATASIZE: the length of the last call's return data; zero, as
    /// the transactions in scope make no calls.
    pub const RETURNDATASIZE: u64 = 14;
    /// NUMBER: the block's number.
    pub const NUMBER: u64 = 15;
    /// TIMESTAMP: the block's timestamp.
    pub const TIMESTAMP: u64 = 16;
    /// GASLIMIT: the block's gas limit.
    pub const GASLIMIT: u64 = 17;
    /// CHAINID: the chain id.
    pub const CHAINID: u64 = 18;
    /// PREVRANDAO (DIFFICULTY before the merge).
    pub const PREVRANDAO: u64 = 19;
    /// Every field, in order.
    pub const ALL: [u64; 15] = [
        ADDRESS,
        CALLER,
        CALLVALUE,
        CALLDATASIZE,
        ORIGIN,
        GASPRICE,
        COINBASE,
        BASEFEE,
        CODESIZE,
        RETURNDATASIZE,
        NUMBER,
        TIMESTAMP,
        GASLIMIT,
        CHAINID,
        PREVRANDAO,
    ];
}

impl Family {
    /// Every family, in selector-column order.
    pub const ALL: [Family; 47] = [
        Family::Stop,
        Family::Push0,
        Family::Push,
        Family::Pop,
        Family::Dup,
        Family::Swap,
        Family::Add,
        Family::Sub,
        Family::Lt,
        Family::Gt,
        Family::Eq,
        Family::IsZero,
        Family::Jump,
        Family::Jumpi,
        Family::Jumpdest,
        Family::Pc,
        Family::Slt,
        Family::Sgt,
        Family::And,
        Family::Or,
        Family::Xor,
        Family::Not,
        Family::Env,
        Family::Mload,
        Family::Mstore,
        Family::Mstore8,
        Family::Msize,
        Family::CallDataLoad,
        Family::Gas,
        Family::Return,
        Family::Mul,
        Family::Div,
        Family::Mod,
        Family::Shl,
        Family::Shr,
        Family::Sar,
        Family::Byte,
        Family::Sload,
        Family::Sstore,
        Family::SignExtend,
        Family::Revert,
        Family::Sdiv,
        Family::Smod,
        Family::Addmod,
        Family::Mulmod,
        Family::Exp,
        Family::Invalid,
    ];

    /// The families that end a transaction.
    pub const ENDS: [Family; 4] = [Family::Stop, Family::Return, Family::Revert, Family::Invalid];

    /// The families that end a transaction as failed (its storage writes
    /// rolled back): REVERT, and INVALID, which also consumes all its gas.
    pub const FAILS: [Family; 2] = [Family::Revert, Family::Invalid];

    /// The families that pop two words and push one result.
    pub const BINARY: [Family; 21] = [
        Family::Add,
        Family::Sub,
        Family::Lt,
        Family::Gt,
        Family::Slt,
        Family::Sgt,
        Family::Eq,
        Family::And,
        Family::Or,
        Family::Xor,
        Family::Mul,
        Family::Div,
        Family::Mod,
        Family::Shl,
        Family::Shr,
        Family::Sar,
        Family::Byte,
        Family::SignExtend,
        Family::Sdiv,
        Family::Smod,
        Family::Exp,
    ];

    /// The families that access memory (and may expand it).
    pub const MEMORY: [Family; 3] = [Family::Mload, Family::Mstore, Family::Mstore8];

    /// The families that access storage.
    pub const STORAGE: [Family; 2] = [Family::Sload, Family::Sstore];

    /// The bitwise families the logic table proves.
    pub const LOGIC: [Family; 3] = [Family::And, Family::Or, Family::Xor];

    /// The families that pop three words and push one result.
    pub const TERNARY: [Family; 2] = [Family::Addmod, Family::Mulmod];

    /// The families the arithmetic table proves (the binary ones, then the ternary ones).
    pub const ARITH: [Family; 12] = [
        Family::Mul,
        Family::Div,
        Family::Mod,
        Family::Shl,
        Family::Shr,
        Family::Sar,
        Family::Byte,
        Family::SignExtend,
        Family::Sdiv,
        Family::Smod,
        Family::Addmod,
        Family::Mulmod,
    ];

    /// Position of the family's selector among the selector columns.
    pub fn index(self) -> usize {
        Family::ALL
            .iter()
            .position(|&f| f == self)
            .expect("every family is in ALL")
    }

    /// Identifier written in the bytecode table (never 0).
    pub fn id(self) -> u64 {
        self.index() as u64 + 1
    }

    /// Static gas cost (memory expansion comes on top, see [`memory_cost`];
    /// storage accesses cost what the storage table prices, EXP adds 50 per
    /// exponent byte).
    pub fn gas(self) -> u64 {
        match self {
            Family::Stop | Family::Return | Family::Revert | Family::Invalid | Family::Sload | Family::Sstore => 0,
            Family::Jumpdest => 1,
            Family::Push0 | Family::Pop | Family::Pc | Family::Env | Family::Msize | Family::Gas => 2,
            Family::Jump | Family::Addmod | Family::Mulmod => 8,
            Family::Jumpi | Family::Exp => 10,
            Family::Mul | Family::Div | Family::Mod | Family::SignExtend | Family::Sdiv | Family::Smod => 5,
            _ => 3,
        }
    }

    /// Change of the stack size.
    pub fn stack_delta(self) -> i64 {
        match self {
            Family::Push0 | Family::Push | Family::Dup | Family::Pc | Family::Env | Family::Msize | Family::Gas => 1,
            Family::Pop | Family::Jump => -1,
            Family::Jumpi | Family::Mstore | Family::Mstore8 | Family::Return | Family::Revert | Family::Sstore => -2,
            f if f.is_binary() => -1,
            Family::Addmod | Family::Mulmod => -2,
            // STOP, SWAP, ISZERO, NOT, JUMPDEST, MLOAD, CALLDATALOAD, SLOAD, INVALID.
            _ => 0,
        }
    }

    /// Items the family pops (reads from the stack).
    pub fn pops(self, n: u64) -> usize {
        match self {
            f if f.is_binary() => 2,
            Family::Addmod | Family::Mulmod => 3,
            Family::Jumpi | Family::Mstore | Family::Mstore8 | Family::Return | Family::Revert | Family::Sstore => 2,
            Family::IsZero
            | Family::Not
            | Family::Pop
            | Family::Jump
            | Family::Mload
            | Family::CallDataLoad
            | Family::Sload => 1,
            Family::Dup => n as usize,
            Family::Swap => n as usize + 1,
            _ => 0,
        }
    }

    /// Whether the family ends the transaction (STOP, RETURN, REVERT, INVALID).
    pub fn ends(self) -> bool {
        Family::ENDS.contains(&self)
    }

    /// Whether the family pops two words and pushes one result.
    pub fn is_binary(self) -> bool {
        Family::BINARY.contains(&self)
    }
}

/// The family of `opcode` and its size parameter (`n` of PUSHn, DUPn, SWAPn;
/// 0 otherwise), or `None` when the opcode is outside the proven scope.
pub fn decode(opcode: u8) -> Option<(Family, u64)> {
    let family = match opcode {
        0x00 => Family::Stop,
        0x01 => Family::Add,
        0x02 => Family::Mul,
        0x03 => Family::Sub,
        0x04 => Family::Div,
        0x05 => Family::Sdiv,
        0x06 => Family::Mod,
        0x07 => Family::Smod,
        0x08 => Family::Addmod,
        0x09 => Family::Mulmod,
        0x0a => Family::Exp,
        0x0b => Family::SignExtend,
        0x10 => Family::Lt,
        0x11 => Family::Gt,
        0x12 => Family::Slt,
        0x13 => Family::Sgt,
        0x14 => Family::Eq,
        0x15 => Family::IsZero,
        0x16 => Family::And,
        0x17 => Family::Or,
        0x18 => Family::Xor,
        0x19 => Family::Not,
        0x1b => Family::Shl,
        0x1c => Family::Shr,
        0x1a => Family::Byte,
        0x1d => Family::Sar,
        0x30 => return Some((Family::Env, env::ADDRESS)),
        0x32 => return Some((Family::Env, env::ORIGIN)),
        0x33 => return Some((Family::Env, env::CALLER)),
        0x34 => return Some((Family::Env, env::CALLVALUE)),
        0x35 => Family::CallDataLoad,
        0x36 => return Some((Family::Env, env::CALLDATASIZE)),
        0x38 => return Some((Family::Env, env::CODESIZE)),
        0x3a => return Some((Family::Env, env::GASPRICE)),
        0x3d => return Some((Family::Env, env::RETURNDATASIZE)),
        0x41 => return Some((Family::Env, env::COINBASE)),
        0x42 => return Some((Family::Env, env::TIMESTAMP)),
        0x43 => return Some((Family::Env, env::NUMBER)),
        0x44 => return Some((Family::Env, env::PREVRANDAO)),
        0x45 => return Some((Family::Env, env::GASLIMIT)),
        0x46 => return Some((Family::Env, env::CHAINID)),
        0x48 => return Some((Family::Env, env::BASEFEE)),
        0x50 => Family::Pop,
        0x51 => Family::Mload,
        0x52 => Family::Mstore,
        0x53 => Family::Mstore8,
        0x54 => Family::Sload,
        0x55 => Family::Sstore,
        0x56 => Family::Jump,
        0x57 => Family::Jumpi,
        0x58 => Family::Pc,
        0x59 => Family::Msize,
        0x5a => Family::Gas,
        0x5b => Family::Jumpdest,
        0xf3 => Family::Return,
        0xfd => Family::Revert,
        0xfe => Family::Invalid,
        op if is_undefined(op) => Family::Invalid,
        0x5f => Family::Push0,
        0x60..=0x7f => return Some((Family::Push, u64::from(opcode - 0x5f))),
        0x80..=0x8f => return Some((Family::Dup, u64::from(opcode - 0x7f))),
        0x90..=0x9f => return Some((Family::Swap, u64::from(opcode - 0x8f))),
        _ => return None,
    };
    Some((family, 0))
}

/// Whether `opcode` is no instruction in any fork the executor runs
/// (Cancun to Osaka, whose CLZ takes 0x1e): executing it halts exceptionally
/// exactly as INVALID does, so it shares INVALID's family.
pub fn is_undefined(opcode: u8) -> bool {
    matches!(
        opcode,
        0x0c..=0x0f | 0x1f | 0x21..=0x2f | 0x4b..=0x4f | 0xa5..=0xef | 0xf6..=0xf9 | 0xfb | 0xfc
    )
}

/// Gas cost of a memory of `words` 32-byte words: `3 words + words^2 / 512`
/// (an instruction that expands memory pays the difference).
pub fn memory_cost(words: u64) -> u64 {
    3 * words + words * words / 512
}

/// Length of the immediate that follows `opcode` in bytecode (PUSHn: n).
pub fn immediate_len(opcode: u8) -> usize {
    match opcode {
        0x60..=0x7f => usize::from(opcode - 0x5f),
        _ => 0,
    }
}

/// The mnemonic of any opcode byte ("INVALID(0x..)" style names for unassigned bytes).
pub fn name(opcode: u8) -> &'static str {
    const NAMES: [(u8, &str); 80] = [
        (0x00, "STOP"),
        (0x01, "ADD"),
        (0x02, "MUL"),
        (0x03, "SUB"),
        (0x04, "DIV"),
        (0x05, "SDIV"),
        (0x06, "MOD"),
        (0x07, "SMOD"),
        (0x08, "ADDMOD"),
        (0x09, "MULMOD"),
        (0x0a, "EXP"),
        (0x0b, "SIGNEXTEND"),
        (0x10, "LT"),
        (0x11, "GT"),
        (0x12, "SLT"),
        (0x13, "SGT"),
        (0x14, "EQ"),
        (0x15, "ISZERO"),
        (0x16, "AND"),
        (0x17, "OR"),
        (0x18, "XOR"),
        (0x19, "NOT"),
        (0x1a, "BYTE"),
        (0x1b, "SHL"),
        (0x1c, "SHR"),
        (0x1d, "SAR"),
        (0x20, "KECCAK256"),
        (0x30, "ADDRESS"),
        (0x31, "BALANCE"),
        (0x32, "ORIGIN"),
        (0x33, "CALLER"),
        (0x34, "CALLVALUE"),
        (0x35, "CALLDATALOAD"),
        (0x36, "CALLDATASIZE"),
        (0x37, "CALLDATACOPY"),
        (0x38, "CODESIZE"),
        (0x39, "CODECOPY"),
        (0x3a, "GASPRICE"),
        (0x3b, "EXTCODESIZE"),
        (0x3c, "EXTCODECOPY"),
        (0x3d, "RETURNDATASIZE"),
        (0x3e, "RETURNDATACOPY"),
        (0x3f, "EXTCODEHASH"),
        (0x40, "BLOCKHASH"),
        (0x41, "COINBASE"),
        (0x42, "TIMESTAMP"),
        (0x43, "NUMBER"),
        (0x44, "PREVRANDAO"),
        (0x45, "GASLIMIT"),
        (0x46, "CHAINID"),
        (0x47, "SELFBALANCE"),
        (0x48, "BASEFEE"),
        (0x49, "BLOBHASH"),
        (0x4a, "BLOBBASEFEE"),
        (0x50, "POP"),
        (0x51, "MLOAD"),
        (0x52, "MSTORE"),
        (0x53, "MSTORE8"),
        (0x54, "SLOAD"),
        (0x55, "SSTORE"),
        (0x56, "JUMP"),
        (0x57, "JUMPI"),
        (0x58, "PC"),
        (0x59, "MSIZE"),
        (0x5a, "GAS"),
        (0x5b, "JUMPDEST"),
        (0x5c, "TLOAD"),
        (0x5d, "TSTORE"),
        (0x5e, "MCOPY"),
        (0x5f, "PUSH0"),
        (0xf0, "CREATE"),
        (0xf1, "CALL"),
        (0xf2, "CALLCODE"),
        (0xf3, "RETURN"),
        (0xf4, "DELEGATECALL"),
        (0xf5, "CREATE2"),
        (0xfa, "STATICCALL"),
        (0xfd, "REVERT"),
        (0xfe, "INVALID"),
        (0xff, "SELFDESTRUCT"),
    ];
    const PUSH: [&str; 32] = [
        "PUSH1", "PUSH2", "PUSH3", "PUSH4", "PUSH5", "PUSH6", "PUSH7", "PUSH8", "PUSH9", "PUSH10", "PUSH11", "PUSH12",
        "PUSH13", "PUSH14", "PUSH15", "PUSH16", "PUSH17", "PUSH18", "PUSH19", "PUSH20", "PUSH21", "PUSH22", "PUSH23",
        "PUSH24", "PUSH25", "PUSH26", "PUSH27", "PUSH28", "PUSH29", "PUSH30", "PUSH31", "PUSH32",
    ];
    const DUP: [&str; 16] = [
        "DUP1", "DUP2", "DUP3", "DUP4", "DUP5", "DUP6", "DUP7", "DUP8", "DUP9", "DUP10", "DUP11", "DUP12", "DUP13",
        "DUP14", "DUP15", "DUP16",
    ];
    const SWAP: [&str; 16] = [
        "SWAP1", "SWAP2", "SWAP3", "SWAP4", "SWAP5", "SWAP6", "SWAP7", "SWAP8", "SWAP9", "SWAP10", "SWAP11", "SWAP12",
        "SWAP13", "SWAP14", "SWAP15", "SWAP16",
    ];
    const LOG: [&str; 5] = ["LOG0", "LOG1", "LOG2", "LOG3", "LOG4"];
    match opcode {
        0x60..=0x7f => PUSH[usize::from(opcode - 0x60)],
        0x80..=0x8f => DUP[usize::from(opcode - 0x80)],
        0x90..=0x9f => SWAP[usize::from(opcode - 0x90)],
        0xa0..=0xa4 => LOG[usize::from(opcode - 0xa0)],
        _ => NAMES.iter().find(|(b, _)| *b == opcode).map_or("UNDEFINED", |(_, n)| n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_families_and_rejects_the_rest() {
        assert_eq!(decode(0x60), Some((Family::Push, 1)));
        assert_eq!(decode(0x7f), Some((Family::Push, 32)));
        assert_eq!(decode(0x8f), Some((Family::Dup, 16)));
        assert_eq!(decode(0x90), Some((Family::Swap, 1)));
        assert_eq!(decode(0x5f), Some((Family::Push0, 0)));
        assert_eq!(decode(0x02), Some((Family::Mul, 0)));
        assert_eq!(decode(0x05), Some((Family::Sdiv, 0)));
        assert_eq!(decode(0x09), Some((Family::Mulmod, 0)));
        assert_eq!(decode(0x0a), Some((Family::Exp, 0)));
        assert_eq!(decode(0x31), None, "BALANCE is not in the slice");
        assert_eq!(Family::Exp.pops(0), 2);
        assert_eq!(Family::Exp.gas(), 10);
        assert_eq!(Family::Addmod.pops(0), 3);
        assert_eq!(Family::Addmod.stack_delta(), -2);
        assert_eq!(Family::Div.gas(), 5);
        assert_eq!(decode(0x18), Some((Family::Xor, 0)));
        assert_eq!(decode(0x34), Some((Family::Env, env::CALLVALUE)));
        assert_eq!(decode(0x32), Some((Family::Env, env::ORIGIN)));
        assert_eq!(decode(0x3a), Some((Family::Env, env::GASPRICE)));
        assert_eq!(decode(0x41), Some((Family::Env, env::COINBASE)));
        assert_eq!(decode(0x48), Some((Family::Env, env::BASEFEE)));
        assert_eq!(decode(0x43), Some((Family::Env, env::NUMBER)));
        assert_eq!(decode(0x42), Some((Family::Env, env::TIMESTAMP)));
        assert_eq!(decode(0x45), Some((Family::Env, env::GASLIMIT)));
        assert_eq!(decode(0x46), Some((Family::Env, env::CHAINID)));
        assert_eq!(decode(0x44), Some((Family::Env, env::PREVRANDAO)));
        assert_eq!(decode(0x38), Some((Family::Env, env::CODESIZE)));
        assert_eq!(decode(0x3d), Some((Family::Env, env::RETURNDATASIZE)));
        assert_eq!(decode(0x47), None, "SELFBALANCE is not in the slice");
        assert_eq!(decode(0x35), Some((Family::CallDataLoad, 0)));
        assert_eq!(Family::Not.stack_delta(), 0);
        assert_eq!(Family::Slt.pops(0), 2);
        assert_eq!(decode(0x54), Some((Family::Sload, 0)));
        assert_eq!(Family::Sstore.stack_delta(), -2);
        assert_eq!(decode(0x53), Some((Family::Mstore8, 0)));
        assert_eq!(Family::Mstore.stack_delta(), -2);
        assert_eq!(memory_cost(1), 3);
        assert_eq!(memory_cost(1024), 3 * 1024 + 2048);
        assert_eq!(name(0x02), "MUL");
        assert_eq!(name(0x7f), "PUSH32");
        assert_eq!(name(0x0c), "UNDEFINED");
        assert_eq!(decode(0xfe), Some((Family::Invalid, 0)));
        for undefined in [0x0c, 0x1f, 0x21, 0x4b, 0xa5, 0xef, 0xf6, 0xfc] {
            assert_eq!(decode(undefined), Some((Family::Invalid, 0)), "0x{undefined:02x}");
            assert_eq!(name(undefined), "UNDEFINED");
        }
        // Instructions of some fork the executor runs are never taken for undefined bytes.
        for defined in [0x0b, 0x1d, 0x1e, 0x20, 0x4a, 0x5e, 0xa4, 0xf5, 0xfa, 0xff] {
            assert!(!is_undefined(defined), "0x{defined:02x}");
        }
        assert!(Family::Invalid.ends() && Family::FAILS.contains(&Family::Invalid));
        assert_eq!((Family::Invalid.pops(0), Family::Invalid.stack_delta()), (0, 0));
    }

    #[test]
    fn family_ids_are_distinct_and_nonzero() {
        let ids: Vec<u64> = Family::ALL.iter().map(|f| f.id()).collect();
        assert!(ids.iter().all(|&i| i != 0));
        let mut sorted = ids.clone();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
    }
}
