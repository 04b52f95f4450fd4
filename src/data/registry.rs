//! (being written)
pub struct DatasetRegistry;
