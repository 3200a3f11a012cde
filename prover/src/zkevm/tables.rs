//! The chunk's tables and the cross-table lookups between them.
//!
//! | CTL | looking                                   | looked                         |
//! |-----|-------------------------------------------|--------------------------------|
//! | 0   | step table, stack channels 0..4, and the verifier's boundary stack tuples of a split transaction | stack table (real rows) |
//! | 1   | step table (tx, pc, family, n, immediate) | bytecode table, multiplicity `MULT` |
//! | 2   | the verifier's tuples from the public code | bytecode table (real rows)    |
//! | 3   | logic table (family, operands recomposed from its bits, result) and arithmetic table (family, IN0, IN1, OUT) | step table (family, IN0, IN1, OUT) of AND/OR/XOR and the binary arithmetic families (MUL ... SMOD) |
//! | 4   | step table (tx, field `N`, OUT) of ADDRESS/CALLER/CALLVALUE/CALLDATASIZE, (tx, START_GAS, GAS) of each transaction's first step and (tx, REVERTED, is REVERT or INVALID or out of gas), (tx, GAS_LEFT, OUT, or zero when out of gas) and (tx, REFUND, REFUND) of its last; storage table (tx, ADDRESS, contract) and (tx, REVERTED, `REV`) of each access, rollback and warm initial write | call-context table, multiplicity `MULT` |
//! | 5   | the verifier's tuples from the statement's calls | call-context table (real rows) |
//! | 6   | step table, memory channels 0..32 of MLOAD/MSTORE/MSTORE8/CALLDATALOAD | memory table (step accesses) |
//! | 7   | the verifier's call-data tuples from the statement's calls, and boundary memory tuples of a split transaction | memory table (public rows) |
//! | 8   | step table (tx, `clk + 1`, is write, key, value, storage gas, refund change) of SLOAD/SSTORE | storage table (accesses other than rollbacks) |
//! | 9   | the verifier's slot tuples from the statement's storage list | storage table (initial writes and final reads) |
//! | 10  | arithmetic table (family, IN0, IN1, Y, OUT) of ADDMOD/MULMOD | step table (family, IN0, IN1, AUX, OUT) of ADDMOD/MULMOD |
//! | 11  | exponentiation table (BASE, EXPONENT, PROD, `50 (cursor byte + NZ)`) of each EXP's last row | step table (IN0, IN1, OUT, DGAS) of EXP |
//! | 12  | exponentiation table (POW, POW, next row's POW) of rows but an EXP's last and (ACC, POW, PROD) of rows whose bit is set | arithmetic table (IN0, IN1, OUT) of MUL rows marked `EXPMUL` |
//! | 13  | the verifier's warm-slot tuples of a split transaction's boundaries | storage table (`WARM_INIT` and `WARM_FINAL` rows: index, time stamp, transaction, ORIG) |
//!
//! CTL 3 takes the arithmetic table's MUL rows only when they are not marked `EXPMUL`.

use super::cpu_stark::{CHANNEL0, CHANNEL1, CHANNEL2};
use plonky2::field::types::Field;
use starky::cross_table_lookup::{CrossTableLookup, TableWithColumns};
use starky::lookup::{Column, Filter};
use witness::opcode::Family;
use witness::word::LIMBS;
use witness::{arith, bytecode, context, cpu, exp, logic, memory, stack, storage, F};

/// Index of the step table.
pub const CPU: usize = 0;
/// Index of the stack read/write table.
pub const STACK: usize = 1;
/// Index of the bytecode table.
pub const BYTECODE: usize = 2;
/// Index of the logic table.
pub const LOGIC: usize = 3;
/// Index of the call-context table.
pub const CONTEXT: usize = 4;
/// Index of the memory read/write table.
pub const MEMORY: usize = 5;
/// Index of the arithmetic table.
pub const ARITH: usize = 6;
/// Index of the storage read/write table.
pub const STORAGE: usize = 7;
/// Index of the exponentiation table.
pub const EXP: usize = 8;
/// Number of tables in a chunk proof.
pub const NUM_TABLES: usize = 9;
/// Position of the stack CTL, whose looking side also takes the public
/// boundary stack of a split transaction.
pub const STACK_CTL: usize = 0;
/// Position of the CTL whose looking side is the public code.
pub const CODE_CTL: usize = 2;
/// Position of the CTL whose looking side is the public call context.
pub const CONTEXT_CTL: usize = 5;
/// Position of the CTL whose looking side is the public call data.
pub const CALLDATA_CTL: usize = 7;
/// Position of the CTL whose looking side is the statement's storage slots.
pub const SLOTS_CTL: usize = 9;
/// Position of the CTL whose looking side is the boundaries' warm slots.
pub const WARM_CTL: usize = 13;

