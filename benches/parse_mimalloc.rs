//! The parse bench ([`parse`]) with mimalloc as the allocator, the `moler` command line's: a
//! registry result (`serde_json::Value`) is mostly allocations, about 17 per file of `ls -l`, so
//! the allocator sets much of what the JSON figures cost.
//!
//! `cargo bench --bench parse_mimalloc -- [the parse bench's options]`

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "parse.rs"]
mod parse;

fn main() {
    println!("allocator: mimalloc");
    parse::main();
}
