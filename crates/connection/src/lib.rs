//! drover-connection
