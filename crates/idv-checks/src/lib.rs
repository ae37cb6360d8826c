//! Check templates and presentation verification (being written).
