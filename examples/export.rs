//! Export: HR → attendance system (SmartHR→KING OF TIME in the seed's words).
//!
//! ```sh
//! cargo run --example export                       # KING OF TIME, on the embedded emulator
//! cargo run --example export -- --vendor kinkakuji --kinds new,changed
//! cargo run --example export -- --codes 1033,1041 --division 1100 --employment-type 1
//! cargo run --example export -- --help
//! ```
//!
//! The steps live in `examples/src/walk.rs`; this file only picks the direction.

use std::process::ExitCode;

use hris_sync_core::Direction;

fn main() -> ExitCode {
    hris_sync_examples::main(Direction::Export)
}