fn sum_of(families: &[Family]) -> Column<F> {
    Column::sum(families.iter().map(|&f| cpu::col::sel(f)))
}

/// [`sum_of`] `families` plus the step table's OOG flag: a step that runs
/// out of gas ends its transaction as failed, as INVALID does.
fn sum_with_oog(families: &[Family]) -> Column<F> {
    Column::sum(families.iter().map(|&f| cpu::col::sel(f)).chain([cpu::col::OOG]))
}

fn limbs(base: usize) -> impl Iterator<Item = Column<F>> {
    (base..base + LIMBS).map(Column::single)
}

/// One stack channel of the step table: (tx, slot, time stamp
/// [`cpu::stack_ts`]`(clk, channel)`, is write, value).
fn stack_channel(addr: Column<F>, channel: u64, write: bool, value: usize, active: Column<F>) -> TableWithColumns<F> {
    let ts = Column::linear_combination_with_constant(
        [(cpu::col::CLK, F::from_canonical_u64(4))],
        F::from_canonical_u64(cpu::stack_ts(0, channel)),
    );
    let mut cols = vec![
        Column::single(cpu::col::TX),
        addr,
        ts,
        Column::constant(F::from_bool(write)),
    ];
    cols.extend(limbs(value));
    TableWithColumns::new(CPU, cols, Filter::new_simple(active))
}

/// The instruction tuple columns of the bytecode table.
fn bytecode_tuple() -> Vec<Column<F>> {
    (bytecode::col::CODE_ID..bytecode::col::MULT)
        .map(Column::single)
        .collect()
}

/// All cross-table lookups of a chunk, in CTL index order.
pub fn cross_table_lookups() -> Vec<CrossTableLookup<F>> {
    use cpu::col as c;
    let one = F::ONE;
    let sp_minus = |terms: Vec<(usize, F)>, k: u64| {
        let mut all = vec![(c::SP, one)];
        all.extend(terms);
        Column::linear_combination_with_constant(all, -F::from_canonical_u64(k))
    };
    let mut addr2_terms: Vec<(usize, F)> = Family::BINARY.iter().map(|&f| (c::sel(f), -F::TWO)).collect();
    addr2_terms.extend(Family::TERNARY.iter().map(|&f| (c::sel(f), -F::from_canonical_u64(3))));
    for f in [
        Family::IsZero,
        Family::Not,
        Family::Swap,
        Family::Mload,
        Family::CallDataLoad,
        Family::Sload,
    ] {
        addr2_terms.push((c::sel(f), -one));
    }
    let channels = vec![
        stack_channel(Column::single(c::ADDR0), 0, false, c::IN0, sum_of(&CHANNEL0)),
        stack_channel(Column::single(c::ADDR1), 1, false, c::IN1, sum_of(&CHANNEL1)),
        stack_channel(sp_minus(addr2_terms, 0), 2, true, c::OUT, sum_of(&CHANNEL2)),
        stack_channel(
            sp_minus(vec![(c::N, -one)], 1),
            3,
            true,
            c::IN0,
            sum_of(&[Family::Swap]),
        ),
        // Channel 4 reads at channel 1's time stamp, before channel 2 overwrites its slot.
        stack_channel(sp_minus(vec![], 3), 1, false, c::AUX, sum_of(&Family::TERNARY)),
    ];
    let mut stack_cols = [stack::col::TX, stack::col::ADDR, stack::col::TS, stack::col::IS_WRITE]
        .map(Column::single)
        .to_vec();
    stack_cols.extend(limbs(stack::col::VAL));
    let stack_ctl = CrossTableLookup::new(
        channels,
        TableWithColumns::new(
            STACK,
            stack_cols,
            Filter::new_simple(Column::single(stack::col::IS_REAL)),
        ),
    );

    let family = Column::linear_combination(Family::ALL.iter().map(|&f| (c::sel(f), F::from_canonical_u64(f.id()))));
    let mut step_cols = vec![
        Column::single(c::TX),
        Column::single(c::PC),
        family.clone(),
        Column::single(c::N),
    ];
    step_cols.extend(limbs(c::PUSHV));
    let code_ctl = CrossTableLookup::new(
        vec![TableWithColumns::new(
            CPU,
            step_cols,
            Filter::new_simple(Column::single(c::IS_REAL)),
        )],
        TableWithColumns::new(
            BYTECODE,
            bytecode_tuple(),
            Filter::new_simple(Column::single(bytecode::col::MULT)),
        ),
    );
    let public_code_ctl = CrossTableLookup::new(
        vec![],
        TableWithColumns::new(
            BYTECODE,
            bytecode_tuple(),
            Filter::new_simple(Column::single(bytecode::col::IS_REAL)),
        ),
    );
    let [context_ctl, public_context_ctl] = context_ctls();
    vec![
        stack_ctl,
        code_ctl,
        public_code_ctl,
        operation_ctl(family.clone()),
        context_ctl,
        public_context_ctl,
        memory_ctl(),
        public_calldata_ctl(),
        storage_ctl(),
        public_slots_ctl(),
        ternary_ctl(family),
        exp_ctl(),
        exp_products_ctl(),
        public_warm_ctl(),
    ]
}

