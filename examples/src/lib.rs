//! Shared code of the example binaries.
