//! The integration tests, one binary: a module per area, shared fixtures under the
//! `*_support`, `fault_proxy` and `server_snapshot` modules. `conformance` (the suite as
//! libtest trials) and `fuzz` (proptest properties) are the only other test binaries.

mod fault_proxy;
mod reference_support;
mod safety_support;
mod server_snapshot;
mod target_support;

mod anywhere;
mod built_in_compiled;
mod case_loader;
mod case_loader_surface;
mod check_cli;
mod clients;
mod distribution;
mod events;
mod faults;
mod gate;
mod mutation;
mod read_faults;
mod reference_auth_and_versions;
mod reference_bans_teams_rooms;
mod reference_deviations;
mod reference_imperfect_servers;
mod reference_invite_channels;
mod reference_invite_groups;
mod reference_limits_and_hygiene;
mod reference_membership;
mod reference_membership_deviations;
mod reference_permissions_and_roles;
mod reference_provisioning_rooms;
mod reference_provisioning_sessions;
mod reference_provisioning_users;
mod reference_version_lines;
mod reports;
mod reports_interrupted;
mod runner;
mod runner_surface;
mod safety_grants;
mod safety_preflight;
mod schemas;
mod settle;
mod sharing;
mod signals;
mod target_api;
mod target_proxy;
mod target_tls;
mod verdicts;
