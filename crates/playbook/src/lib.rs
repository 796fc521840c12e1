//! drover-playbook
