//! wallet-sim (being written).
