//! Array functions replacing Rhai's own where those swallow errors: Rhai's
//! `sort`/`sort_by` and `dedup` with a comparer treat a failing comparer as
//! "equal", so a limit hit (operations, memory), a Ctrl-C or a script error
//! inside the comparer was ignored and the script went on (or ended with
//! exit 0). These versions stop at the first error and return it. They are
//! registered after Rhai's packages, so they shadow them.

use crate::script::api::convert::msg_err;
use rhai::plugin::*;
use rhai::{Dynamic, EvalAltResult, FnPtr, NativeCallContext};
use std::cmp::Ordering;

/// Compare `x` and `y` with the script's `comparer` (an integer: negative,
/// zero, positive; or a bool: true = `x` first).
fn compare(
    ctx: &NativeCallContext,
    comparer: &FnPtr,
    x: &Dynamic,
    y: &Dynamic,
) -> Result<Ordering, Box<EvalAltResult>> {
    let v = comparer.call_raw(ctx, None, [x.clone(), y.clone()])?;
    if let Ok(i) = v.as_int() {
        return Ok(i.cmp(&0));
    }
    if let Ok(b) = v.as_bool() {
        return Ok(if b { Ordering::Less } else { Ordering::Greater });
    }
    Err(msg_err(format!(
        "sort: the comparer must return an integer or a bool, got {}",
        v.type_name()
    )))
}

#[export_module]
pub mod arrays_api {
    use super::compare;
    use crate::script::api::convert::msg_err;
    use rhai::{Array, EvalAltResult, FnPtr, NativeCallContext};
    use std::cmp::Ordering;

    /// Sort the array with `comparer(a, b)`: a negative integer (or `true`)
    /// puts `a` first, a positive one (or `false`) `b`, zero keeps them
    /// equal. An error inside the comparer stops the sort and is raised.
    ///
    /// ```rhai
    /// let x = [3, 1, 2];
    /// x.sort(|a, b| b - a);
    /// print(x);
    /// ```
    #[rhai_fn(name = "sort", name = "sort_by", return_raw)]
    pub fn sort_by(
        ctx: NativeCallContext,
        array: &mut Array,
        comparer: FnPtr,
    ) -> Result<(), Box<EvalAltResult>> {
        if array.len() <= 1 {
            return Ok(());
        }
        let mut first_error = None;
        // `sort_by` may panic when the comparer is not a total order.
        let sorted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            array.sort_by(|x, y| {
                if first_error.is_some() {
                    return Ordering::Equal;
                }
                compare(&ctx, &comparer, x, y).unwrap_or_else(|e| {
                    first_error = Some(e);
                    Ordering::Equal
                })
            })
        }));
        if let Some(e) = first_error {
            return Err(e);
        }
        sorted.map_err(|_| msg_err("sort: the comparer is not a consistent order"))
    }

    /// Remove consecutive elements for which `comparer(previous, element)`
    /// returns true. An error inside the comparer is raised.
    ///
    /// ```rhai
    /// let x = [1, 2, 2, 3, 3, 3];
    /// x.dedup(|a, b| a == b);
    /// print(x);
    /// ```
    #[rhai_fn(name = "dedup", return_raw)]
    pub fn dedup_by_comparer(
        ctx: NativeCallContext,
        array: &mut Array,
        comparer: FnPtr,
    ) -> Result<(), Box<EvalAltResult>> {
        let mut first_error = None;
        array.dedup_by(|x, y| {
            if first_error.is_some() {
                return false;
            }
            match comparer.call_raw(&ctx, None, [y.clone(), x.clone()]) {
                Ok(v) => v.as_bool().unwrap_or(false),
                Err(e) => {
                    first_error = Some(e);
                    false
                }
            }
        });
        first_error.map_or(Ok(()), Err)
    }
}
