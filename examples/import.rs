//! Import: attendance system → HR (KING OF TIME→SmartHR in the seed's words).
//!
//! ```sh
//! cargo run --example import                       # KING OF TIME, on the embedded emulator
//! cargo run --example import -- --vendor touchontime --office OSAKA
//! cargo run --example import -- --kinds new --codes 2001,2002
//! cargo run --example import -- --help
//! ```
//!
//! The steps live in `examples/src/walk.rs`; this file only picks the direction.

use std::process::ExitCode;

use hris_sync_core::Direction;

fn main() -> ExitCode {
    hris_sync_examples::main(Direction::Import)
}
