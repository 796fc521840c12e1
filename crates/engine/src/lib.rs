//! drover-engine
