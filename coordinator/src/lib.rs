//! The proving cluster: a coordinator that turns batches into a durable job
//! graph (chunk proofs -> aggregation tree -> wrap), leases jobs to
//! authenticated workers with deadlines, re-queues expired leases, verifies
//! every returned proof before accepting it and exports Prometheus metrics;
//! and the worker service that pulls and runs those jobs on its best backend.

pub mod api;
pub mod auth;
pub mod blob;
pub mod client;
pub mod job;
pub mod metrics;
pub mod pipeline;
pub mod planner;
pub mod server;
pub mod store;
pub mod upload;
pub mod worker;
