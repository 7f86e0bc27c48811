//! Output shapes: what `az … -o json` prints (`cli`), and later PowerShell's objects.

pub mod cli;
pub mod pwsh;