/// Each EXP's last row (base, exponent, result, dynamic gas) against the
/// step table's EXP steps (IN0, IN1, OUT, DGAS).
fn exp_ctl() -> CrossTableLookup<F> {
    use exp::col as e;
    let mut steps_cols: Vec<Column<F>> = [cpu::col::IN0, cpu::col::IN1, cpu::col::OUT]
        .into_iter()
        .flat_map(limbs)
        .collect();
    steps_cols.push(Column::single(cpu::col::DGAS));
    let steps = TableWithColumns::new(CPU, steps_cols, Filter::new_simple(sum_of(&[Family::Exp])));
    let mut exp_cols: Vec<Column<F>> = [e::BASE, e::EXPONENT, e::PROD].into_iter().flat_map(limbs).collect();
    let per_byte = F::from_canonical_u64(witness::exp::GAS_PER_BYTE);
    let byte_len = (0..LIMBS)
        .map(|j| (e::BYTE_SEL + j, per_byte * F::from_canonical_usize(j)))
        .chain([(e::NZ, per_byte)]);
    exp_cols.push(Column::linear_combination(byte_len));
    let rows = TableWithColumns::new(EXP, exp_cols, Filter::new_simple(Column::single(e::LAST)));
    CrossTableLookup::new(vec![rows], steps)
}

/// The exponentiation table's squares (POW, POW, the next row's POW), on
/// every row but an EXP's last, and products (ACC, POW, PROD), on rows whose bit is set,
/// against the arithmetic table's MUL rows marked `EXPMUL` (IN0, IN1, OUT).
fn exp_products_ctl() -> CrossTableLookup<F> {
    use exp::col as e;
    let words = |bases: &[usize]| -> Vec<Column<F>> { bases.iter().flat_map(|&b| limbs(b)).collect() };
    let mut square_cols = words(&[e::POW, e::POW]);
    square_cols.extend((e::POW..e::POW + LIMBS).map(Column::single_next_row));
    let within = Column::linear_combination([(e::REAL, F::ONE), (e::LAST, -F::ONE)]);
    let squares = TableWithColumns::new(EXP, square_cols, Filter::new_simple(within));
    let products = TableWithColumns::new(
        EXP,
        words(&[e::ACC, e::POW, e::PROD]),
        Filter::new_simple(Column::single(e::BIT)),
    );
    let muls = TableWithColumns::new(
        ARITH,
        words(&[arith::col::IN0, arith::col::IN1, arith::col::OUT]),
        Filter::new_simple(Column::single(arith::col::EXPMUL)),
    );
    CrossTableLookup::new(vec![squares, products], muls)
}

/// ADDMOD and MULMOD steps (family, IN0, IN1, AUX, OUT) against the
/// arithmetic table's ternary rows (family, IN0, IN1, Y, OUT): the divisor
/// `Y` is the step's modulus.
fn ternary_ctl(family: Column<F>) -> CrossTableLookup<F> {
    let mut step_cols = vec![family];
    for base in [cpu::col::IN0, cpu::col::IN1, cpu::col::AUX, cpu::col::OUT] {
        step_cols.extend(limbs(base));
    }
    let steps = TableWithColumns::new(CPU, step_cols, Filter::new_simple(sum_of(&Family::TERNARY)));
    let mut arith_cols = vec![arith_family()];
    for base in [arith::col::IN0, arith::col::IN1, arith::col::Y, arith::col::OUT] {
        arith_cols.extend(limbs(base));
    }
    let rows = Column::sum(Family::TERNARY.map(arith::col::sel));
    let arith = TableWithColumns::new(ARITH, arith_cols, Filter::new_simple(rows));
    CrossTableLookup::new(vec![arith], steps)
}

