//! (stub — to be written)
