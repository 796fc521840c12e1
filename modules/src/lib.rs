//! drover-modules
