//! One definition of each table's constraints for both native evaluation
//! (proving, verifying) and recursive evaluation (aggregation circuits).
//!
//! A table writes its constraints once against [`Cx`]; [`PackedCx`] evaluates
//! them on packed field values and [`CircuitCx`] builds them as plonky2
//! circuit gates, so the two can never drift apart.

use plonky2::field::extension::{Extendable, FieldExtension};
use plonky2::field::packed::PackedField;
use plonky2::hash::hash_types::RichField;
use plonky2::iop::ext_target::ExtensionTarget;
use plonky2::plonk::circuit_builder::CircuitBuilder;
use starky::constraint_consumer::{ConstraintConsumer, RecursiveConstraintConsumer};

/// Arithmetic and constraint sinks over some value type.
pub trait Cx {
    /// Base field.
    type F: RichField;
    /// A value: a packed evaluation or a circuit target.
    type V: Copy;
    /// `a + b`.
    fn add(&mut self, a: Self::V, b: Self::V) -> Self::V;
    /// `a - b`.
    fn sub(&mut self, a: Self::V, b: Self::V) -> Self::V;
    /// `a * b`.
    fn mul(&mut self, a: Self::V, b: Self::V) -> Self::V;
    /// A constant of the base field.
    fn constant(&mut self, c: Self::F) -> Self::V;
    /// Constrains `c = 0` on every row.
    fn always(&mut self, c: Self::V);
    /// Constrains `c = 0` on every row but the last (it may read the next row).
    fn transition(&mut self, c: Self::V);
    /// Constrains `c = 0` on the first row.
    fn first_row(&mut self, c: Self::V);
    /// Constrains `c = 0` on the last row.
    fn last_row(&mut self, c: Self::V);

    /// The constant `c` given as an integer.
    fn int(&mut self, c: i64) -> Self::V {
        let v = Self::F::from_canonical_u64(c.unsigned_abs());
        let v = if c < 0 { -v } else { v };
        self.constant(v)
    }
    /// `a * c` for an integer constant.
    fn scale(&mut self, a: Self::V, c: i64) -> Self::V {
        let k = self.int(c);
        self.mul(a, k)
    }
    /// `a + c` for an integer constant.
    fn add_int(&mut self, a: Self::V, c: i64) -> Self::V {
        let k = self.int(c);
        self.add(a, k)
    }
    /// `1 - a`.
    fn not(&mut self, a: Self::V) -> Self::V {
        let one = self.int(1);
        self.sub(one, a)
    }
    /// The sum of `vals` (0 when empty).
    fn sum(&mut self, vals: &[Self::V]) -> Self::V {
        let mut acc = self.int(0);
        for &v in vals {
            acc = self.add(acc, v);
        }
        acc
    }
    /// `sum_i vals[i] * 256^i` (a little-endian byte word, or part of one).
    fn bytes_le(&mut self, vals: &[Self::V]) -> Self::V {
        let mut acc = self.int(0);
        for &v in vals.iter().rev() {
            let shifted = self.scale(acc, 256);
            acc = self.add(shifted, v);
        }
        acc
    }
    /// Constrains `a` to be 0 or 1 on every row.
    fn boolean(&mut self, a: Self::V) {
        let na = self.not(a);
        let c = self.mul(a, na);
        self.always(c);
    }
}

use plonky2::field::types::Field;
use std::marker::PhantomData;

/// Native evaluation on packed values (of a degree-`D2` extension of `F`).
pub struct PackedCx<'a, F, P: PackedField, const D2: usize> {
    /// Where constraints accumulate.
    pub consumer: &'a mut ConstraintConsumer<P>,
    /// The base field.
    pub field: PhantomData<F>,
}

impl<F, P, const D2: usize> Cx for PackedCx<'_, F, P, D2>
where
    F: RichField,
    P: PackedField,
    P::Scalar: FieldExtension<D2, BaseField = F>,
{
    type F = F;
    type V = P;
    fn add(&mut self, a: P, b: P) -> P {
        a + b
    }
    fn sub(&mut self, a: P, b: P) -> P {
        a - b
    }
    fn mul(&mut self, a: P, b: P) -> P {
        a * b
    }
    fn constant(&mut self, c: F) -> P {
        P::from(P::Scalar::from_basefield(c))
    }
    fn always(&mut self, c: P) {
        self.consumer.constraint(c);
    }
    fn transition(&mut self, c: P) {
        self.consumer.constraint_transition(c);
    }
    fn first_row(&mut self, c: P) {
        self.consumer.constraint_first_row(c);
    }
    fn last_row(&mut self, c: P) {
        self.consumer.constraint_last_row(c);
    }
}

