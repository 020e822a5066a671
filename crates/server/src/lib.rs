//! The methodical server.
