//! The federation on one machine (being written).