/// The family identifier of an arithmetic row.
fn arith_family() -> Column<F> {
    Column::linear_combination(Family::ARITH.map(|f| (arith::col::sel(f), F::from_canonical_u64(f.id()))))
}

/// SLOAD and SSTORE steps against the storage table's accesses: (tx, time
/// stamp `clk + 1`, is write, key, value, gas). The value is `OUT` for SLOAD
/// and `IN1` for SSTORE (the other is zero).
fn storage_ctl() -> CrossTableLookup<F> {
    use cpu::col as c;
    let mut step_cols = vec![
        Column::single(c::TX),
        Column::linear_combination_with_constant([(c::CLK, F::ONE)], F::ONE),
        Column::single(c::sel(Family::Sstore)),
    ];
    step_cols.extend(limbs(c::IN0));
    step_cols.extend((0..LIMBS).map(|j| Column::sum([c::OUT + j, c::IN1 + j])));
    step_cols.push(Column::single(c::DGAS));
    step_cols.push(Column::single(c::RDELTA));
    let steps = TableWithColumns::new(CPU, step_cols, Filter::new_simple(sum_of(&Family::STORAGE)));
    let s = |i: usize| Column::single(i);
    let mut table_cols = vec![s(storage::col::TX), s(storage::col::TS), s(storage::col::IS_WRITE)];
    table_cols.extend(limbs(storage::col::KEY));
    table_cols.extend(limbs(storage::col::VAL));
    table_cols.push(s(storage::col::COST));
    table_cols.push(s(storage::col::REFUND));
    let step_accesses = Column::linear_combination([
        (storage::col::IS_REAL, F::ONE),
        (storage::col::IS_INIT, -F::ONE),
        (storage::col::IS_FINAL, -F::ONE),
        (storage::col::IS_ROLLBACK, -F::ONE),
    ]);
    CrossTableLookup::new(
        vec![steps],
        TableWithColumns::new(STORAGE, table_cols, Filter::new_simple(step_accesses)),
    )
}

/// The storage table's rows of a transaction: its accesses (rollbacks
/// included: real, neither initial nor final) and, when it resumes, its
/// warm initial writes.
fn storage_owned() -> Column<F> {
    Column::linear_combination([
        (storage::col::IS_REAL, F::ONE),
        (storage::col::IS_INIT, -F::ONE),
        (storage::col::IS_FINAL, -F::ONE),
        (storage::col::WARM_INIT, F::ONE),
    ])
}

/// The storage table's warm initial writes and final reads of split
/// transactions (index, time stamp, transaction, ORIG) against the
/// verifier's warm-slot tuples.
fn public_warm_ctl() -> CrossTableLookup<F> {
    let c = |i: usize| Column::single(i);
    let mut tuple = vec![c(storage::col::IDX), c(storage::col::TS), c(storage::col::TX)];
    tuple.extend(limbs(storage::col::ORIG));
    CrossTableLookup::new(
        vec![],
        TableWithColumns::new(
            STORAGE,
            tuple,
            Filter::new_simple(Column::sum([storage::col::WARM_INIT, storage::col::WARM_FINAL])),
        ),
    )
}

/// The storage table's initial writes and final reads against the
/// verifier's slot tuples.
fn public_slots_ctl() -> CrossTableLookup<F> {
    let tuple = (storage::col::IDX..storage::col::ORIG).map(Column::single).collect();
    CrossTableLookup::new(
        vec![],
        TableWithColumns::new(
            STORAGE,
            tuple,
            Filter::new_simple(Column::sum([storage::col::IS_INIT, storage::col::IS_FINAL])),
        ),
    )
}

/// The memory table's access tuple columns.
fn memory_tuple() -> Vec<Column<F>> {
    (memory::col::TX..=memory::col::VAL).map(Column::single).collect()
}

/// The memory table's public rows (call data, boundary memory) against the verifier's tuples.
fn public_calldata_ctl() -> CrossTableLookup<F> {
    CrossTableLookup::new(
        vec![],
        TableWithColumns::new(
            MEMORY,
            memory_tuple(),
            Filter::new_simple(Column::single(memory::col::IS_PUBLIC)),
        ),
    )
}

