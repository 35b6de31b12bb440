//! Reading a payload whose length a file's header claims, without trusting the claim: shared by
//! the IDX, NumPy and CIFAR-10 loaders.

use std::io::{self, Read};

/// The most bytes reserved for a payload before they arrive when the input's length is unknown
/// (compressed data): a header's claim alone never reserves more; the buffer grows as data
/// arrives.
pub(crate) const MAX_RESERVE: usize = 1 << 20;

/// Reads at most `need + 1` bytes of `input` (one more than the payload, to detect trailing
/// data), reserving `need` bytes up front only when `known` (the input's length was checked
/// against `need` before), else at most [`MAX_RESERVE`]. The caller compares the length read with
/// `need`. On an error, returns it with the number of bytes read before it.
pub(crate) fn read(input: &mut dyn Read, need: usize, known: bool) -> Result<Vec<u8>, (usize, io::Error)> {
    let mut data = Vec::with_capacity(if known { need } else { need.min(MAX_RESERVE) });
    input
        .take((need as u64).saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|e| (data.len(), e))?;
    Ok(data)
}
