//! Exact IAM identity policies for the people and roles around a
//! migration: the operator who runs ctmigrate ([`operator`]), made from the
//! table of actions the aws adapters call ([`crate::aws::ACTIONS`]).
//!
//! Pure: it builds policy documents; it must not call AWS or print.

pub mod operator;
