//! Test servers for `methodical check`: a raw-TCP fake that either follows the
//! digest ("good") or sends canned answers, and helpers to start peers.

#![allow(dead_code)]

pub mod fake;
pub mod peers;
