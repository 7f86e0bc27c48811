//! Output shapes: what `az … -o json` prints (`cli`, built by a `build::Build`), and PowerShell's objects.

pub mod build;
pub mod cli;
pub mod pwsh;