/// Memory steps against the memory table: (tx, address, time stamp
/// `clk + 1`, is write, byte). Channel `i < 32` of MLOAD and MSTORE touches
/// `offset + i` with byte `31 - i` of the word (`OUT` for MLOAD, `IN1` for
/// MSTORE; the other is zero), and of CALLDATALOAD, when its offset is below
/// 2^24 (`RES`), reads `CALLDATA_BASE + offset + i` into `OUT`; channel 32 is
/// MSTORE8's write of `IN1`'s low byte.
fn memory_ctl() -> CrossTableLookup<F> {
    use cpu::col as c;
    let cdl = c::sel(Family::CallDataLoad);
    let address = |i: u64| {
        let mut terms: Vec<(usize, F)> = (0..4)
            .map(|j| (c::IN0 + j, F::from_canonical_u64(1 << (8 * j))))
            .collect();
        terms.push((cdl, F::from_canonical_u64(memory::CALLDATA_BASE)));
        Column::linear_combination_with_constant(terms, F::from_canonical_u64(i))
    };
    let channel = |i: u64, is_write: Column<F>, value: Column<F>, active: Filter<F>| {
        let ts = Column::linear_combination_with_constant([(c::CLK, F::ONE)], F::ONE);
        TableWithColumns::new(
            CPU,
            vec![Column::single(c::TX), address(i), ts, is_write, value],
            active,
        )
    };
    let mut channels: Vec<TableWithColumns<F>> = (0..LIMBS)
        .map(|i| {
            let byte = LIMBS - 1 - i;
            channel(
                i as u64,
                Column::single(c::sel(Family::Mstore)),
                Column::sum([c::OUT + byte, c::IN1 + byte]),
                Filter::new(
                    vec![(Column::single(cdl), Column::single(c::RES))],
                    vec![sum_of(&[Family::Mload, Family::Mstore])],
                ),
            )
        })
        .collect();
    channels.push(channel(
        0,
        Column::constant(F::ONE),
        Column::single(c::IN1),
        Filter::new_simple(Column::single(c::sel(Family::Mstore8))),
    ));
    let step_accesses = Column::linear_combination([(memory::col::IS_REAL, F::ONE), (memory::col::IS_PUBLIC, -F::ONE)]);
    CrossTableLookup::new(
        channels,
        TableWithColumns::new(MEMORY, memory_tuple(), Filter::new_simple(step_accesses)),
    )
}

/// Context steps, each transaction's first step (its gas) and last step (is
/// it REVERT, the gas left, the refund counter), and each storage access (its transaction's contract and
/// whether it reverts) against the call-context table (with multiplicities),
/// and the call-context table against the verifier's tuples.
fn context_ctls() -> [CrossTableLookup<F>; 2] {
    let mut step_cols = vec![Column::single(cpu::col::TX), Column::single(cpu::col::N)];
    step_cols.extend(limbs(cpu::col::OUT));
    // (tx, field, value in the first limb, zero limbs).
    let first_limb = |table_tx: usize, field: u64, value: Column<F>| -> Vec<Column<F>> {
        let mut cols = vec![
            Column::single(table_tx),
            Column::constant(F::from_canonical_u64(field)),
            value,
        ];
        cols.extend((1..LIMBS).map(|_| Column::constant(F::ZERO)));
        cols
    };
    let start_cols = first_limb(cpu::col::TX, context::START_GAS, Column::single(cpu::col::GAS));
    let mut contract_cols = vec![
        Column::single(storage::col::TX),
        Column::constant(F::from_canonical_u64(witness::opcode::env::ADDRESS)),
    ];
    contract_cols.extend((storage::col::ADDR..storage::col::ADDR + storage::col::ADDR_BYTES).map(Column::single));
    contract_cols.extend((storage::col::ADDR_BYTES..LIMBS).map(|_| Column::constant(F::ZERO)));
    let end_cols = first_limb(cpu::col::TX, context::REVERTED, sum_with_oog(&Family::FAILS));
    let mut gas_left_cols = vec![
        Column::single(cpu::col::TX),
        Column::constant(F::from_canonical_u64(context::GAS_LEFT)),
    ];
    gas_left_cols.extend(limbs(cpu::col::OUT));
    // A step that runs out of gas leaves none.
    let no_gas_left_cols = first_limb(cpu::col::TX, context::GAS_LEFT, Column::constant(F::ZERO));
    let refund_cols = first_limb(cpu::col::TX, context::REFUND, Column::single(cpu::col::REFUND));
    let status_cols = first_limb(storage::col::TX, context::REVERTED, Column::single(storage::col::REV));
    let tuple = || -> Vec<Column<F>> { (context::col::TX..context::col::MULT).map(Column::single).collect() };
    let reads = CrossTableLookup::new(
        vec![
            TableWithColumns::new(
                CPU,
                step_cols,
                Filter::new_simple(Column::single(cpu::col::sel(Family::Env))),
            ),
            TableWithColumns::new(CPU, start_cols, Filter::new_simple(Column::single(cpu::col::IS_START))),
            TableWithColumns::new(CPU, end_cols, Filter::new_simple(sum_with_oog(&Family::ENDS))),
            TableWithColumns::new(CPU, gas_left_cols, Filter::new_simple(sum_of(&Family::ENDS))),
            TableWithColumns::new(CPU, no_gas_left_cols, Filter::new_simple(Column::single(cpu::col::OOG))),
            TableWithColumns::new(CPU, refund_cols, Filter::new_simple(sum_with_oog(&Family::ENDS))),
            TableWithColumns::new(STORAGE, contract_cols, Filter::new_simple(storage_owned())),
            TableWithColumns::new(STORAGE, status_cols, Filter::new_simple(storage_owned())),
        ],
        TableWithColumns::new(CONTEXT, tuple(), Filter::new_simple(Column::single(context::col::MULT))),
    );
    let public = CrossTableLookup::new(
        vec![],
        TableWithColumns::new(
            CONTEXT,
            tuple(),
            Filter::new_simple(Column::single(context::col::IS_REAL)),
        ),
    );
    [reads, public]
}

