//! drover-template
