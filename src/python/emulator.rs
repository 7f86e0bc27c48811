//! `_core.Emulator`: the embedded Azure emulator, started on the shared runtime.

use pyo3::prelude::*;

pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
