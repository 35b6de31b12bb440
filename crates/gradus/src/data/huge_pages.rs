//! Large buffers backed by transparent huge pages.
//!
//! A fresh allocation of a data set's size (Fashion-MNIST as `f32` is 188 MB) is faulted in
//! page by page as it is first written: with 4 KiB pages that is 46,000 faults, each zeroing
//! its page, and on the virtual machines this project runs on they cost more than the copy
//! itself (a `Vec` copy of 188 MB took ~0.1 s, numpy's `copy` 0.03 s). Linux backs a region
//! with 2 MiB pages where the program asks for it (`madvise(MADV_HUGEPAGE)`, the setting most
//! distributions ship) — what numpy does for its arrays of 4 MiB and more (numpy's
//! `_npy_alloc_cache` → `madvise_hugepage`). Reference: the kernel's
//! `Documentation/admin-guide/mm/transhuge.rst`.

use std::mem::MaybeUninit;

/// Size of a transparent huge page on x86-64 and aarch64 Linux.
const HUGE_PAGE: usize = 2 << 20;

/// A copy of `src` whose memory the kernel is asked to back with huge pages (where it can: the
/// whole 2 MiB pages inside the buffer; elsewhere, or where the kernel declines, the copy is
/// the same, on ordinary pages).
pub fn copy_on_huge_pages<T: Copy>(src: &[T]) -> Vec<T> {
    let mut copy = Vec::with_capacity(src.len());
    advise_huge_pages(copy.spare_capacity_mut());
    copy.extend_from_slice(src);
    copy
}

/// Asks the kernel to back the whole huge pages inside `buf` with huge pages, before anything
/// is written there.
fn advise_huge_pages<T>(buf: &mut [MaybeUninit<T>]) {
    #[cfg(target_os = "linux")]
    {
        let start = buf.as_mut_ptr() as usize;
        let end = start + std::mem::size_of_val(buf);
        let first = start.next_multiple_of(HUGE_PAGE);
        let len = end.saturating_sub(first) / HUGE_PAGE * HUGE_PAGE;
        if len > 0 {
            // SAFETY: [first, first + len) lies inside `buf`'s allocation, which this function
            // borrows mutably; MADV_HUGEPAGE changes how the kernel backs those pages, never
            // their content, and a refusal (a kernel without huge pages) leaves them as they
            // were, so its result is not needed.
            unsafe {
                libc::madvise(first as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buf;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_equals_its_source_at_every_size() {
        for n in [0, 1, 1000, HUGE_PAGE / 4 + 3, 3 * HUGE_PAGE / 4 + 1] {
            let src: Vec<f32> = (0..n).map(|i| i as f32 * 0.5).collect();
            assert_eq!(copy_on_huge_pages(&src), src, "{n} values");
        }
    }
}
