//! verifier (being written).