/// Recursive evaluation as plonky2 circuit gates.
pub struct CircuitCx<'a, F: RichField + Extendable<D>, const D: usize> {
    /// The circuit being built.
    pub builder: &'a mut CircuitBuilder<F, D>,
    /// Where constraints accumulate.
    pub consumer: &'a mut RecursiveConstraintConsumer<F, D>,
}

impl<F: RichField + Extendable<D>, const D: usize> Cx for CircuitCx<'_, F, D> {
    type F = F;
    type V = ExtensionTarget<D>;
    fn add(&mut self, a: Self::V, b: Self::V) -> Self::V {
        self.builder.add_extension(a, b)
    }
    fn sub(&mut self, a: Self::V, b: Self::V) -> Self::V {
        self.builder.sub_extension(a, b)
    }
    fn mul(&mut self, a: Self::V, b: Self::V) -> Self::V {
        self.builder.mul_extension(a, b)
    }
    fn constant(&mut self, c: F) -> Self::V {
        self.builder.constant_extension(F::Extension::from_basefield(c))
    }
    fn always(&mut self, c: Self::V) {
        self.consumer.constraint(self.builder, c);
    }
    fn transition(&mut self, c: Self::V) {
        self.consumer.constraint_transition(self.builder, c);
    }
    fn first_row(&mut self, c: Self::V) {
        self.consumer.constraint_first_row(self.builder, c);
    }
    fn last_row(&mut self, c: Self::V) {
        self.consumer.constraint_last_row(self.builder, c);
    }
}

/// Implements starky's `Stark` for a table type whose constraints are written
/// once as `fn eval<C: Cx>(&self, cx: &mut C, local: &[C::V], next: &[C::V], pis: &[C::V])`.
macro_rules! impl_stark_via_cx {
    ($table:ty, $columns:expr, $pis:expr) => {
        impl<F: plonky2::hash::hash_types::RichField + plonky2::field::extension::Extendable<D>, const D: usize>
            starky::stark::Stark<F, D> for $table
        {
            type EvaluationFrame<FE, P, const D2: usize>
                = starky::evaluation_frame::StarkFrame<P, P::Scalar, { $columns }, { $pis }>
            where
                FE: plonky2::field::extension::FieldExtension<D2, BaseField = F>,
                P: plonky2::field::packed::PackedField<Scalar = FE>;

            type EvaluationFrameTarget = starky::evaluation_frame::StarkFrame<
                plonky2::iop::ext_target::ExtensionTarget<D>,
                plonky2::iop::ext_target::ExtensionTarget<D>,
                { $columns },
                { $pis },
            >;

            fn eval_packed_generic<FE, P, const D2: usize>(
                &self,
                vars: &Self::EvaluationFrame<FE, P, D2>,
                yield_constr: &mut starky::constraint_consumer::ConstraintConsumer<P>,
            ) where
                FE: plonky2::field::extension::FieldExtension<D2, BaseField = F>,
                P: plonky2::field::packed::PackedField<Scalar = FE>,
            {
                use starky::evaluation_frame::StarkEvaluationFrame;
                let pis: Vec<P> = vars.get_public_inputs().iter().map(|&x| P::from(x)).collect();
                let mut cx = $crate::zkevm::expr::PackedCx::<F, P, D2> {
                    consumer: yield_constr,
                    field: std::marker::PhantomData,
                };
                self.eval(&mut cx, vars.get_local_values(), vars.get_next_values(), &pis);
            }

            fn eval_ext_circuit(
                &self,
                builder: &mut plonky2::plonk::circuit_builder::CircuitBuilder<F, D>,
                vars: &Self::EvaluationFrameTarget,
                yield_constr: &mut starky::constraint_consumer::RecursiveConstraintConsumer<F, D>,
            ) {
                use starky::evaluation_frame::StarkEvaluationFrame;
                let mut cx = $crate::zkevm::expr::CircuitCx {
                    builder,
                    consumer: yield_constr,
                };
                self.eval(
                    &mut cx,
                    vars.get_local_values(),
                    vars.get_next_values(),
                    vars.get_public_inputs(),
                );
            }

            fn constraint_degree(&self) -> usize {
                3
            }

            fn lookups(&self) -> Vec<starky::lookup::Lookup<F>> {
                self.range_lookups()
            }

            fn requires_ctls(&self) -> bool {
                true
            }
        }
    };
}
pub(crate) use impl_stark_via_cx;
