//! The host's memory budget: a counting global allocator and the check the
//! script host makes against `--max-memory`.
//!
//! Rhai's own limits bound one string, one array or one map, not what a
//! script keeps alive in total (a map of 100 000 one-megabyte strings, an
//! array of matrices), and native functions allocate outside them. So every
//! heap allocation of the process goes through [`CountingAllocator`], which
//! wraps `std::alloc::System` and keeps the live byte count in one relaxed
//! atomic (one `fetch_add`/`fetch_sub` per call: cheap). The script host
//! compares that count with its `max_memory` limit ([`check`]) on every Rhai
//! operation (`on_progress`) and before large native allocations (matrix
//! constructors, windows, dataset loads), and stops the script with an
//! error naming `--max-memory`.
//!
//! The budget is process-wide because the allocator cannot tell whose
//! allocation it serves: the REPL's earlier inputs, a notebook's earlier
//! cells, rayon workers of a fit and (in `cargo test`) other tests running
//! in parallel all count. It does not cover memory outside the Rust heap
//! (thread stacks, OpenBLAS buffers, memory-mapped files, the binary), and a
//! single native call can overshoot it by what it allocates before the next
//! check; the other limits (`max_matrix_elements`, `max_string_size`, …)
//! bound those single allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use thiserror::Error;

/// Bytes currently allocated on the Rust heap by this process.
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// `System`, counting live bytes.
pub struct CountingAllocator;

// SAFETY: every method forwards to `System` with the caller's arguments and
// only adds bookkeeping on the side.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            let old = layout.size();
            if new_size >= old {
                LIVE.fetch_add(new_size - old, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(old - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Bytes currently allocated on the Rust heap by this process.
pub fn live_bytes() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// The default `--max-memory`: 4 GiB (a constant, so provenance does not
/// depend on the machine).
pub const DEFAULT_MAX_MEMORY: usize = 4 << 30;

/// The memory budget was (or would be) exceeded.
#[derive(Debug, Error, PartialEq, Eq)]
#[error(
    "memory budget exceeded: {live} bytes in use{}, sandbox limit max_memory = {limit} \
     (raise it with --max-memory)",
    if *.requested > 0 { format!(" and {} more requested", .requested) } else { String::new() }
)]
pub struct MemoryError {
    pub live: usize,
    pub requested: usize,
    pub limit: usize,
}

/// `Ok` when `requested` more bytes fit in `limit` beside what is live now.
pub fn check(limit: usize, requested: usize) -> Result<(), MemoryError> {
    let live = live_bytes();
    if live.saturating_add(requested) > limit {
        Err(MemoryError {
            live,
            requested,
            limit,
        })
    } else {
        Ok(())
    }
}

/// Parse a byte count: a plain number, or a number with a unit
/// (`B`, `KB`/`MB`/`GB`/`TB` = powers of 1000, `KiB`/`MiB`/`GiB`/`TiB`
/// = powers of 1024, `K`/`M`/`G`/`T` = powers of 1024), e.g. `4GiB`, `512M`.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let not_a_size = || format!("`{s}` is not a size (use e.g. 4GiB, 512MiB or bytes)");
    if num.is_empty() {
        return Err(not_a_size());
    }
    let unit = unit.trim().to_ascii_lowercase();
    let mult: f64 = match unit.as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => {
            return Err(format!(
                "unknown size unit `{unit}` in `{s}` (use e.g. 4GiB, 512MiB or bytes)"
            ));
        }
    };
    let value: f64 = num.parse().map_err(|_| not_a_size())?;
    let bytes = value * mult;
    if !bytes.is_finite() || bytes < 1.0 || bytes >= usize::MAX as f64 {
        return Err(format!("size `{s}` is out of range"));
    }
    Ok(bytes as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_and_without_units() {
        assert_eq!(parse_size("4GiB"), Ok(4 << 30));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1.5 GB"), Ok(1_500_000_000));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("lots").unwrap_err().contains("not a size"));
        assert!(parse_size("1..2G").unwrap_err().contains("not a size"));
        assert!(parse_size("4XB").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("").is_err());
    }

    #[test]
    fn live_bytes_follow_allocations() {
        // Other tests allocate in parallel, so compare with a wide margin.
        let before = live_bytes();
        let big = vec![1u8; 64 << 20];
        assert!(live_bytes() >= before + (32 << 20), "{}", live_bytes());
        assert!(check(before + (16 << 20), 0).is_err());
        drop(big);
        assert!(check(usize::MAX, 0).is_ok());
        let e = check(0, 10).unwrap_err();
        assert!(e.to_string().contains("--max-memory"), "{e}");
    }
}
