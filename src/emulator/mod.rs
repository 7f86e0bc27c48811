//! The embedded Azure emulator (placeholder until the emulator lands).
