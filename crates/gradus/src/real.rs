//! The floating-point types the mathematics runs in.
//!
//! Training runs in `f32`; gradient checks and optimizer trajectories on 2-D test functions run in
//! `f64`, so every piece of mathematics is written once, generic over [`Real`].

use std::fmt::{Debug, Display};
use std::iter::Sum;

/// A floating-point scalar: `f32` or `f64`.
pub trait Real:
    num_traits::Float + num_traits::NumAssign + Sum + Debug + Display + Default + Send + Sync + 'static
{
    /// The value `x` rounded to this type.
    fn of(x: f64) -> Self;
    /// This value widened (or kept) as `f64`.
    fn f64(self) -> f64;
    /// `x` as `f32`s when this type is `f32` (for the hand-written `f32` kernels), else `None`.
    fn as_f32(x: &[Self]) -> Option<&[f32]>;
    /// `x` as mutable `f32`s when this type is `f32`, else `None`.
    fn as_f32_mut(x: &mut [Self]) -> Option<&mut [f32]>;
}

impl Real for f32 {
    #[inline(always)]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn f64(self) -> f64 {
        self as f64
    }
    fn as_f32(x: &[Self]) -> Option<&[f32]> {
        Some(x)
    }
    fn as_f32_mut(x: &mut [Self]) -> Option<&mut [f32]> {
        Some(x)
    }
}

impl Real for f64 {
    #[inline(always)]
    fn of(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn f64(self) -> f64 {
        self
    }
    fn as_f32(_: &[Self]) -> Option<&[f32]> {
        None
    }
    fn as_f32_mut(_: &mut [Self]) -> Option<&mut [f32]> {
        None
    }
}

/// The logistic function `1/(1 + e^{−z})`, computed without overflow for any `z`.
pub fn sigmoid<T: Real>(z: T) -> T {
    if z >= T::zero() {
        T::one() / (T::one() + (-z).exp())
    } else {
        let e = z.exp();
        e / (T::one() + e)
    }
}
