//! `put -`: the bytes from stdin.
use super::PutArgs;
use crate::Globals;
pub async fn run(_args: PutArgs, _globals: Globals) -> u8 {
    crate::fail(crate::exit::USAGE, "stdin: in progress")
}
