//! drover-inventory
