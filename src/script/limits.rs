//! Sandbox limits. They always apply, have defaults, are set from the CLI,
//! and are named in the error when a script hits one.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Rhai operations per evaluation (a `loop {}` ends here).
    pub max_operations: u64,
    /// Nesting of function calls.
    pub max_call_depth: usize,
    /// Characters in one string.
    pub max_string_size: usize,
    /// Elements in one array.
    pub max_array_size: usize,
    /// Entries in one object map.
    pub max_map_size: usize,
    /// Elements of a matrix or vector built from script values.
    pub max_matrix_elements: usize,
    /// Modules imported by one evaluation.
    pub max_modules: usize,
    /// Bytes the whole process may hold on the heap while a script runs
    /// (see `crate::memory` for why it is process-wide).
    pub max_memory: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_operations: 20_000_000,
            max_call_depth: 64,
            max_string_size: 1 << 20,
            max_array_size: 1_000_000,
            max_map_size: 100_000,
            max_matrix_elements: 10_000_000,
            max_modules: 64,
            max_memory: crate::memory::DEFAULT_MAX_MEMORY,
        }
    }
}

/// The deepest script call chain and import nesting the host allows,
/// whatever `--max-call-depth` / `--max-modules` say: each level is several
/// native stack frames, and about 3000 of them overflow the main thread's
/// 8 MB stack, which aborts the process (exit 134) instead of raising an
/// error.
pub const MAX_NESTING: usize = 1000;

impl Limits {
    /// These limits with the call depth capped at [`MAX_NESTING`].
    pub fn clamped(mut self) -> Self {
        self.max_call_depth = self.max_call_depth.min(MAX_NESTING);
        self
    }

    /// The CLI flag that raises each limit, for error messages.
    pub fn flag_for(name: &str) -> &'static str {
        match name {
            "max_operations" => "--max-operations",
            "max_call_depth" => "--max-call-depth",
            "max_string_size" => "--max-string-size",
            "max_array_size" => "--max-array-size",
            "max_map_size" => "--max-map-size",
            "max_matrix_elements" => "--max-matrix-elements",
            "max_modules" => "--max-modules",
            "max_memory" => "--max-memory",
            _ => "",
        }
    }
}

impl std::fmt::Display for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "max_operations={} max_call_depth={} max_string_size={} max_array_size={} \
             max_map_size={} max_matrix_elements={} max_modules={} max_memory={}",
            self.max_operations,
            self.max_call_depth,
            self.max_string_size,
            self.max_array_size,
            self.max_map_size,
            self.max_matrix_elements,
            self.max_modules,
            self.max_memory
        )
    }
}
