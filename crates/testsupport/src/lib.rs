//! drover-testsupport