/// The bitwise and arithmetic steps against the tables that prove them:
/// the logic table's (family id, operands recomposed from the bits of a
/// step's two rows, result), on each step's first row,
/// and the arithmetic table's (family id, IN0, IN1, OUT) together make up
/// the step table's (family id, IN0, IN1, OUT) of those families. `family`
/// is the step table's family-id column. One lookup for both tables keeps
/// the step table's lookup columns to one set.
fn operation_ctl(family: Column<F>) -> CrossTableLookup<F> {
    let mut step_cols = vec![family];
    for base in [cpu::col::IN0, cpu::col::IN1, cpu::col::OUT] {
        step_cols.extend(limbs(base));
    }
    let binary_arith: Vec<Family> = Family::ARITH.into_iter().filter(|f| f.is_binary()).collect();
    let families: Vec<Family> = Family::LOGIC.iter().chain(&binary_arith).copied().collect();
    let steps = TableWithColumns::new(CPU, step_cols, Filter::new_simple(sum_of(&families)));

    // A step's first logic row holds the low halves of its words, the next row the high ones.
    let half = logic::HALF_BYTES;
    let bits_byte = |bits: usize, j: usize| -> Column<F> {
        let terms: Vec<(usize, F)> = (0..8)
            .map(|k| (bits + 8 * (j % half) + k, F::from_canonical_u64(1 << k)))
            .collect();
        if j < half {
            Column::linear_combination(terms)
        } else {
            Column::linear_combination_and_next_row_with_constant(vec![], terms, F::ZERO)
        }
    };
    let out_byte = |j: usize| -> Column<F> {
        if j < half {
            Column::single(logic::col::OUT + j)
        } else {
            Column::single_next_row(logic::col::OUT + j - half)
        }
    };
    let mut logic_cols = vec![Column::linear_combination(
        Family::LOGIC.map(|f| (logic::col::sel(f), F::from_canonical_u64(f.id()))),
    )];
    for bits in [logic::col::A_BITS, logic::col::B_BITS] {
        logic_cols.extend((0..LIMBS).map(|j| bits_byte(bits, j)));
    }
    logic_cols.extend((0..LIMBS).map(out_byte));
    let first_rows = Column::linear_combination(
        Family::LOGIC
            .map(|f| (logic::col::sel(f), F::ONE))
            .into_iter()
            .chain([(logic::col::HIGH, -F::ONE)]),
    );
    let logic = TableWithColumns::new(LOGIC, logic_cols, Filter::new_simple(first_rows));

    let mut arith_cols = vec![arith_family()];
    for base in [arith::col::IN0, arith::col::IN1, arith::col::OUT] {
        arith_cols.extend(limbs(base));
    }
    let arith_rows = Column::linear_combination(
        binary_arith
            .iter()
            .map(|&f| (arith::col::sel(f), F::ONE))
            .chain([(arith::col::EXPMUL, -F::ONE)]),
    );
    let arith = TableWithColumns::new(ARITH, arith_cols, Filter::new_simple(arith_rows));
    CrossTableLookup::new(vec![logic, arith], steps)
}
