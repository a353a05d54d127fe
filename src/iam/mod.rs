//! Exact IAM identity policies for the people and roles around a
//! migration: the operator who runs ctmigrate ([`operator`]), made from the
//! table of actions the aws adapters call ([`crate::aws::ACTIONS`]), and a
//! Bedrock caller of one inference profile ([`caller`]).
//!
//! `operator` and `caller` are pure: they build policy documents. Only
//! [`resolve`] reads AWS (the profile's destinations, through a session);
//! nothing here prints.

pub mod caller;
pub mod operator;
pub mod resolve;
